import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTestbed, type Calibration } from '../../harness/driver.ts';

/** The paths whose median RTT is off by more than 1 ms. */
const off = (rows: Calibration[], rtt: number) => rows.filter((r) => r.median === undefined || Math.abs(r.median - rtt) > 1)
  .map((r) => `${r.path} from ${r.source}: median ${r.median} ms (avg ${r.avg}, max ${r.max})`);

for (const rtt of [20, 100]) {
  test(`measured RTT is within ±1 ms of ${rtt} ms configured, on every path`, async () => {
    const oneWay = rtt / 4;   // every path crosses two emulated slots, each both ways
    const profile = `custom:delay=${oneWay}`;
    // Up to three calibrations: a wrong delay is off in all three, while a moment of this VM not
    // running its vCPU (a 101.5 ms median in one CI run) passes on the next (as test_wire.sh does).
    const tries = await withTestbed({ links: { intermediate: profile, answerer: profile, wifi: profile, cellular: profile } }, async (d) => {
      const all: Calibration[][] = [];
      for (let i = 0; i < 3; i++) {
        const rows = await d.calibrate(30);
        all.push(rows);
        if (off(rows, rtt).length === 0) break;
      }
      return all;
    });
    const last = tries[tries.length - 1]!;
    assert.equal(last.length, 5);
    for (const r of last) assert.equal(r.configured, rtt);
    assert.deepEqual(off(last, rtt), [], `off in all ${tries.length} calibrations: ${tries.map((t) => off(t, rtt).join('; ')).join(' | ')}`);
  });
}
