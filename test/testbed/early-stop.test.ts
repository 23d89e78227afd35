// Early stop and the fidelity guard on the testbed (docs/bench.md, "Early stop", "Fidelity guard").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeMetrics, type RunMetrics } from '../../harness/metrics.ts';
import { scheduled, sleep, type Drive } from '../../harness/run/drive.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { runOnce } from '../../harness/run/run.ts';
import { unsettled } from '../../harness/run/settle.ts';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { SCHEDULING_NOISE_FRAMES } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
  observeS: 8, seed: 7, ...over,
});
const OUTCOME: (keyof RunMetrics)[] = ['gap_ms', 'recovery_ms', 'direct_ms', 'switch_ms', 'detect_ms',
  'base_delay_ms', 'handshakes', 'signal_msgs', 'success', 'pre_event_concealed'];
const outcome = (m: RunMetrics) => Object.fromEntries(OUTCOME.map((k) => [k, m[k]]));
/** Concealed frames after the stop would be the machine's (a frame delayed by scheduling), which
 *  every testbed test tolerates up to SCHEDULING_NOISE_FRAMES; test/unit/settle.test.ts holds them exact. */
const concealedFrames = (m: RunMetrics) => m.frames_late + m.frames_lost;

test('early stop: a settled run stops before its maximum, and stopping a whole-window run where it settled scores the same outcome', async () => {
  const early = await runOnce(spec({ settleS: 2 }), bench);
  assert.equal(early.meta.status, 'ok', String(early.meta.error));
  assert.equal(early.metrics.success, true);
  const observed = (early.meta.observeEnd as number) - (early.meta.eventT as number);
  assert.ok(typeof early.meta.settledAt === 'number' && observed < 7500, `observed ${observed} ms of at most 8000`);

  // the same run (same seed) to the end of its window, then the rule applied to its logs afterwards
  const full = await runOnce(spec({}), bench);
  assert.equal(full.meta.status, 'ok', String(full.meta.error));
  assert.equal(full.meta.settledAt, undefined, 'no settleS: the whole window');
  const events = mergeLogs(full.dir);
  const E = full.meta.eventT as number;
  let stop: number | null = null;
  for (let now = E; now <= (full.meta.observeEnd as number) && stop === null; now += 200) {
    if (unsettled(events.filter((e) => e.t <= now), now, { settleMs: 2000, jitterBufferMs: DEFAULT_SPEC.jitterBufferMs, observeFrom: E }) === null) stop = now;
  }
  assert.ok(stop !== null, 'the whole-window run settled');
  const truncated = computeMetrics(events.filter((e) => e.t <= stop!), { observeEndMs: stop });
  assert.deepEqual(outcome(truncated), outcome(full.metrics), `stopped at E + ${stop - E} ms`);
  const later = concealedFrames(full.metrics) - concealedFrames(truncated);
  assert.ok(later >= 0 && later <= SCHEDULING_NOISE_FRAMES, `${later} frames concealed after E + ${stop - E} ms`);
});

test('fidelity guard: a run made noisy on purpose (the mobile role and a link emulator stopped for a moment) is flagged', async () => {
  // During the observe window: SIGSTOP the mobile's role process for 300 ms, then the cellular
  // link's emulator for 100 ms (both found by paths unique to this run; `[c]` keeps pkill from
  // matching the shell that runs it).
  const noisy: Drive = async (ctx) => scheduled({
    ...ctx,
    observe: async (maxMs) => {
      await sleep(500);
      const role = `${ctx.dir}/[c]ontext.mobile.json`;
      await ctx.driver.exec('mobile', `pkill -STOP -f '${role}'; sleep 0.3; pkill -CONT -f '${role}'`);
      const wire = `${ctx.info.runDir}/[w]cellular.conf`;
      await ctx.driver.exec('mobile', `pkill -STOP -f '${wire}'; sleep 0.1; pkill -CONT -f '${wire}'`);
      await ctx.observe(maxMs - 1000);
    },
  });
  const r = await runOnce(spec({ observeS: 3 }), bench, { drive: noisy });
  const meta = JSON.parse(readFileSync(path.join(r.dir, 'meta.json'), 'utf8'));
  assert.match(String(meta.noisy), /mobile's event loop \d+ ms late/);
  assert.match(String(meta.noisy), /link emulator \d+(\.\d)? ms late/);
  assert.ok(meta.fidelity.loopMaxMs >= 250, `loop delay ${meta.fidelity.loopMaxMs} ms`);
  assert.ok(meta.fidelity.wireLateMaxMs >= 50, `wire late ${meta.fidelity.wireLateMaxMs} ms`);
});
