// The per-frame table of one run, shared by the metrics (harness/metrics.ts), the report's timeline
// (harness/timeline.ts) and the live view: every frame of the sender's schedule in the observe window,
// its playout deadline, its first arrival and whether it played. docs/metrics.md defines each rule.
import type { LogEvent, Role } from '../core/events.ts';
import { adaptivePlayout, arrivedBy, BASE_DELAY_WINDOW_MS, baseDelay, playoutDeadline, type Playout } from '../core/playout.ts';

export type FrameState = 'on-time' | 'late' | 'lost';
export type FramePath = 'direct' | 'relay' | 'other';

export interface Frame {
  seq: number;
  sentAt: number;
  deadline: number;
  /** First arrival at the receiver (null: never arrived). */
  arrival: number | null;
  path: FramePath | null;
  state: FrameState;
  /** Its first arrival carries in-band FEC for the frame before it (audio.recv `fec`: Opus only). */
  fec: boolean;
  /** False for a frame of the schedule the sender never logged (dead or stalled): it counts as lost. */
  logged: boolean;
}

export interface FrameParams {
  jitterBufferMs: number;
  frameMs: number;
  direction: { sender: Role; receiver: Role };
  /** Absolute t when observation ended; default: the last event's t (the schedule is then not extended). */
  observeEndMs?: number;
  /** fixed (default): every frame plays at sentAt + D0 + J; adaptive: at sentAt + the adaptive buffer's delay (core/playout.ts). */
  playout?: Playout;
}

export interface FrameTable {
  /** The run's event time: the first event.fired, else the first frame's send time. */
  E: number;
  eventT: number | null;
  eventIssued: number | null;
  /** D0: the smallest one-way delay of the pre-event window; null if no frame of it arrived (then 0 is used). */
  baseDelayMs: number | null;
  /** Observed frames in seq order. */
  frames: Frame[];
  /** Bytes of the stream's frames on the wire, each seq once (audio.sent `bytes`; 0 in logs from before it). */
  mediaBytes: number;
  logStart: number;
  logEnd: number;
  observeEnd: number;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function frameTable(events: LogEvent[], p: FrameParams): FrameTable {
  const { jitterBufferMs: J, frameMs } = p;
  const { sender, receiver } = p.direction;
  const sentAt = new Map<number, number>();                        // seq -> earliest logged send time
  const arrival = new Map<number, { t: number; path: unknown; fec: boolean }>(); // seq -> earliest arrival
  const bytes = new Map<number, number>();                          // seq -> bytes of its first logged send
  let logStart = Infinity, logEnd = -Infinity;
  let eventT: number | null = null, eventIssued: number | null = null;
  for (const e of events) {
    const t = e.t;
    if (!num(t)) continue;
    if (t < logStart) logStart = t;
    if (t > logEnd) logEnd = t;
    const seq = e['seq'];
    if (e.type === 'audio.sent' && e.role === sender && num(seq)) {
      const prev = sentAt.get(seq);
      if (prev === undefined || t < prev) sentAt.set(seq, t);
      if (num(e['bytes']) && !bytes.has(seq)) bytes.set(seq, e['bytes']);
    } else if (e.type === 'audio.recv' && e.role === receiver && num(seq)) {
      const prev = arrival.get(seq);
      if (prev === undefined || t < prev.t) arrival.set(seq, { t, path: e['path'], fec: e['fec'] === true });
    } else if (e.type === 'event.fired' && e.role === 'harness' && (eventT === null || t < eventT)) {
      eventT = t;
      eventIssued = num(e['tIssued']) ? e['tIssued'] : t - 1;
    }
  }
  const observeEnd = p.observeEndMs ?? logEnd;
  const logged = [...sentAt.keys()].sort((a, b) => a - b);
  let firstSent = Infinity;
  for (const s of sentAt.values()) if (s < firstSent) firstSent = s;
  const E = eventT ?? (firstSent < Infinity ? firstSent : logStart);

  // D0 over [E - window, E); with no event, over the first window of audio.
  const arrived = logged.flatMap((seq) => {
    const a = arrival.get(seq);
    return a ? [{ sentAt: sentAt.get(seq)!, arrivedAt: a.t }] : [];
  });
  const d0 = eventT === null ? baseDelay(arrived, E, E + BASE_DELAY_WINDOW_MS) : baseDelay(arrived, E - BASE_DELAY_WINDOW_MS, E);
  const D0 = d0 ?? 0;

  // The sender's schedule: seqs it skipped in its log continue its 20 ms grid, and with a known
  // observe end the schedule runs on to the window's end (a dead or stalled sender loses frames).
  const schedule: [number, number, boolean][] = [];   // seq, sentAt, logged
  for (let i = 0; i < logged.length; i++) {
    const seq = logged[i]!, s = sentAt.get(seq)!;
    schedule.push([seq, s, true]);
    const next = logged[i + 1];
    const until = next === undefined ? (p.observeEndMs === undefined ? seq : Infinity) : next;
    for (let k = 1; seq + k < until; k++) {
      const t = s + k * frameMs;
      if ((next !== undefined && t >= sentAt.get(next)!) || playoutDeadline(t, D0, J) > observeEnd - J) break;
      schedule.push([seq + k, t, false]);
    }
  }

  const heard = (seq: number, isLogged: boolean) => (isLogged ? arrival.get(seq) : undefined);
  const adaptive = p.playout === 'adaptive'
    ? adaptivePlayout(schedule.map(([seq, s, isLogged]) => ({ sentAt: s, arrivedAt: heard(seq, isLogged)?.t ?? null }))) : null;
  const frames: Frame[] = [];
  for (const [k, [seq, s, isLogged]] of schedule.entries()) {
    // the window is the fixed rule's either way, so both rules judge the same frames
    if (!(playoutDeadline(s, D0, J) > logStart && playoutDeadline(s, D0, J) <= observeEnd - J)) continue;
    const deadline = adaptive ? s + adaptive[k]! : playoutDeadline(s, D0, J);
    const a = heard(seq, isLogged);
    frames.push({
      seq, sentAt: s, deadline, arrival: a ? a.t : null, logged: isLogged,
      path: !a ? null : a.path === 'direct' ? 'direct' : a.path === 'relay' ? 'relay' : 'other',
      state: !a ? 'lost' : arrivedBy(a.t, deadline) ? 'on-time' : 'late', fec: a?.fec ?? false,
    });
  }
  let mediaBytes = 0;
  for (const b of bytes.values()) mediaBytes += b;
  return { E, eventT, eventIssued, baseDelayMs: d0, frames, mediaBytes, logStart, logEnd, observeEnd };
}
