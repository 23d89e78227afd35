// Several pairs through one intermediate (topology pairs:N): staggered events, per-pair metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunMetrics } from '../../harness/metrics.ts';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

test('three pairs through one intermediate, switches 100 ms apart: every pair recovers, each measured on its own event', async () => {
  const r = await runJudged({ ...DEFAULT_SPEC, strategy: 'relay-only', pairs: 3, staggerMs: 100, warmupS: 3.5, observeS: 3,
    links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' } }, bench);
  const pairs = r.meta.pairs as { pair: number; metrics: RunMetrics }[];
  assert.deepEqual(pairs.map((p) => p.pair), [1, 2, 3]);
  for (const p of pairs) assert.equal(p.metrics.success, true, `pair ${p.pair}: gap ${p.metrics.gap_ms}`);
  const events = mergeLogs(r.dir);
  const fired = events.filter((e) => e.type === 'event.fired');
  assert.deepEqual(fired.map((e) => e.host), ['mobile1', 'mobile2', 'mobile3']);
  assert.ok(fired[2]!.t - fired[0]!.t >= 190, 'the events should be staggered');
  for (const [i, p] of pairs.entries()) assert.equal(p.metrics.event_t, fired[i]!.t, `pair ${p.pair} measured from its own event`);
  assert.ok(existsSync(path.join(r.dir, 'pair-3', 'events.mobile.jsonl')));
  const exits = events.filter((e) => e.type === 'role.exit');
  assert.equal(exits.length, 7);
  assert.ok(exits.every((e) => e.code === 0), JSON.stringify(exits));
  assert.ok(r.metrics.cpu_s.intermediate! > 0);
});
