// Issue 14's verdicts on real runs: a run whose scenario did not happen is invalid (never scored),
// cellular-to-wifi starts the mobile on cellular and passes its check, and long links are judged
// against their own base delay.
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
  ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
  warmupS: 3.5, observeS: 3, ...over,
});
type Check = { name: string; ok: boolean; reason: string };

test('cellular-to-wifi: the mobile starts on cellular, arrives home, the check passes', async () => {
  const r = await runJudged(spec({ event: 'cellular-to-wifi' }), bench);
  const checks = r.meta.checks as Check[];
  assert.equal(r.meta.status, 'ok', `${r.meta.error}`);
  assert.equal(checks.length, 1);
  assert.ok(checks[0]!.ok, checks[0]!.reason);
  const info = r.meta.topology as { startOn: string };
  assert.equal(info.startOn, 'cellular');
  assertCleanBeforeEvent(r.metrics);
  assert.ok(r.metrics.frames_on_time > 100);
});

test('a scenario made to do nothing (test hook) is invalid, with the reason', async () => {
  process.env.MIGBENCH_TEST_NOOP_EVENTS = '1';
  try {
    const r = await runJudged(spec({ event: 'wifi-to-cellular' }), bench);
    assert.equal(r.meta.status, 'invalid');
    assert.match(String(r.meta.error), /scenario did not happen: wifi-to-cellular/);
    assert.equal((r.meta.checks as Check[])[0]!.ok, false);
    // the strategy's own log is not the judge: audio kept flowing
    assert.ok(mergeLogs(r.dir).some((e) => e.type === 'audio.recv' && e.t > (r.meta.eventT as number)));
  } finally {
    delete process.env.MIGBENCH_TEST_NOOP_EVENTS;
  }
});
