import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPresets } from '../../harness/testbed/commands.ts';
import { NAT_PRESETS } from '../../harness/presets.ts';

test('every NAT preset classifies as configured (RFC 5780 probe)', async () => {
  const rows = await classifyPresets([...NAT_PRESETS, 'ADM/ADF']);
  assert.equal(rows.length, NAT_PRESETS.length + 1);
  for (const r of rows) {
    assert.deepEqual({ preset: r.preset, mapping: r.mapping, filtering: r.filtering },
      { preset: r.preset, ...r.expected }, `${r.preset}: mapped ${r.mapped?.join(' ')}`);
  }
});
