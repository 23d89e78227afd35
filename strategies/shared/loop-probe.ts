// The role's half of the fidelity guard (docs/bench.md, "Fidelity guard"): how late this process's
// event loop ran, and how much of that lateness was the machine's. A 10 ms timer of its own
// measures the loop (not perf_hooks' monitorEventLoopDelay, whose reset drops a stall that ends in
// the same loop turn as the reset: seen, a 300 ms SIGSTOP missed in one run of three). Between two
// ticks the main thread either ran (its own work: the strategy's, measured on purpose), slept
// waiting for the next timer, or waited without running: for a CPU another process held, for the
// host to run the vCPU (steal), or stopped. Only that last part is the machine's.
import { openSync, readSync } from 'node:fs';
import type { EventLogger } from '../../core/events.ts';

export const TICK_MS = 10;
/** Half the guard's threshold (harness/run/fidelity.ts NOISY_LOOP_MS): a stall this late is also
 *  logged on its own, so the guard can tell one inside its window from one just before it. */
export const STALL_MS = 40;

/** Time this process's main thread has run on a CPU and has waited in a run queue for one, ms:
 *  the first two fields of Linux's per-thread schedstat. With paravirtual steal accounting (this
 *  VM's kernel) the host's share of a vCPU is in neither. Null where the file cannot be read (a
 *  kernel without schedstats): every lateness then counts as the machine's, as before this split. */
export function mainThreadSched(): () => { ranMs: number; queuedMs: number } | null {
  let fd: number;
  try { fd = openSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'r'); } catch { return () => null; }
  const buf = Buffer.alloc(96);
  return () => {
    const [ran, queued] = buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ');
    return { ranMs: Number(ran) / 1e6, queuedMs: Number(queued) / 1e6 };
  };
}

/** The machine's part of one tick's lateness: the gap between two ticks, less the interval the
 *  thread was meant to sleep, less what it ran. Never more than the lateness itself. */
export function waitedMs(gapMs: number, ranMs: number | null): number {
  const lateMs = Math.max(0, gapMs - TICK_MS);
  return ranMs === null ? lateMs : Math.min(lateMs, Math.max(0, lateMs - ranMs));
}

const round = (v: number) => Math.round(v * 100) / 100;

/** Every second `loop.delay` {maxMs, p99Ms: the timer's lateness; waitMaxMs: the largest part of
 *  one lateness that was the machine's}; a lateness of STALL_MS or more also as `loop.stall`
 *  {lateMs, waitMs, queuedMs: how much of it the thread sat in a run queue, i.e. how much of the
 *  wait was other processes on the CPUs rather than steal} at its end. A stall that ends after a
 *  sample is logged counts in the next one. */
export function logLoopDelay(logger: EventLogger): () => void {
  const sched = mainThreadSched();
  let last = performance.now(), lastSched = sched();
  let late: number[] = [], waitMax = 0;
  const tick = setInterval(() => {
    const t = performance.now(), now = sched();
    const gap = t - last;
    const lateMs = Math.max(0, gap - TICK_MS);
    const waitMs = waitedMs(gap, now && lastSched ? now.ranMs - lastSched.ranMs : null);
    late.push(lateMs);
    waitMax = Math.max(waitMax, waitMs);
    if (lateMs >= STALL_MS) {
      const queuedMs = now && lastSched ? round(now.queuedMs - lastSched.queuedMs) : null;
      logger.logOther('loop.stall', { lateMs: round(lateMs), waitMs: round(waitMs), queuedMs });
    }
    last = t;
    lastSched = now;
  }, TICK_MS);
  const report = setInterval(() => {
    if (!late.length) return;
    const sorted = late.sort((a, b) => a - b);
    logger.logOther('loop.delay', { maxMs: round(sorted[sorted.length - 1]!), p99Ms: round(sorted[Math.floor(0.99 * (sorted.length - 1))]!), waitMaxMs: round(waitMax) });
    late = [];
    waitMax = 0;
  }, 1000);
  tick.unref();
  report.unref();
  return () => { clearInterval(tick); clearInterval(report); };
}
