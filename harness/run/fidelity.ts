// The fidelity guard (docs/bench.md, "Fidelity guard"): was the machine, rather than the strategy,
// late during the measured window? Two independent witnesses: every role's event loop (`loop.delay`
// and `loop.stall`, strategies/shared/loop-probe.ts: how much of its lateness the main thread spent
// neither running nor idle — waiting for a CPU, or for the host to run the vCPU) and every link
// emulator's schedule (its lateness, topologies/wire.c). A run where either was late by more than its
// threshold is `noisy`: recorded as such, and run again by a bench.
import type { LogEvent } from '../../core/events.ts';
import { DEFAULT_JITTER_BUFFER_MS } from '../../core/playout.ts';
import type { WireLateness } from '../driver.ts';

/** The thresholds sit above what this machine shows running one run at a time and below what
 *  moves a metric. A role's loop kept waiting for longer than the default jitter buffer (80 ms)
 *  can push a frame past its playout deadline: two clean-clone CI runs concealed 5 and 8 frames
 *  before the event with the threshold at 100 ms. A strategy's own work (the intermediate's
 *  handshakes, werift's DTLS and SCTP) delays its loop too, but that is the strategy, measured on
 *  purpose: it would be as long on a quiet machine, so it is not held against the run... */
export const NOISY_LOOP_MS = DEFAULT_JITTER_BUFFER_MS;
/** ...and a link emulator two frames (40 ms) behind its schedule moves an arrival time by more than
 *  the fidelity check's one-frame tolerance. */
export const NOISY_WIRE_MS = 40;

export interface Fidelity {
  /** The largest event-loop delay of any role in the window, ms (its own work included): what the
   *  run's roles went through. */
  loopMaxMs: number | null;
  /** The largest part of one delay that was the machine's (the guard's verdict), ms, and whose. */
  loopWaitMaxMs: number | null;
  loopRole: string | null;
  /** The largest lateness of any link emulator in the window, ms (null under netem), and each one's. */
  wireLateMaxMs: number | null;
  wireLateMs: Record<string, number>;
  /** Why the run is noisy, or null. */
  noisy: string | null;
}

/** Judges the window [from, to] (ms since epoch). A loop.delay sample covers the second before it
 *  and counts when that second lies inside the window; at the window's edges the loop.stall events
 *  (every stall of 40 ms or more, logged at its end) count when the stall overlaps the window. Both
 *  verdicts are exact above 40 ms; a role's start-up before the first audio is outside. A log from
 *  before the machine's share was measured (no waitMaxMs / waitMs) is judged by the whole delay. */
export function fidelityOf(events: LogEvent[], from: number, to: number, wires: Record<string, WireLateness | null>): Fidelity {
  let loopMaxMs: number | null = null, loopWaitMaxMs: number | null = null, loopRole: string | null = null;
  for (const e of events) {
    const inside = e.type === 'loop.delay' ? e.t - 1000 >= from && e.t <= to
      : e.type === 'loop.stall' && e.t > from && e.t - Number(e['lateMs']) < to;
    if (!inside) continue;
    const [late, wait] = e.type === 'loop.delay' ? [e['maxMs'], e['waitMaxMs']] : [e['lateMs'], e['waitMs']];
    if (typeof late !== 'number') continue;
    const waited = typeof wait === 'number' ? wait : late;
    loopMaxMs = Math.max(loopMaxMs ?? 0, late);
    if (loopWaitMaxMs === null || waited > loopWaitMaxMs) { loopWaitMaxMs = waited; loopRole = e.role; }
  }
  let wireLateMaxMs: number | null = null;
  const wireLateMs: Record<string, number> = {};
  for (const [name, w] of Object.entries(wires)) {
    for (const d of Object.values(w ?? {})) {
      wireLateMs[name] = Math.max(wireLateMs[name] ?? 0, d.late_max_us / 1000);
      wireLateMaxMs = Math.max(wireLateMaxMs ?? 0, wireLateMs[name]!);
    }
  }
  const why: string[] = [];
  if (loopWaitMaxMs !== null && loopWaitMaxMs > NOISY_LOOP_MS) why.push(`${loopRole}'s event loop ${loopWaitMaxMs.toFixed(0)} ms late for want of a CPU (> ${NOISY_LOOP_MS})`);
  if (wireLateMaxMs !== null && wireLateMaxMs > NOISY_WIRE_MS) why.push(`a link emulator ${wireLateMaxMs.toFixed(1)} ms late (> ${NOISY_WIRE_MS})`);
  return { loopMaxMs, loopWaitMaxMs, loopRole, wireLateMaxMs, wireLateMs, noisy: why.length ? why.join('; ') : null };
}

/** How many times a noisy run is made again before its noisy result is kept (marked as such). */
export const NOISY_RERUNS = 2;

/** Makes a run, and again while the guard finds it noisy (up to NOISY_RERUNS more times): a noisy
 *  run measured the machine, not the strategy. The bench and the testbed tests both judge runs so.
 *  `setAside` sees each noisy attempt that is made again; `stop` ends the retries early. */
export async function rerunWhileNoisy<T>(attempt: () => Promise<T>, noisyOf: (r: T) => string | null | undefined,
  setAside: (r: T) => void = () => {}, stop = () => false): Promise<T> {
  let r = await attempt();
  for (let again = 0; noisyOf(r) && again < NOISY_RERUNS && !stop(); again++) {
    setAside(r);
    r = await attempt();
  }
  return r;
}
