// A synthetic run's event log, for the metric and early-stop tests.
import type { LogEvent, PathKind, Role } from '../../core/events.ts';

// Frame n is sent at T0 + 20n; it arrives after `delay` ms unless the frame plan says otherwise, so
// the base delay D0 is 30 and frame n plays at sent + 30 + 80. The event fires at E = T0 + 10 005,
// so the first post-event frame (deadline > E) is n = 495 (deadline T0 + 10 010). Every role stops at T0 + 20·frames + 200, which is the default
// observe end, late enough that every frame is observed.
export const T0 = 1_700_000_000_000;
export const E = T0 + 10_005;
export const sent = (n: number) => T0 + 20 * n;
export const D0 = 30;
export const deadline = (n: number) => sent(n) + D0 + 80;

export type Arrival = { delay: number; path?: PathKind };
export interface Run {
  frames?: number;                                 // default 1000 (20 s)
  delay?: number;                                  // default 30 ms
  /** Per frame: null = lost, an Arrival or a list of arrivals (duplicates), undefined = default. */
  plan?: (n: number) => Arrival | Arrival[] | null | undefined;
  eventAt?: number | null;                         // default E; null: no event.fired
  stopAt?: number | null;                          // role.stop time; null: no role.stop events
  extra?: LogEvent[];
  /** audio.sent `bytes` of every frame (absent: not logged, as before the field existed). */
  bytes?: number;
  /** Frames whose packet carries in-band FEC for the frame before (audio.recv `fec`). */
  fec?: (n: number) => boolean;
}
export function build(run: Run = {}): LogEvent[] {
  const frames = run.frames ?? 1000, delay = run.delay ?? 30;
  const log: LogEvent[] = [];
  for (let n = 0; n < frames; n++) {
    const planned = run.plan?.(n);
    const arrivals = planned === null ? [] : planned === undefined ? [{ delay }] : Array.isArray(planned) ? planned : [planned];
    const path = arrivals[0]?.path ?? 'direct';
    log.push({ t: sent(n), role: 'answerer', type: 'audio.sent', seq: n, path, ...(run.bytes ? { bytes: run.bytes } : {}) });
    for (const a of arrivals) {
      log.push({ t: sent(n) + a.delay, role: 'mobile', type: 'audio.recv', seq: n, path: a.path ?? 'direct', sentAt: sent(n), ...(run.fec?.(n) ? { fec: true } : {}) });
    }
  }
  const eventAt = run.eventAt === undefined ? E : run.eventAt;
  if (eventAt !== null) log.push({ t: eventAt, role: 'harness', type: 'event.fired', name: 'handover', tIssued: eventAt - 1 });
  const stopAt = run.stopAt === undefined ? sent(frames) + 200 : run.stopAt;
  if (stopAt !== null) {
    for (const role of ['intermediate', 'answerer', 'mobile'] as Role[]) {
      log.push({ t: stopAt, role, type: 'role.stop', cpuUserS: 1.25, cpuSystemS: 0.5 });
    }
  }
  log.push(...(run.extra ?? []));
  return log.sort((a, b) => a.t - b.t);
}
export const ev = (t: number, role: Role, type: string, fields: Record<string, unknown> = {}): LogEvent => ({ t, role, type, ...fields });

/** mulberry32: a small seeded PRNG, so randomised cases are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
