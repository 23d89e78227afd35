// A run's metrics from its merged event log (docs/metrics.md). Pure: no I/O, no clock, no globals.
// Exact definitions: METRIC_GLOSSARY below and docs/metrics.md (same text).
import type { LogEvent, Role } from '../core/events.ts';
import { BASE_DELAY_WINDOW_MS, DEFAULT_JITTER_BUFFER_MS, FRAME_MS, type Playout } from '../core/playout.ts';
import { PCM, type Codec } from '../core/codec.ts';
import { frameTable } from './frames.ts';
import { quality } from './quality.ts';
import { median } from './stats.ts';

export interface MetricParams {
  /** J: a frame plays at sentAt + D0 + J (D0: base_delay_ms). */
  jitterBufferMs: number;
  /** Audio frame length; one concealed frame = frameMs of concealment. */
  frameMs: number;
  /** Measured by the harness on the mobile's post-event uplink (RTTs of the relay path). */
  rttMobileIntermediateMs?: number;
  rttIntermediateAnswererMs?: number;
  /** RTT of the direct path on the uplink that survives the event (make-before-break floor). */
  rttStandbyMs?: number;
  /** Absolute t (ms since epoch) when observation ended; default: the last event's t. */
  observeEndMs?: number;
  /** What the frames carried (the receiver model and the E-model depend on it); default PCM. */
  codec?: Codec;
  /** The playout rule (core/playout.ts); default fixed: sentAt + D0 + J. */
  playout?: Playout;
  /** Which audio direction is measured (with `--audio both` both peers send). */
  direction: { sender: Role; receiver: Role };
}

export interface RunMetrics {
  gap_ms: number;
  concealed_ms: number;
  recovery_ms: number | null;
  direct_ms: number | null;
  switch_ms: number | null;
  limit_ms: number | null;
  limit_standby_ms: number | null;
  detect_ms: number | null;
  base_delay_ms: number | null;
  added_delay_ms: number | null;
  audible_ms: number;
  fec_frames: number;
  mos: number | null;
  mos_pre: number | null;
  mos_event: number | null;
  burst_density_pct: number;
  gap_density_pct: number;
  burst_mean_ms: number;
  gap_period_mean_ms: number;
  relay_bytes: number;
  dup_bytes: number;
  keepalive_bps: number;
  media_bytes: number;
  relay_pct: number | null;
  dup_pct: number | null;
  keepalive_pct: number | null;
  /** Every byte beyond the media sent once (upkeep and copies), % of media_bytes: a strategy's price. */
  extra_pct: number | null;
  handshakes: number;
  signal_msgs: number;
  success: boolean;
  frames_sent: number;
  frames_on_time: number;
  frames_late: number;
  frames_lost: number;
  frames_unsent: number;
  /** Concealed frames with deadline in [E − 3000, E). */
  pre_event_concealed: number;
  /** Per role: user + system CPU seconds from role.stop. */
  cpu_s: Record<string, number>;
  event_t: number | null;
}

export const DEFAULT_PARAMS: Readonly<MetricParams> = Object.freeze({
  jitterBufferMs: DEFAULT_JITTER_BUFFER_MS,
  frameMs: FRAME_MS,
  direction: Object.freeze({ sender: 'answerer', receiver: 'mobile' }) as { sender: Role; receiver: Role },
});

/** Frames in the 10-frame run that marks recovery. */
export const RECOVERY_RUN = 10;
/** Width of the pre-event window for pre_event_concealed (the window D0 is taken over, too). */
export const PRE_EVENT_MS = BASE_DELAY_WINDOW_MS;
/** The end of the window over which added_delay_ms takes its median. */
export const ADDED_DELAY_WINDOW_MS = 1000;

/** Every metric once, in report/CSV column order (the order of RunMetrics). */
export const METRIC_ORDER: readonly (keyof RunMetrics)[] = [
  'gap_ms', 'concealed_ms', 'audible_ms', 'fec_frames', 'mos', 'mos_pre', 'mos_event', 'burst_density_pct', 'gap_density_pct', 'burst_mean_ms', 'gap_period_mean_ms', 'recovery_ms', 'direct_ms', 'switch_ms', 'limit_ms', 'limit_standby_ms', 'detect_ms',
  'base_delay_ms', 'added_delay_ms', 'relay_bytes', 'dup_bytes', 'keepalive_bps', 'media_bytes', 'relay_pct', 'dup_pct', 'keepalive_pct', 'extra_pct', 'handshakes', 'signal_msgs', 'success',
  'frames_sent', 'frames_on_time', 'frames_late', 'frames_lost', 'frames_unsent', 'pre_event_concealed', 'cpu_s', 'event_t',
];

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** Time metrics are differences of ~1.7e12 ms floats: keep microseconds, drop the float noise. */
const ms = (v: number): number => Math.round(v * 1000) / 1000;

/** Computes a run's metrics from its merged event log (any order; every role's events together). */
export function computeMetrics(events: LogEvent[], params: Partial<MetricParams> = {}): RunMetrics {
  const J = params.jitterBufferMs ?? DEFAULT_PARAMS.jitterBufferMs;
  const frameMs = params.frameMs ?? DEFAULT_PARAMS.frameMs;
  const direction = params.direction ?? DEFAULT_PARAMS.direction;
  if (!(J >= 0) || !Number.isFinite(J)) throw new Error(`jitterBufferMs must be a finite number >= 0, got ${J}`);
  if (!(frameMs > 0) || !Number.isFinite(frameMs)) throw new Error(`frameMs must be a finite number > 0, got ${frameMs}`);
  const table = frameTable(events, { jitterBufferMs: J, frameMs, direction, observeEndMs: params.observeEndMs, playout: params.playout });
  const { E, eventT, eventIssued, frames: f, logStart, logEnd } = table;
  const n = f.length;

  // ---- everything that is not a frame ----------------------------------------------------------
  const netchanges: number[] = [];
  const signals: number[] = [];
  const cpu_s: Record<string, number> = {};
  let handshakes = 0;
  const relayed = new Map<string, number>();   // relay name -> largest cumulative count
  const overhead = new Map<string, { keepalive: number; duplicate: number }>();   // role -> largest cumulative counts
  for (const e of events) {
    if (!num(e.t)) continue;
    switch (e.type) {
      case 'netchange.detected': netchanges.push(e.t); break;
      case 'signal.sent': signals.push(e.t); break;
      // Each P2P connection is counted once: at the receiver, one end of every one of them.
      case 'handshake.ok': if (e['with'] === 'peer' && e.role === direction.receiver) handshakes++; break;
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

  const concealed = (i: number) => f[i]!.state !== 'on-time';
  const follows = (i: number) => i > 0 && f[i]!.seq === f[i - 1]!.seq + 1; // frame i is seq(i-1)+1
  const post = (i: number) => f[i]!.deadline > E;
  let late = 0, lost = 0, unsent = 0;
  for (const x of f) {
    if (x.state === 'late') late++; else if (x.state === 'lost') lost++;
    if (!x.logged) unsent++;
  }

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
    if (concealed(i)) { runLen = 0; continue; }
    if (runLen > 0 && follows(i)) runLen++;
    else runLen = gapLen > 0 || post(i) ? 1 : 0; // with no gap, the run must start after E
    if (runLen === RECOVERY_RUN) { recovery = ms(f[i - RECOVERY_RUN + 1]!.deadline - E); break; }
  }

  // ---- direct: first direct frame after the first disrupted (concealed or relayed) frame D -------
  let direct: number | null = null;
  let d = -1;
  for (let i = 0; i < n; i++) if (post(i) && (concealed(i) || f[i]!.path === 'relay')) { d = i; break; }
  for (let i = d >= 0 ? d + 1 : 0; i < n; i++) {
    if ((d >= 0 || post(i)) && f[i]!.path === 'direct') { direct = ms(f[i]!.arrival! - E); break; }
  }

  // ---- switch: the first frame sent at or after E that arrived (it can only have come by the path
  // the strategy uses after the event), and the latency price of the path it ends on -------------
  let switchT = Infinity;
  for (const x of f) if (x.sentAt >= E && x.arrival !== null && x.arrival < switchT) switchT = x.arrival;
  const lastSent = n ? f[n - 1]!.sentAt : -Infinity;
  const tailDelays = f.filter((x) => x.arrival !== null && x.sentAt > lastSent - ADDED_DELAY_WINDOW_MS).map((x) => x.arrival! - x.sentAt);
  const addedDelay = tailDelays.length && table.baseDelayMs !== null ? ms(median(tailDelays)! - table.baseDelayMs) : null;

  // ---- detection and its floors -----------------------------------------------------------------
  let detectT = Infinity;
  // The event took effect between tIssued and t: a detection in that window counts (slightly < 0).
  const from = eventT === null ? E - 1 : eventIssued!;
  for (const t of netchanges) if (t >= from && t < detectT) detectT = t;
  const detect = detectT === Infinity ? null : ms(detectT - E);
  const { rttMobileIntermediateMs: rMI, rttIntermediateAnswererMs: rIA, rttStandbyMs: rS } = params;
  // A stream already relayed before the event keeps its answerer-intermediate leg: the relay only
  // has to learn the mobile's new address (one RTT of the new uplink to the intermediate).
  let before: (typeof f)[number] | undefined;
  for (const x of f) if (x.sentAt < E && x.arrival !== null) before = x;
  const relayedBefore = before?.path === 'relay';
  const limit = detect !== null && num(rMI) && (relayedBefore || num(rIA)) ? ms(detect + rMI + (relayedBefore ? 0 : rIA!)) : null;
  const limitStandby = detect !== null && num(rS) ? ms(detect + rS) : null;

  let signalMsgs = 0;
  for (const t of signals) if (eventT === null || t >= eventT) signalMsgs++;

  let preEvent = 0; // always 0 without an event: every deadline is after the first send time
  for (let i = 0; i < n; i++) if (concealed(i) && f[i]!.deadline >= E - PRE_EVENT_MS && f[i]!.deadline < E) preEvent++;

  const relayBytes = [...relayed.values()].reduce((a, b) => a + b, 0);
  const dupBytes = [...overhead.values()].reduce((a, o) => a + o.duplicate, 0);
  const keepaliveBytes = [...overhead.values()].reduce((a, o) => a + o.keepalive, 0);
  const pct = (bytes: number) => (table.mediaBytes > 0 ? Math.round((10000 * bytes) / table.mediaBytes) / 100 : null);
  return {
    gap_ms: gapLen * frameMs,
    concealed_ms: (late + lost) * frameMs,
    ...quality(table, params.codec ?? PCM, addedDelay, params.playout),
    recovery_ms: recovery,
    direct_ms: direct,
    switch_ms: switchT === Infinity ? null : ms(switchT - E),
    limit_ms: limit,
    limit_standby_ms: limitStandby,
    detect_ms: detect,
    base_delay_ms: table.baseDelayMs === null ? null : ms(table.baseDelayMs),
    added_delay_ms: addedDelay,
    relay_bytes: relayBytes,
    dup_bytes: dupBytes,
    keepalive_bps: logEnd > logStart ? Math.round(keepaliveBytes / ((logEnd - logStart) / 1000)) : 0,
    media_bytes: table.mediaBytes,
    relay_pct: pct(relayBytes),
    dup_pct: pct(dupBytes),
    keepalive_pct: pct(keepaliveBytes),
    extra_pct: pct(keepaliveBytes + dupBytes),
    handshakes,
    signal_msgs: signalMsgs,
    success: recovery !== null,
    frames_sent: n,
    frames_on_time: n - late - lost,
    frames_late: late,
    frames_lost: lost,
    frames_unsent: unsent,
    pre_event_concealed: preEvent,
    cpu_s,
    event_t: eventT,
  };
}

/** What each event of a schedule cost: the concealed frames whose deadline falls after it and no
 *  later than the next event (the last one: to the window's end), and the longest run of them. */
export interface EventSegment { name: string; t: number; concealed_ms: number; gap_ms: number }

export function eventSegments(events: LogEvent[], params: Partial<MetricParams> = {}): EventSegment[] {
  const frameMs = params.frameMs ?? DEFAULT_PARAMS.frameMs;
  const { frames } = frameTable(events, {
    jitterBufferMs: params.jitterBufferMs ?? DEFAULT_PARAMS.jitterBufferMs, frameMs,
    direction: params.direction ?? DEFAULT_PARAMS.direction, observeEndMs: params.observeEndMs, playout: params.playout,
  });
  const fired = events.filter((e) => e.type === 'event.fired' && e.role === 'harness' && num(e.t)).sort((a, b) => a.t - b.t);
  return fired.map((e, k) => {
    const until = fired[k + 1]?.t ?? Infinity;
    let concealed = 0, gap = 0, run = 0, prevSeq = NaN;
    for (const f of frames) {
      if (f.deadline <= e.t || f.deadline > until) continue;
      if (f.state === 'on-time') { run = 0; continue; }
      concealed++;
      run = run > 0 && f.seq === prevSeq + 1 ? run + 1 : 1;
      prevSeq = f.seq;
      gap = Math.max(gap, run);
    }
    return { name: String(e['name']), t: e.t, concealed_ms: concealed * frameMs, gap_ms: gap * frameMs };
  });
}
