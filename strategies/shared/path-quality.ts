// What a path's probes, and the audio arriving on it, say about it: loss, RTT and jitter (RFC 3550's
// smoothed interarrival jitter, over RTT samples here), and how long it has left a probe or a frame
// unanswered. PathWindow is fed by the probe sender (sent) and the answer handler (answered);
// MediaWindow by the frames that arrive on the path (heard). Read by the quality-aware PathSelector
// (path-selector.ts). Pure: time comes in as arguments, so both are unit-tested on synthetic traces.

export interface PathQuality {
  /** Unanswered share of the probes (or frames) due; null before any is due. */
  loss: number | null;
  /** Mean RTT of the window's answers (ms); null without any. */
  rttMs: number | null;
  /** Mean absolute difference of successive RTTs in the window (ms); 0 with fewer than two. */
  jitterMs: number;
  /** How long the oldest probe still unanswered has been waiting, or how long the frame after the
   *  last one heard is overdue (ms); 0 with none waiting: a path probed once a second is not silent
   *  between its probes. */
  silentMs: number;
  /** Where loss and silence come from: the path's probes, or the audio arriving on it. */
  source: 'probes' | 'media';
}

interface Probe { seq: number; sentAt: number; rttMs: number | null }

/** The last `keep` probes of a path, whatever their cadence (seamless probes every 100 ms while it
 *  needs to know, every second while it does not: strategies/seamless/policy.ts). */
export class PathWindow {
  private probes: Probe[] = [];
  /** `keep`: how many probes loss, RTT and jitter look back over; `answerWithinMs`: a probe not
   *  answered this long after it was sent counts as lost (one not yet that old is neither). */
  constructor(readonly keep = 10, readonly answerWithinMs = 300) {}

  sent(seq: number, t: number): void {
    this.probes.push({ seq, sentAt: t, rttMs: null });
    if (this.probes.length > this.keep) this.probes.shift();
  }

  /** An answer to probe `seq`, arrived at `t`; answers to probes no longer held are ignored. */
  answered(seq: number, t: number): void {
    const p = this.probes.find((x) => x.seq === seq);
    if (p && p.rttMs === null) p.rttMs = t - p.sentAt;
  }

  quality(t: number): PathQuality {
    const due = this.probes.filter((p) => p.sentAt <= t - this.answerWithinMs || p.rttMs !== null);
    const late = (p: Probe) => p.rttMs === null || p.rttMs > this.answerWithinMs;
    const answers = this.probes.flatMap((p) => (p.rttMs === null ? [] : [p.rttMs]));
    let jitter = 0;
    for (let i = 1; i < answers.length; i++) jitter += Math.abs(answers[i]! - answers[i - 1]!);
    const lastAnswered = this.probes.reduce((i, p, j) => (p.rttMs === null ? i : j), -1);
    const waiting = this.probes[lastAnswered + 1];
    return {
      loss: due.length ? due.filter(late).length / due.length : null,
      rttMs: answers.length ? answers.reduce((a, b) => a + b, 0) / answers.length : null,
      jitterMs: answers.length > 1 ? jitter / (answers.length - 1) : 0,
      silentMs: waiting ? Math.max(0, t - waiting.sentAt) : 0,
      source: 'probes',
    };
  }
}

/** What the audio arriving on a path says about it, fifty samples a second where its probes give one:
 *  the frames due on it that did not come (loss, over the last `windowMs`), and how long the frame
 *  after the last one heard is overdue (silence). A frame is due on the path `lateMs` after its
 *  expected arrival: its send time (the sender's clock, from the frame) plus the smallest delay seen
 *  on the path, so the two ends' clocks need not agree. Only frames sent after the path's first frame
 *  could have been sent on it are due: the first may be a re-send of an older one, and those between
 *  went another way, or nowhere. No RTT: one-way delays say nothing about the way back. */
export class MediaWindow {
  private first: { seq: number; sentAt: number; at: number } | null = null;
  private offset = Infinity;
  private heardSeqs = new Set<number>();
  private last = -1;
  /** `minDue`: fewer frames due than this say nothing of loss yet (one missing of two is not 50 %). */
  /** `dueFrom`: frames expected to arrive before it (the receiver's clock) are not due on the path — it
   *  did not carry the audio yet. */
  constructor(readonly frameMs: number, readonly dueFrom = -Infinity, readonly windowMs = 1000, readonly lateMs = 60, readonly minDue = 10) {}

  heard(seq: number, sentAt: number, t: number): void {
    this.first ??= { seq, sentAt, at: t };
    if (seq < this.first.seq) return;
    this.offset = Math.min(this.offset, t - sentAt);
    this.heardSeqs.add(seq);
    this.last = Math.max(this.last, seq);
    const oldest = this.expectedSeq(t - this.windowMs - this.lateMs);
    for (const s of this.heardSeqs) if (s < oldest) this.heardSeqs.delete(s);
  }

  /** The frames due on the path (as `quality`'s `loss` counts them); 0 before the first. */
  private expectedSeq(t: number): number {
    if (!this.first) return 0;
    return this.first.seq + Math.floor((t - this.offset - this.first.sentAt) / this.frameMs);
  }

  quality(t: number): PathQuality | null {
    if (!this.first) return null;
    const lastDue = this.expectedSeq(t - this.lateMs);
    const firstDue = Math.max(this.first.seq, this.expectedSeq(Math.max(this.first.at, this.dueFrom)), this.expectedSeq(t - this.lateMs - this.windowMs) + 1);
    let due = 0, missing = 0;
    for (let s = firstDue; s <= lastDue; s++) { due++; if (!this.heardSeqs.has(s)) missing++; }
    const next = this.last + 1;
    const nextExpected = this.first.sentAt + (next - this.first.seq) * this.frameMs + this.offset;
    return { loss: due >= this.minDue ? missing / due : null, rttMs: null, jitterMs: 0, silentMs: Math.max(0, t - nextExpected), source: 'media' };
  }
}
