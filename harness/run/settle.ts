// Early stop (docs/bench.md, "Early stop"): a run's observation may end once its outcome is
// settled — the receiver has played every frame on time, by one path, for `settleMs`, and no role
// has done anything in that time (no switch, punch, handshake, signal, detection: every event type
// but bookkeeping) nor has a punch or handshake under way. A run that is still moving observes to
// its maximum. The rule reads only the event logs, so it can be applied to a finished run's logs
// too (test/unit/settle.test.ts: stopping there leaves the outcome metrics unchanged).
import path from 'node:path';
import { BOOKKEEPING_TYPES, type LogEvent } from '../../core/events.ts';
import { FRAME_MS } from '../../core/playout.ts';
import { frameTable } from '../frames.ts';
import { DEFAULT_PARAMS } from '../metrics.ts';
import { LogTail } from '../event-logs.ts';
import { parseEvent } from '../network-events.ts';

/** A punch or handshake with no outcome logged counts as under way for this long (the longest any
 *  strategy here waits for a punch before it tries again). */
export const ATTEMPT_MS = 5000;
/** An attempt (a schema type, core/events.ts) and the schema types that end it; any `*.failed`
 *  type a strategy logs ends it too, so no strategy's own names are listed here. */
const STARTS: Record<string, string[]> = {
  'punch.start': ['punch.ok', 'handshake.ok'],
  'handshake.start': ['handshake.ok'],
};
const ends = (start: string, type: string) => type.endsWith('.failed') || STARTS[start]!.includes(type);
/** Log lines reach the file within a few ms; frames whose deadline is newer are not judged yet. */
const FLUSH_MS = 50;

export interface SettleParams {
  settleMs: number;
  jitterBufferMs: number;
  /** When observation began (after the last scheduled event fired): nothing before it settles. */
  observeFrom: number;
}

/** When a run may begin to settle: not before `now` (the last scheduled event fired), nor before any
 *  fired event's duration has passed — its later step (a blackout's end, a fade's link drop, a fault's
 *  restart) is part of the scenario (docs/bench.md "Early stop"). */
export function settleFrom(now: number, fired: readonly { name: string; t: number }[]): number {
  return Math.max(now, ...fired.map((f) => f.t + (parseEvent(f.name).seconds ?? 0) * 1000));
}

/** Why the run is not settled at `now` given every event logged so far, or null if it is. */
export function unsettled(events: LogEvent[], now: number, p: SettleParams): string | null {
  const from = now - p.settleMs;
  if (from < p.observeFrom) return 'observing for less than the settle time';
  const open = new Map<string, number>();   // role:start type -> t of an attempt without outcome
  for (const e of [...events].sort((a, b) => a.t - b.t)) {
    if (e.t > now) continue;
    if (e.t > from && !BOOKKEEPING_TYPES.has(e.type)) return `${e.role} ${e.type} ${(now - e.t).toFixed(0)} ms ago`;
    if (STARTS[e.type]) open.set(`${e.role}:${e.type}`, e.t);
    for (const start of Object.keys(STARTS)) if (ends(start, e.type)) open.delete(`${e.role}:${start}`);
  }
  for (const [what, t] of open) if (now - t < ATTEMPT_MS) return `${what} under way`;
  const { frames } = frameTable(events.filter((e) => e.t <= now), {
    ...DEFAULT_PARAMS, jitterBufferMs: p.jitterBufferMs, observeEndMs: now - FLUSH_MS + p.jitterBufferMs,
  });
  const recent = frames.filter((f) => f.deadline > from);
  if (recent.length < (0.8 * p.settleMs) / FRAME_MS) return 'too few frames judged';
  if (recent.some((f) => f.state !== 'on-time')) return 'concealment';
  if (new Set(recent.map((f) => f.path)).size > 1) return 'frames on more than one path';
  return null;
}

/** Watches a running run's logs (every pair's folder, for pairs:N; the harness log is in the first)
 *  from `observeFrom` on, and resolves with the time it settled; stops watching on `signal`. */
export function settleWatch(dirs: string[], p: SettleParams, signal: AbortSignal, pollMs = 200): Promise<number> {
  const tails = dirs.map((d) => ['answerer', 'mobile', 'intermediate'].map((r) => new LogTail(path.join(d, `events.${r}.jsonl`))));
  const harness = new LogTail(path.join(dirs[0]!, 'events.harness.jsonl'));
  const logs = dirs.map(() => [] as LogEvent[]);
  const harnessEvents: LogEvent[] = [];
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      harnessEvents.push(...harness.read());
      tails.forEach((ts, i) => { for (const t of ts) logs[i]!.push(...t.read()); });
      const now = Date.now();
      if (logs.every((l) => unsettled([...l, ...harnessEvents], now, p) === null)) { clearInterval(timer); resolve(now); }
    }, pollMs);
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  });
}
