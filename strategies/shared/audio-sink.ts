// The receiving end of the bench's audio: keeps the first arrival of every frame, says whether its
// Opus packet carries in-band FEC, and renders received.wav through the one receiver model
// (core/receiver.ts) under the run's playout rule (core/playout.ts). Nothing here logs: callers log via
// onFrame. docs/audio.md "Playout and concealment", "received.wav".
import { rename, writeFile } from 'node:fs/promises';
import { now } from '../../core/events.ts';
import type { PathKind } from '../../core/events.ts';
import type { Codec } from '../../core/codec.ts';
import { adaptivePlayout, BASE_DELAY_WINDOW_MS, baseDelay, DEFAULT_JITTER_BUFFER_MS, FRAME_MS, playoutDeadline, type Playout } from '../../core/playout.ts';
import { carriesFec, renderPlayout, slotActions, type Slot } from '../../core/receiver.ts';
import { BYTES_PER_SAMPLE, frameBytesFor, writeWav, type WavInfo } from '../../core/wav.ts';
import { decodeFrame, type AudioFrame } from './audio.ts';
import { FrameSpool } from './frame-spool.ts';

/** Longest span toWav() will render (1 h), so one bogus seq cannot allocate gigabytes. */
const MAX_WAV_FRAMES = (3600 * 1000) / FRAME_MS;

/** A copy is a duplicate when its seq arrived within this many frames (60 s) before the newest:
 *  re-sends and copies on a second path come within seconds; the seqs kept for it stay bounded. */
export const DUPLICATE_WINDOW_FRAMES = 3000;

/** `fec`: the packet carries in-band FEC for the frame before it (Opus only). */
export type OnFrame = (f: AudioFrame, arrivedAt: number, duplicate: boolean, via: PathKind, fec: boolean) => void;

export class AudioSink {
  readonly jitterBufferMs: number;
  /** PCM: learned from the first frame (its length gives the rate); Opus: the sink's info. */
  private format: { info: WavInfo; codec: Codec['name']; frameBytes: number } | null = null;
  private readonly givenInfo: WavInfo | undefined;
  private readonly playout: Playout;
  private readonly onFrame: OnFrame | undefined;
  private readonly spool: FrameSpool;
  private readonly recent = new Set<number>();
  private received = 0;
  private duplicates = 0;
  private malformed = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;

  /** Without `info`, a PCM stream's format is learned from the first well-formed frame (its length
   *  gives the sample rate), an Opus stream is taken as the sample's 16 kHz; after the first frame,
   *  frames of another codec (or PCM of another size) are malformed. */
  /** `spool`: a file the first arrivals are appended to until toWav (frame-spool.ts); without it, memory. */
  constructor(opts: { info?: WavInfo; jitterBufferMs?: number; onFrame?: OnFrame; playout?: Playout; spool?: string }) {
    this.spool = new FrameSpool(opts.spool);
    this.givenInfo = opts.info;
    this.playout = opts.playout ?? 'fixed';
    this.jitterBufferMs = opts.jitterBufferMs ?? DEFAULT_JITTER_BUFFER_MS;
    this.onFrame = opts.onFrame;
  }

  /** The audio format: given, learned from the first frame, or (nothing yet) the sample's 16 kHz. */
  get info(): WavInfo {
    return this.format?.info ?? this.givenInfo ?? { sampleRate: 16000, channels: 1, bitsPerSample: 16 };
  }

  private learn(f: AudioFrame): void {
    if (this.format) return;
    if (f.codec === 'opus') { this.format = { info: this.info, codec: 'opus', frameBytes: 0 }; return; }
    const info = this.givenInfo ?? { sampleRate: (f.payload.length / BYTES_PER_SAMPLE) * (1000 / FRAME_MS), channels: 1 as const, bitsPerSample: 16 as const };
    // Only a plausible rate is learned, so one odd datagram cannot fix a nonsense format.
    if (info.sampleRate >= 8000 && info.sampleRate <= 192000) this.format = { info, codec: 'pcm', frameBytes: frameBytesFor(info) };
  }

  private fits(f: AudioFrame): boolean {
    const fmt = this.format;
    return !!fmt && f.codec === fmt.codec && (fmt.codec === 'opus' || f.payload.length === fmt.frameBytes);
  }

  /** Decodes and records one arrival. First arrival of a seq wins; later copies count as
   *  duplicates (still returned and reported to onFrame, so the caller can log every path).
   *  `via` is only passed through to onFrame. */
  accept(encoded: Buffer, arrivedAt: number = now(), via: PathKind = 'direct'): AudioFrame | null {
    const f = decodeFrame(encoded);
    if (f) this.learn(f);
    if (!f || !this.fits(f)) {
      this.malformed++;
      return null;
    }
    const duplicate = this.recent.has(f.seq);
    const fec = !duplicate && f.codec === 'opus' && carriesFec(f.payload, this.info.sampleRate);
    if (duplicate) {
      this.duplicates++;
    } else {
      this.remember(f.seq);
      this.received++;
      this.spool.append({ seq: f.seq, sentAt: f.sentAt, arrivedAt, fec, payload: f.payload });
      if (this.firstSeq === null || f.seq < this.firstSeq) this.firstSeq = f.seq;
      if (this.lastSeq === null || f.seq > this.lastSeq) this.lastSeq = f.seq;
    }
    this.onFrame?.(f, arrivedAt, duplicate, via, fec);
    return f;
  }

  private remember(seq: number): void {
    this.recent.add(seq);
    if (this.recent.size <= 2 * DUPLICATE_WINDOW_FRAMES) return;
    const newest = Math.max(seq, this.lastSeq ?? seq);
    for (const old of this.recent) if (old < newest - DUPLICATE_WINDOW_FRAMES) this.recent.delete(old);
  }

  stats(): { received: number; duplicates: number; malformed: number; firstSeq: number | null; lastSeq: number | null } {
    return {
      received: this.received,
      duplicates: this.duplicates,
      malformed: this.malformed,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
    };
  }

  /** What a listener heard: slots firstSeq..lastSeq through the one receiver model (core/receiver.ts):
   *  decoded if on time (by sentAt + D0 + J), else rebuilt from the next packet's FEC, else concealed
   *  (Opus: libopus' PLC; PCM: silence). Empty data if nothing arrived. The sink does not know when
   *  the event came, so D0 is taken over the first BASE_DELAY_WINDOW_MS of audio: the warm-up, which
   *  precedes the event (docs/metrics.md "Playout"). */
  toWav(): Buffer {
    const info = this.info;
    if (this.firstSeq === null || this.lastSeq === null || !this.format) return writeWav(info, Buffer.alloc(0));
    const count = this.lastSeq - this.firstSeq + 1;
    if (count > MAX_WAV_FRAMES) throw new RangeError(`seq span ${count} frames exceeds ${MAX_WAV_FRAMES}`);
    const frames = this.spool.read();
    const arrivals = [...frames.values()].map(({ sentAt, arrivedAt }) => ({ sentAt, arrivedAt }));
    const firstSent = arrivals.reduce((m, a) => Math.min(m, a.sentAt), Infinity);
    const d0 = baseDelay(arrivals, firstSent, firstSent + BASE_DELAY_WINDOW_MS) ?? 0;
    // A slot whose packet never came plays when its seq's schedule says (the sender's clock is FRAME_MS a frame).
    const anchor = frames.get(this.firstSeq)!;
    const heard = Array.from({ length: count }, (_, k) => {
      const a = frames.get(this.firstSeq! + k);
      return { a, sentAt: a?.sentAt ?? anchor.sentAt + (this.firstSeq! + k - anchor.seq) * FRAME_MS };
    });
    const adaptive = this.playout === 'adaptive' ? adaptivePlayout(heard.map(({ a, sentAt }) => ({ sentAt, arrivedAt: a?.arrivedAt ?? null }))) : null;
    const slots: Slot[] = heard.map(({ a, sentAt }, k) => ({
      deadline: adaptive ? sentAt + adaptive[k]! : playoutDeadline(sentAt, d0, this.jitterBufferMs), arrival: a?.arrivedAt ?? null, fec: a?.fec ?? false,
    }));
    const payloads = heard.map(({ a }) => a?.payload ?? null);
    return writeWav(info, renderPlayout(this.format.codec, slotActions(slots), payloads, info.sampleRate));
  }

  /** Writes toWav() to `path` atomically (temp file, then rename), e.g. the run's received.wav. */
  async writeWav(path: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, this.toWav());
    await rename(tmp, path);
    this.spool.dispose();
  }
}
