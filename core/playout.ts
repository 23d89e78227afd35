// The one playout rule (docs/metrics.md "Playout"): frame n plays at sentAt(n) + D0 + J, where D0 is
// the path's base one-way delay (the minimum over the pre-event window) and J the jitter buffer.
// Measuring from D0 keeps long links meaningful: with sentAt + J alone, every frame of a path whose
// one-way delay exceeds J would be late, and the bench would measure its own rule, not a strategy.
// The metrics, the report's timeline, the live view and received.wav all classify frames here.

/** One audio frame: the sender's tick, and the unit of concealment. */
export const FRAME_MS = 20;
/** J unless a run says otherwise (`--jitter-buffer`, a config's jitterBufferMs). */
export const DEFAULT_JITTER_BUFFER_MS = 80;

/** Width of the window before the event over which D0 is taken (also the pre-event impairment window). */
export const BASE_DELAY_WINDOW_MS = 3000;

/** When frame n must have arrived to play. */
export function playoutDeadline(sentAt: number, baseDelayMs: number, jitterBufferMs: number): number {
  return sentAt + baseDelayMs + jitterBufferMs;
}

/** The one definition of on time: a frame plays iff it arrived by its deadline (equality plays). */
export const arrivedBy = (arrivedAt: number, deadline: number): boolean => arrivedAt <= deadline;

/** On time under the fixed rule. */
export function isOnTime(sentAt: number, arrivedAt: number, jitterBufferMs: number, baseDelayMs = 0): boolean {
  return arrivedBy(arrivedAt, playoutDeadline(sentAt, baseDelayMs, jitterBufferMs));
}

/** D0: the smallest one-way delay among frames sent in [from, to); null if none of them arrived. */
export function baseDelay(frames: Iterable<{ sentAt: number; arrivedAt: number }>, from: number, to: number): number | null {
  let d0 = Infinity;
  for (const f of frames) if (f.sentAt >= from && f.sentAt < to && f.arrivedAt - f.sentAt < d0) d0 = f.arrivedAt - f.sentAt;
  return d0 === Infinity ? null : d0;
}

/** The playout rules: the bench's fixed one above, or an adaptive jitter buffer (adaptivePlayout). */
export type Playout = 'fixed' | 'adaptive';

/** The adaptive buffer's constants: libwebrtc NetEQ's delay manager (modules/audio_coding/neteq/:
 *  relative delay against the fastest packet of the last 2 s, a histogram of 20 ms buckets with a
 *  forget factor of 0.983, the target its 95th percentile, starting at 80 ms), and the bench's own
 *  limit on how fast the delay follows the target (time-stretching: 5 ms per 20 ms frame, 25 %).
 *  docs/audio.md "Adaptive playout". */
export const ADAPTIVE = { bucketMs: 20, buckets: 100, forget: 0.983, quantile: 0.95, startTargetMs: 80, minWindowMs: 2000, stepMs: 5 } as const;

/** The playout delay (capture to playout, ms) of each slot of consecutive frames, as an adaptive
 *  buffer that learns only from the packets it has by each slot's playout time would choose it.
 *  `slots` in seq order, sentAt on the FRAME_MS grid; arrivedAt null for a frame that never came. */
export function adaptivePlayout(slots: readonly { sentAt: number; arrivedAt: number | null }[]): number[] {
  const A = ADAPTIVE;
  const arrivals = slots.flatMap((s) => (s.arrivedAt === null ? [] : [{ sentAt: s.sentAt, delay: s.arrivedAt - s.sentAt, at: s.arrivedAt }]))
    .sort((a, b) => a.at - b.at);
  if (!arrivals.length) return slots.map(() => A.startTargetMs);
  const hist = new Array<number>(A.buckets).fill(0);
  hist[A.startTargetMs / A.bucketMs - 1] = 1;
  const recent: { sentAt: number; delay: number }[] = [];   // the last minWindowMs of send times
  let minDelay = arrivals[0]!.delay, next = 0;
  let delay = minDelay + A.startTargetMs;
  const target = () => {
    let sum = 0, i = 0;
    for (; i < A.buckets - 1 && sum + hist[i]! < A.quantile; i++) sum += hist[i]!;
    return (i + 1) * A.bucketMs;
  };
  return slots.map((s) => {
    const playAt = s.sentAt + delay;
    for (; next < arrivals.length && arrivals[next]!.at <= playAt; next++) {
      const a = arrivals[next]!;
      recent.push(a);
      while (recent[0]!.sentAt < a.sentAt - A.minWindowMs) recent.shift();
      minDelay = Math.min(...recent.map((r) => r.delay));
      for (let i = 0; i < A.buckets; i++) hist[i]! *= A.forget;
      hist[Math.min(A.buckets - 1, Math.floor((a.delay - minDelay) / A.bucketMs))]! += 1 - A.forget;
    }
    const want = minDelay + target();
    delay = Math.min(delay + A.stepMs, Math.max(delay - A.stepMs, want));
    return delay;
  });
}
