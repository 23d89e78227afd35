// The fidelity guard (docs/bench.md, "Fidelity guard"): was the machine, rather than the strategy,
// late during the measured window? Two independent witnesses: every role's event loop (`loop.delay`,
// logged each second by strategies/run-role.ts) and every link emulator's schedule (its lateness,
// topologies/wire.c). A run where either was late by more than its threshold is `noisy`: recorded
// as such, and run again by a bench.
import type { LogEvent } from '../../core/events.ts';
import type { WireLateness } from '../driver.ts';

/** A role's event loop held up for longer than this could move a frame across its playout
 *  deadline or a detection by more than the one frame (20 ms) the metrics resolve... */
export const NOISY_LOOP_MS = 150;
/** ...and a link emulator that sends a packet later than this adds delay the profile does not have. */
export const NOISY_WIRE_MS = 20;

export interface Fidelity {
  /** The largest event-loop delay of any role in the window, ms, and whose it was. */
  loopMaxMs: number | null;
  loopRole: string | null;
  /** The largest lateness of any link emulator in the window, ms (null under netem), and each one's. */
  wireLateMaxMs: number | null;
  wireLateMs: Record<string, number>;
  /** Why the run is noisy, or null. */
  noisy: string | null;
}

/** Judges the window [from, to] (ms since epoch): loop.delay samples cover the second before them. */
export function fidelityOf(events: LogEvent[], from: number, to: number, wires: Record<string, WireLateness | null>): Fidelity {
  let loopMaxMs: number | null = null, loopRole: string | null = null;
  for (const e of events) {
    if (e.type !== 'loop.delay' || e.t < from || e.t > to + 1000 || typeof e['maxMs'] !== 'number') continue;
    if (loopMaxMs === null || e['maxMs'] > loopMaxMs) { loopMaxMs = e['maxMs']; loopRole = e.role; }
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
  if (loopMaxMs !== null && loopMaxMs > NOISY_LOOP_MS) why.push(`${loopRole}'s event loop ${loopMaxMs.toFixed(0)} ms late (> ${NOISY_LOOP_MS})`);
  if (wireLateMaxMs !== null && wireLateMaxMs > NOISY_WIRE_MS) why.push(`a link emulator ${wireLateMaxMs.toFixed(1)} ms late (> ${NOISY_WIRE_MS})`);
  return { loopMaxMs, loopRole, wireLateMaxMs, wireLateMs, noisy: why.length ? why.join('; ') : null };
}
