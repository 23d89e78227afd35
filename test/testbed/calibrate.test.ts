import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTestbed } from '../../harness/driver.ts';

for (const rtt of [20, 100]) {
  test(`measured RTT is within ±1 ms of ${rtt} ms configured, on every path`, async () => {
    const oneWay = rtt / 4;   // every path crosses two emulated slots, each both ways
    const profile = `custom:delay=${oneWay}`;
    const rows = await withTestbed({ links: { intermediate: profile, answerer: profile, wifi: profile, cellular: profile } },
      (d) => d.calibrate(30));
    assert.equal(rows.length, 5);
    for (const r of rows) {
      assert.equal(r.configured, rtt);
      assert.ok(r.median !== undefined && Math.abs(r.median - rtt) <= 1,
        `${r.path} from ${r.source}: median ${r.median} ms (avg ${r.avg}, max ${r.max})`);
    }
  });
}
