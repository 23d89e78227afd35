// overlay: one QUIC connection for the whole run; a change moves it to the relay and back to
// direct without a new handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'overlay', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
  warmupS: 3.5, observeS: 4, ...over,
});

for (const event of ['wifi-to-cellular', 'nat-rebind']) {
  test(`overlay, port-restricted NATs, ${event}: relay, then direct again, on the same connection`, async () => {
    const r = await runJudged(spec({ event }), bench);
    const m = r.metrics;
    assertCleanBeforeEvent(m);
    assert.equal(m.success, true);
    assert.equal(m.handshakes, 1, 'the connection must never be replaced');
    assert.ok(m.direct_ms !== null, 'the direct path never came back');
    const events = mergeLogs(r.dir);
    const e = events.find((x) => x.type === 'event.fired')!.t;
    const after = events.filter((x) => x.role === 'answerer' && x.type === 'path' && x.t > e).map((x) => x.state);
    assert.deepEqual(after, ['relay', 'direct'], 'the answerer should bridge on the relay, then return');
    assert.ok(m.relay_bytes > 0);
    assert.equal(events.filter((x) => x.type === 'error').length, 0);
  });
}

test('overlay, symmetric NATs: the handshake and all audio go through the relay', async () => {
  const r = await runJudged(spec({ nat: { answerer: 'symmetric', wifi: 'symmetric', cellular: 'symmetric' } }), bench);
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.handshakes, 1);
  assert.equal(r.metrics.direct_ms, null);
  assert.ok(mergeLogs(r.dir).filter((x) => x.type === 'audio.recv').every((x) => x.path === 'relay'));
});
