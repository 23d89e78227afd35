// A run's metrics from its merged event log (DESIGN §6). Pure: no I/O, no clock, no globals.
// Exact definitions: METRIC_GLOSSARY below and docs/metrics.md (same text).
import type { LogEvent, Role } from '../strategies/shared/events.ts';
import { isOnTime } from '../strategies/shared/audio.ts';

export interface MetricParams {
  /** J: a frame plays at sentAt + J. */
  jitterBufferMs: number;
  /** Audio frame length; one concealed frame = frameMs of concealment. */
  frameMs: number;
  /** Measured by the harness on the mobile's post-event uplink. */
  rttMobileIntermediateMs?: number;
  rttIntermediateAnswererMs?: number;
  /** RTT of the direct path on the post-event uplink (make-before-break floor). */
  rttStandbyMs?: number;
  /** Absolute t (ms since epoch) when observation ended; default: the last event's t. */
  observeEndMs?: number;
  /** Which audio direction is measured (with `--audio both` both peers send). */
  direction: { sender: Role; receiver: Role };
}

export interface RunMetrics {
  gap_ms: number;
  concealed_ms: number;
  recovery_ms: number | null;
  direct_ms: number | null;
  limit_ms: number | null;
  limit_standby_ms: number | null;
  detect_ms: number | null;
  relay_bytes: number;
  dup_bytes: number;
  keepalive_bps: number;
  handshakes: number;
  signal_msgs: number;
  success: boolean;
  frames_sent: number;
  frames_on_time: number;
  frames_late: number;
  frames_lost: number;
  /** Concealed frames with deadline in [E − 3000, E). */
  pre_event_concealed: number;
  /** Per role: user + system CPU seconds from role.stop. */
  cpu_s: Record<string, number>;
  event_t: number | null;
}

export const DEFAULT_PARAMS: Readonly<MetricParams> = Object.freeze({
  jitterBufferMs: 80,
  frameMs: 20,
  direction: Object.freeze({ sender: 'answerer', receiver: 'mobile' }) as { sender: Role; receiver: Role },
});

/** Frames in the 10-frame run that marks recovery. */
export const RECOVERY_RUN = 10;
/** Width of the pre-event window for pre_event_concealed. */
export const PRE_EVENT_MS = 3000;

// The on-time rule lives with the audio sink, so received.wav and the metrics cannot disagree.
export { isOnTime };

/** Every metric once, in report/CSV column order (the order of RunMetrics). */
export const METRIC_ORDER: readonly (keyof RunMetrics)[] = [
  'gap_ms', 'concealed_ms', 'recovery_ms', 'direct_ms', 'limit_ms', 'limit_standby_ms', 'detect_ms',
  'relay_bytes', 'dup_bytes', 'keepalive_bps', 'handshakes', 'signal_msgs', 'success',
  'frames_sent', 'frames_on_time', 'frames_late', 'frames_lost', 'pre_event_concealed', 'cpu_s', 'event_t',
];

/** One precise sentence per metric; the report's glossary. docs/metrics.md carries the same text. */
export const METRIC_GLOSSARY: Record<keyof RunMetrics, string> = {
  gap_ms: 'Longest run of consecutive-seq concealed frames among observed frames whose playout deadline is after E (the earliest such run if several tie), times the frame length.',
  concealed_ms: 'Number of concealed (late or lost) frames in the observe window, before and after the event, times the frame length.',
  recovery_ms: 'Playout deadline of the first frame of the first run of 10 consecutive-seq on-time frames that starts after the longest post-event gap (with no gap: the first such run starting with a frame whose deadline is after E), minus E; null if there is no such run.',
  direct_ms: 'With D the first observed frame whose deadline is after E and that was concealed or first arrived via the relay: arrival time of the first frame with seq > D.seq whose first arrival was direct, minus E; with no D, arrival time of the first post-event frame that first arrived direct, minus E (can be negative, down to -J, when nothing was disrupted); null if none.',
  limit_ms: 'Physical floor for a relay-bridged switch: detect_ms + RTT mobile-intermediate + RTT intermediate-answerer as measured by the harness on the post-event uplink; null if any of the three is missing.',
  limit_standby_ms: 'Physical floor for make-before-break: detect_ms + one RTT of the direct path on the post-event uplink; null if either is missing.',
  detect_ms: 'Time of the first netchange.detected (any role) at or after the event was issued (event.fired tIssued; E - 1 ms without it), minus E — slightly negative when the host noticed the change before the harness had stamped it; null if none.',
  relay_bytes: 'Sum over the intermediate\'s relays (its QUIC relay; coturn for the WebRTC strategies) of the largest cumulative byte count in their relay.bytes events (0 if none): every payload byte relayed in the run.',
  dup_bytes: 'Bytes a strategy sent twice on purpose (redundant copies on a standby path, loss-repair re-sends): the sum over roles of the largest cumulative duplicate count in their overhead.bytes events (0 if none).',
  keepalive_bps: 'Path-maintenance bytes (keepalive probes and their answers) per second of the run: the sum over roles of the largest cumulative keepalive count in their overhead.bytes events, divided by the span of the run\'s log (0 if none).',
  handshakes: 'Number of P2P connections made over the whole run: handshake.ok events with the other peer (with = peer) logged by the receiver (one end of every connection); handshakes with the intermediate are not counted.',
  signal_msgs: 'Number of signal.sent events from any role at or after E (over the whole run if there was no event.fired).',
  success: 'True iff recovery_ms is not null, i.e. 10 consecutive on-time frames followed the longest post-event gap inside the observe window.',
  frames_sent: 'Distinct seqs the sender logged as audio.sent whose playout deadline lies in the observe window (after the log\'s first event, at most observe end - J); equals on time + late + lost.',
  frames_on_time: 'Observed frames whose first arrival at the receiver was no later than sentAt + J.',
  frames_late: 'Observed frames that first arrived after their playout deadline sentAt + J (concealed).',
  frames_lost: 'Observed frames that never arrived at the receiver (concealed).',
  pre_event_concealed: 'Concealed observed frames with playout deadline in [E - 3000 ms, E): the baseline impairment just before the event.',
  cpu_s: 'Per role, user + system CPU seconds reported by its role.stop event (summed if a role stopped more than once).',
  event_t: 't of the harness\'s first event.fired (ms since epoch), i.e. E; null if there was none, in which case E is the send time of the first frame and every after-event metric covers the whole run.',
};
/** The event-window rule shared by every after-event metric. */
export const EVENT_WINDOW_NOTE = 'E is the t of the harness\'s first event.fired; with no event.fired, E is the send time of the first frame the sender logged, so every after-event metric covers the whole run; a frame is post-event iff its playout deadline sentAt + J is after E.';

const ON_TIME = 0, LATE = 1, LOST = 2;
const OTHER = 0, DIRECT = 1, RELAY = 2;

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** Time metrics are differences of ~1.7e12 ms floats: keep microseconds, drop the float noise. */
const ms = (v: number): number => Math.round(v * 1000) / 1000;

/** Computes a run's metrics from its merged event log (any order; every role's events together). */
export function computeMetrics(events: LogEvent[], params: Partial<MetricParams> = {}): RunMetrics {
  const J = params.jitterBufferMs ?? DEFAULT_PARAMS.jitterBufferMs;
  const frameMs = params.frameMs ?? DEFAULT_PARAMS.frameMs;
  const { sender, receiver } = params.direction ?? DEFAULT_PARAMS.direction;
  if (!(J >= 0) || !Number.isFinite(J)) throw new Error(`jitterBufferMs must be a finite number >= 0, got ${J}`);
  if (!(frameMs > 0) || !Number.isFinite(frameMs)) throw new Error(`frameMs must be a finite number > 0, got ${frameMs}`);

  // ---- one pass over the log -------------------------------------------------------------------
  const sentAt = new Map<number, number>();                       // seq -> earliest send time
  const arrival = new Map<number, { t: number; path: unknown }>(); // seq -> earliest arrival
  const netchanges: number[] = [];
  const signals: number[] = [];
  const cpu_s: Record<string, number> = {};
  let logStart = Infinity, logEnd = -Infinity;
  let eventT: number | null = null;
  let handshakes = 0;
  const relayed = new Map<string, number>();   // relay name -> largest cumulative count
  const overhead = new Map<string, { keepalive: number; duplicate: number }>();   // role -> largest cumulative counts
  let eventIssued = 0;

  for (const e of events) {
    const t = e.t;
    if (!num(t)) continue;
    if (t < logStart) logStart = t;
    if (t > logEnd) logEnd = t;
    switch (e.type) {
      case 'audio.sent':
        if (e.role === sender && num(e['seq'])) {
          const seq = e['seq'], prev = sentAt.get(seq);
          if (prev === undefined || t < prev) sentAt.set(seq, t);
        }
        break;
      case 'audio.recv':
        if (e.role === receiver && num(e['seq'])) {
          const seq = e['seq'], prev = arrival.get(seq);
          if (prev === undefined || t < prev.t) arrival.set(seq, { t, path: e['path'] });
        }
        break;
      case 'event.fired':
        if (e.role === 'harness' && (eventT === null || t < eventT)) {
          eventT = t;
          eventIssued = num(e['tIssued']) ? e['tIssued'] : t - 1;
        }
        break;
      case 'netchange.detected': netchanges.push(t); break;
      case 'signal.sent': signals.push(t); break;
      // Each P2P connection is counted once: at the receiver, one end of every one of them.
      case 'handshake.ok': if (e['with'] === 'peer' && e.role === receiver) handshakes++; break;
      case 'relay.bytes': {
        const relay = typeof e['relay'] === 'string' ? e['relay'] : 'quic';
        if (num(e['bytes']) && e['bytes'] > (relayed.get(relay) ?? 0)) relayed.set(relay, e['bytes']);
        break;
      }
      case 'overhead.bytes': {
        const o = overhead.get(e.role) ?? { keepalive: 0, duplicate: 0 };
        if (num(e['keepalive'])) o.keepalive = Math.max(o.keepalive, e['keepalive']);
        if (num(e['duplicate'])) o.duplicate = Math.max(o.duplicate, e['duplicate']);
        overhead.set(e.role, o);
        break;
      }
      case 'role.stop': {
        const u = num(e['cpuUserS']) ? e['cpuUserS'] : 0, s = num(e['cpuSystemS']) ? e['cpuSystemS'] : 0;
        cpu_s[e.role] = Math.round(((cpu_s[e.role] ?? 0) + u + s) * 1e6) / 1e6;
        break;
      }
    }
  }
  const observeEnd = params.observeEndMs ?? logEnd;

  // ---- the observed frames, in seq order --------------------------------------------------------
  const seqs = [...sentAt.keys()].sort((a, b) => a - b);
  const n0 = seqs.length;
  const fSeq = new Float64Array(n0), fDeadline = new Float64Array(n0), fArr = new Float64Array(n0);
  const fState = new Uint8Array(n0), fPath = new Uint8Array(n0); // path of the first arrival
  let n = 0, late = 0, lost = 0, firstSent = Infinity;
  for (const s of sentAt.values()) if (s < firstSent) firstSent = s;
  for (const seq of seqs) {
    const s = sentAt.get(seq)!;
    const deadline = s + J;
    if (!(deadline > logStart && deadline <= observeEnd - J)) continue; // outside the observe window
    const a = arrival.get(seq);
    fSeq[n] = seq;
    fDeadline[n] = deadline;
    fArr[n] = a ? a.t : NaN;
    fPath[n] = a?.path === 'direct' ? DIRECT : a?.path === 'relay' ? RELAY : OTHER;
    const state = !a ? LOST : isOnTime(s, a.t, J) ? ON_TIME : LATE;
    fState[n] = state;
    if (state === LATE) late++; else if (state === LOST) lost++;
    n++;
  }
  const concealed = (i: number) => fState[i] !== ON_TIME;
  const follows = (i: number) => i > 0 && fSeq[i] === fSeq[i - 1]! + 1; // frame i is seq(i-1)+1

  // E for the after-event metrics (the first frame's send time when nothing fired).
  const E = eventT ?? (firstSent < Infinity ? firstSent : logStart);
  const post = (i: number) => fDeadline[i]! > E;

  // ---- gap: longest consecutive-seq run of concealed post-event frames (earliest on ties) ---------
  let gapLen = 0, gapEnd = -1, runLen = 0;
  for (let i = 0; i < n; i++) {
    if (post(i) && concealed(i)) {
      runLen = runLen > 0 && follows(i) ? runLen + 1 : 1;
      if (runLen > gapLen) { gapLen = runLen; gapEnd = i; }
    } else runLen = 0;
  }

  // ---- recovery: first 10 consecutive on-time frames after that gap ------------------------------
  let recovery: number | null = null;
  runLen = 0;
  for (let i = gapLen > 0 ? gapEnd + 1 : 0; i < n; i++) {
    if (fState[i] !== ON_TIME) { runLen = 0; continue; }
    if (runLen > 0 && follows(i)) runLen++;
    else runLen = gapLen > 0 || post(i) ? 1 : 0; // with no gap, the run must start after E
    if (runLen === RECOVERY_RUN) { recovery = ms(fDeadline[i - RECOVERY_RUN + 1]! - E); break; }
  }

  // ---- direct: first direct frame after the first disrupted (concealed or relayed) frame D -------
  let direct: number | null = null;
  let d = -1;
  for (let i = 0; i < n; i++) if (post(i) && (concealed(i) || fPath[i] === RELAY)) { d = i; break; }
  for (let i = d >= 0 ? d + 1 : 0; i < n; i++) {
    if ((d >= 0 || post(i)) && fPath[i] === DIRECT) { direct = ms(fArr[i]! - E); break; }
  }

  // ---- detection and its floors -----------------------------------------------------------------
  let detectT = Infinity;
  // The event took effect between tIssued and t: a detection in that window counts (slightly < 0).
  const from = eventT === null ? E - 1 : eventIssued;
  for (const t of netchanges) if (t >= from && t < detectT) detectT = t;
  const detect = detectT === Infinity ? null : ms(detectT - E);
  const { rttMobileIntermediateMs: rMI, rttIntermediateAnswererMs: rIA, rttStandbyMs: rS } = params;
  const limit = detect !== null && num(rMI) && num(rIA) ? ms(detect + rMI + rIA) : null;
  const limitStandby = detect !== null && num(rS) ? ms(detect + rS) : null;

  let signalMsgs = 0;
  for (const t of signals) if (eventT === null || t >= eventT) signalMsgs++;

  let preEvent = 0; // always 0 without an event: every deadline is after the first send time
  for (let i = 0; i < n; i++) if (concealed(i) && fDeadline[i]! >= E - PRE_EVENT_MS && fDeadline[i]! < E) preEvent++;

  return {
    gap_ms: gapLen * frameMs,
    concealed_ms: (late + lost) * frameMs,
    recovery_ms: recovery,
    direct_ms: direct,
    limit_ms: limit,
    limit_standby_ms: limitStandby,
    detect_ms: detect,
    relay_bytes: [...relayed.values()].reduce((a, b) => a + b, 0),
    dup_bytes: [...overhead.values()].reduce((a, o) => a + o.duplicate, 0),
    keepalive_bps: logEnd > logStart
      ? Math.round([...overhead.values()].reduce((a, o) => a + o.keepalive, 0) / ((logEnd - logStart) / 1000)) : 0,
    handshakes,
    signal_msgs: signalMsgs,
    success: recovery !== null,
    frames_sent: n,
    frames_on_time: n - late - lost,
    frames_late: late,
    frames_lost: lost,
    pre_event_concealed: preEvent,
    cpu_s,
    event_t: eventT,
  };
}
