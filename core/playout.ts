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

/** A frame plays iff it arrived by its deadline (equality plays). */
export function isOnTime(sentAt: number, arrivedAt: number, jitterBufferMs: number, baseDelayMs = 0): boolean {
  return arrivedAt <= playoutDeadline(sentAt, baseDelayMs, jitterBufferMs);
}

/** D0: the smallest one-way delay among frames sent in [from, to); null if none of them arrived. */
export function baseDelay(frames: Iterable<{ sentAt: number; arrivedAt: number }>, from: number, to: number): number | null {
  let d0 = Infinity;
  for (const f of frames) if (f.sentAt >= from && f.sentAt < to && f.arrivedAt - f.sentAt < d0) d0 = f.arrivedAt - f.sentAt;
  return d0 === Infinity ? null : d0;
}
