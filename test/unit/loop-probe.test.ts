import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLogger } from '../../core/events.ts';
import { logLoopDelay, mainThreadSched, STALL_MS, TICK_MS, waitedMs } from '../../strategies/shared/loop-probe.ts';

test('waitedMs: the machine\'s part of a lateness is what the thread neither slept nor ran', () => {
  assert.equal(waitedMs(TICK_MS, 2), 0, 'on time');
  assert.equal(waitedMs(TICK_MS + 100, 100), 0, 'its own work');
  assert.equal(waitedMs(TICK_MS + 100, 1), 99, 'another process held the CPU');
  assert.equal(waitedMs(TICK_MS + 100, 30), 70, 'both');
  assert.equal(waitedMs(TICK_MS + 100, null), 100, 'no schedstat: all of it');
  assert.equal(waitedMs(TICK_MS + 100, 300), 0, 'other threads\' CPU never makes it negative');
});

/** Stalls as logged by the probe while `stall` runs. */
type Stall = { lateMs: number; waitMs: number; queuedMs: number | null };
async function stallsDuring(stall: () => Promise<void>): Promise<Stall[]> {
  const stalls: Stall[] = [];
  const logger = { logOther: (type: string, f: Stall) => { if (type === 'loop.stall') stalls.push(f); } };
  const stop = logLoopDelay(logger as unknown as EventLogger);
  await sleep(50);
  await stall();
  await sleep(50);
  stop();
  return stalls;
}

test('loop probe: a stall the thread spends working is its own; one it spends stopped is the machine\'s', async (t) => {
  const sched = mainThreadSched();
  if (sched() === null) { t.skip('no per-thread schedstat on this kernel'); return; }
  const ran = () => sched()!.ranMs;
  // busy until the thread has run 200 ms, however the machine shares its CPU meanwhile
  const working = await stallsDuring(async () => { const r0 = ran(); while (ran() - r0 < 200); });
  const w = working.find((s) => s.lateMs >= 150);
  assert.ok(w, `a stall of 150 ms or more: ${JSON.stringify(working)}`);
  assert.ok(w.waitMs <= w.lateMs - 150, `at most what it did not run: ${JSON.stringify(w)}`);
  // stopped for 300 ms: SIGCONT from a shell started beforehand
  const stopped = await stallsDuring(async () => {
    spawn('sh', ['-c', `sleep 0.3; kill -CONT ${process.pid}`], { stdio: 'ignore' });
    process.kill(process.pid, 'SIGSTOP');
  });
  const s = stopped.find((x) => x.lateMs >= 250);
  assert.ok(s, `a stall of 250 ms or more: ${JSON.stringify(stopped)}`);
  assert.ok(s.waitMs >= s.lateMs - STALL_MS, `nearly all of it the machine's: ${JSON.stringify(s)}`);
  assert.ok(s.queuedMs !== null && s.queuedMs < s.waitMs / 2, `a stopped thread is not in a run queue: ${JSON.stringify(s)}`);
});
