// Which of the call's 20 ms frames a libwebrtc audio track carried, from libwebrtc's RTP counters
// (docs/strategies.md "media=track"). libwebrtc puts one frame in each RTP packet and numbers packets
// in order, so after the first one a packet's number says which frame it is — with two exceptions
// measured here, both bridged by the length of the silence they leave (±1 frame):
// - a gap longer than libwebrtc's reordering threshold (50 packets) is taken by its receive statistics
//   for a stream restart and counted as no loss at all (receive_statistics_impl.cc): after a handover
//   outage of 3.5 s, `packetsLost` stayed 0;
// - while its transport is not writable a sender may make no packets (numbers continue after the pause).

import { FRAME_MS } from '../../core/playout.ts';

/** Frames missing beyond this many after a silence: a gap to bridge (not a poll's jitter). */
export const PAUSE_FRAMES = 3;
/** The receiver waits this long for the sender's first anchor before numbering from 0. */
export const ANCHOR_WAIT_MS = 1000;

/** The frame the sender's first packet carried: numbers the receiver's packets. */
export interface Anchor { seq: number }

/** The sender's side: which fed frames went out as the packets counted since the last reading. */
export class SentFrames {
  private assigned = -1;   // the last frame given a packet
  private packets = 0;     // packets accounted for
  /** `fed`: frames fed so far; `sent`: outbound-rtp packetsSent. `skipped`: frames fed during a pause
   *  that never became packets; `anchor`: the first packet's frame, once. */
  next(fed: number, sent: number): { sent: number[]; skipped: number[]; anchor: Anchor | null } {
    const n = sent - this.packets;
    if (n <= 0) return { sent: [], skipped: [], anchor: null };
    const expected = this.assigned + 1;
    const first = this.assigned < 0, paused = fed - expected - n >= PAUSE_FRAMES;
    const from = first || paused ? Math.max(expected, fed - n) : expected;
    this.assigned = from + n - 1;
    this.packets = sent;
    return { sent: range(from, from + n), skipped: first ? [] : range(expected, from), anchor: first ? { seq: from } : null };
  }
}

/** The receiver's side: frame numbers from inbound-rtp readings. `packetsReceived + packetsLost` is RFC
 *  3550's expected count (sequence numbers from the first received to the highest), so new numbers
 *  are new frames, the received ones taken as the newest (a loss is a gap before them) and a late
 *  packet (more received than new numbers) filling the newest hole; after a silence that the counters
 *  do not cover, the newest arrival is the frame its arrival time says. Frames are numbered from the
 *  sender's anchor (its first packet's frame) and held until it comes (at most ANCHOR_WAIT_MS). */
/** libwebrtc refreshes getStats() at most every 50 ms (RTCStatsCollector's cache), so a reading
 *  brings 2–3 packets under one `lastPacketReceivedTimestamp`. */
export class ReceivedFrames {
  private counted = 0;      // packet numbers accounted for: the index of the next new one
  private received = 0;
  private shift = 0;        // frame = packet number + shift (grows at each bridged silence)
  private readonly holes: number[] = [];   // frames counted lost, newest last
  private last: { index: number; t: number } | null = null;
  private base: number | null = null;
  private pending: { index: number; t: number }[] = [];
  private since = Infinity;

  anchor(a: Anchor): void { this.base ??= a.seq; }

  /** One reading at `t` (lastPacketReceivedTimestamp); returns the frames that can be named `now`. */
  next(packetsReceived: number, packetsLost: number, t: number, now = t): { seq: number; t: number }[] {
    const exist = packetsReceived + packetsLost;
    const got = Math.max(0, packetsReceived - this.received);
    const fresh = Math.max(0, exist - this.counted);
    if (got > 0 && fresh > 0 && this.last) {
      const bridge = this.last.index + Math.round((t - this.last.t) / FRAME_MS) - (this.counted + fresh - 1 + this.shift);
      if (bridge >= PAUSE_FRAMES) this.shift += bridge;   // the counters missed frames the silence says were there
    }
    const arrivals: number[] = [];
    for (let k = 0; k < fresh; k++) (k >= fresh - got ? arrivals : this.holes).push(this.counted + k + this.shift);
    for (let late = got - Math.min(got, fresh); late > 0 && this.holes.length; late--) arrivals.push(this.holes.pop()!);
    this.counted = Math.max(this.counted, exist);
    this.received = Math.max(this.received, packetsReceived);
    arrivals.sort((a, b) => a - b);
    const top = arrivals.at(-1);
    // one time stamp for a reading's packets: each is dated back from the newest by a frame a packet
    // (the sender's pace), never to before the previous reading's newest
    const floor = this.last?.t ?? -Infinity;
    for (const index of arrivals) this.pending.push({ index, t: Math.max(floor, t - FRAME_MS * (top! - index)) });
    if (top !== undefined && (!this.last || top > this.last.index)) this.last = { index: top, t };
    if (arrivals.length && this.since === Infinity) this.since = t;
    return this.ready(now);
  }
  /** What can be named at `now` (all of it with `force`, numbered from 0 if no anchor came). */
  ready(now: number, force = false): { seq: number; t: number }[] {
    if (this.base === null && !force && now - this.since < ANCHOR_WAIT_MS) return [];
    const base = this.base ?? 0;
    const out = this.pending.map(({ index, t }) => ({ seq: base + index, t }));
    this.pending = [];
    return out;
  }
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
