// What a path's probes say about it over the last second: loss, RTT and jitter (RFC 3550's smoothed
// interarrival jitter, over RTT samples here), and how long it has been silent. Fed by the probe
// sender (sent) and the answer handler (answered); read by the quality-aware PathSelector
// (path-selector.ts). Pure: time comes in as arguments, so it is unit-tested on synthetic traces.

export interface PathQuality {
  /** Unanswered share of the probes due in the window (0..1); null before any probe is due. */
  loss: number | null;
  /** Mean RTT of the window's answers (ms); null without any. */
  rttMs: number | null;
  /** Mean absolute difference of successive RTTs in the window (ms); 0 with fewer than two. */
  jitterMs: number;
  /** Since the last answer, or since the first probe if none came (ms). */
  silentMs: number;
}

interface Probe { seq: number; sentAt: number; rttMs: number | null }

export class PathWindow {
  private probes: Probe[] = [];
  private lastAnswer: number | null = null;
  private firstSent: number | null = null;
  /** `windowMs`: how far back loss, RTT and jitter look; `answerWithinMs`: a probe not answered this
   *  long after it was sent counts as lost (one not yet that old is neither). */
  constructor(readonly windowMs = 1000, readonly answerWithinMs = 300) {}

  sent(seq: number, t: number): void {
    this.probes.push({ seq, sentAt: t, rttMs: null });
    this.firstSent ??= t;
    this.forget(t);
  }

  /** An answer to probe `seq`, arrived at `t`; answers to probes no longer held are ignored. */
  answered(seq: number, t: number): void {
    const p = this.probes.find((x) => x.seq === seq);
    if (!p || p.rttMs !== null) return;
    p.rttMs = t - p.sentAt;
    this.lastAnswer = Math.max(this.lastAnswer ?? t, t);
  }

  quality(t: number): PathQuality {
    this.forget(t);
    // probes whose answer is due: sent at least answerWithinMs ago, within the window before that
    const due = this.probes.filter((p) => p.sentAt <= t - this.answerWithinMs && p.sentAt > t - this.answerWithinMs - this.windowMs);
    const late = (p: Probe) => p.rttMs === null || p.rttMs > this.answerWithinMs;
    const answers = this.probes.filter((p) => p.rttMs !== null && p.sentAt + p.rttMs > t - this.windowMs).map((p) => p.rttMs!);
    let jitter = 0;
    for (let i = 1; i < answers.length; i++) jitter += Math.abs(answers[i]! - answers[i - 1]!);
    return {
      loss: due.length ? due.filter(late).length / due.length : null,
      rttMs: answers.length ? answers.reduce((a, b) => a + b, 0) / answers.length : null,
      jitterMs: answers.length > 1 ? jitter / (answers.length - 1) : 0,
      silentMs: t - (this.lastAnswer ?? this.firstSent ?? t),
    };
  }

  private forget(t: number): void {
    const horizon = t - this.windowMs - this.answerWithinMs;
    while (this.probes.length && this.probes[0]!.sentAt <= horizon) this.probes.shift();
  }
}
