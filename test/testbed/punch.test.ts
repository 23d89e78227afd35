import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTestbed } from '../../harness/driver.ts';
import { NAT_PRESETS, natBehaviour } from '../../harness/presets.ts';
import { punch, punchExpected, startProbeServer } from '../../harness/testbed/probes.ts';

// Every (answerer preset, mobile preset) pair; each build punches answerer<->wifi and
// answerer<->cellular, so the 5x5 matrix takes 13 builds.
test('hole-punch matrix between the presets matches the textbook', async () => {
  const outcomes: string[] = [];
  const expected: string[] = [];
  for (const a of NAT_PRESETS) {
    for (let i = 0; i < NAT_PRESETS.length; i += 2) {
      const wifi = NAT_PRESETS[i]!;
      const cellular = NAT_PRESETS[i + 1];
      await withTestbed({ nat: { answerer: a, wifi, cellular: cellular ?? wifi } }, async (d, info) => {
        await startProbeServer(d, info);
        const ups = info.hosts.mobile!;
        const pairs = [[wifi, ups[0]!.addr], ...(cellular ? [[cellular, ups[1]!.addr]] : [])] as [string, string][];
        const results = await Promise.all(pairs.map(([, local], k) =>
          punch(d, info, { host: 'answerer' }, { host: 'mobile', local }, `p${k}`)));
        pairs.forEach(([m], k) => {
          outcomes.push(`${a} <-> ${m}: ${results[k]!.ok ? 'ok' : 'fail'}`);
          expected.push(`${a} <-> ${m}: ${punchExpected(natBehaviour(a), natBehaviour(m)) ? 'ok' : 'fail'}`);
        });
      });
    }
  }
  assert.deepEqual(outcomes, expected);
  assert.ok(outcomes.includes('symmetric <-> port-restricted: fail'));
  assert.ok(outcomes.includes('full-cone <-> symmetric: ok'));
});
