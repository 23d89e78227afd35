// Audio for the bench: 16-bit PCM frames of FRAME_MS read from a WAV in static/ (core/wav.ts), encoded
// by the run's codec (core/codec.ts: Opus, or raw PCM), a wire format shared by every path (QUIC
// datagram, relay, data channel), a drift-free sender, and a receiver whose received.wav is the one
// receiver model's playout (core/receiver.ts). Nothing here logs: callers log via the send / onFrame
// callbacks. See docs/audio.md.
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { now } from '../../core/events.ts';
import type { PathKind } from '../../core/events.ts';
import { frameEncoder, PCM, type Codec } from '../../core/codec.ts';
import { BASE_DELAY_WINDOW_MS, baseDelay, DEFAULT_JITTER_BUFFER_MS, FRAME_MS, playoutDeadline } from '../../core/playout.ts';
import { carriesFec, renderPlayout, slotActions, type Slot } from '../../core/receiver.ts';
import { BYTES_PER_SAMPLE, frameBytesFor, readWav, writeWav, type WavInfo } from '../../core/wav.ts';

// ---------------------------------------------------------------------------------------------
// Source

/** Frames of FRAME_MS from a PCM file, looping forever (the loop is seamless: a frame that spans
 *  the end of the file continues at its start, so the file need not be a whole number of frames). */
export class AudioSource {
  readonly frameBytes: number;

  static fromFile(path: string): AudioSource {
    try {
      const { info, pcm } = readWav(readFileSync(path));
      return new AudioSource(info, pcm);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  constructor(readonly info: WavInfo, private readonly pcm: Buffer) {
    this.frameBytes = frameBytesFor(info);
    if (pcm.length === 0 || pcm.length % BYTES_PER_SAMPLE !== 0) {
      throw new RangeError(`PCM must be a non-empty whole number of samples (got ${pcm.length} bytes)`);
    }
  }

  frame(seq: number): Buffer {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`bad frame seq ${seq}`);
    const len = this.pcm.length;
    const out = Buffer.allocUnsafe(this.frameBytes);
    // seq * frameBytes stays exact: u32 seq × a few KB is far below 2^53.
    let src = (seq * this.frameBytes) % len;
    for (let done = 0; done < out.length;) {
      const n = Math.min(out.length - done, len - src);
      this.pcm.copy(out, done, src, src + n);
      done += n;
      src = 0;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire format (big-endian):  0 magic/version | 1 flags | 2..5 seq u32 | 6..13 sentAt f64 | 14.. payload
// The magic says what the payload is: 0xA1 raw PCM (version 1, the bench before Opus), 0xA2 one Opus packet.

export const FRAME_MAGIC = { pcm: 0xa1, opus: 0xa2 } as const; // 'A'udio; bump the low nibble on any format change
export const FRAME_HEADER_BYTES = 14;
/** The largest Opus packet of one frame (RFC 6716 §3.4, R5). */
const MAX_OPUS_PACKET = 1275;

export interface AudioFrame {
  seq: number;      // u32, frame index since the sender started
  sentAt: number;   // ms since epoch: the frame's scheduled capture time (see AudioSender)
  flags: number;    // u8, opaque here: for strategies (e.g. marking a redundant copy)
  codec: Codec['name'];
  payload: Buffer;  // pcm: 16-bit little-endian mono samples; opus: one packet
}

export function encodeFrame(f: AudioFrame): Buffer {
  if (!Number.isInteger(f.seq) || f.seq < 0 || f.seq > 0xffffffff) throw new RangeError(`bad seq ${f.seq}`);
  if (!Number.isInteger(f.flags) || f.flags < 0 || f.flags > 0xff) throw new RangeError(`bad flags ${f.flags}`);
  if (!Number.isFinite(f.sentAt)) throw new RangeError(`bad sentAt ${f.sentAt}`);
  if (payloadProblem(f.codec, f.payload.length)) throw new RangeError(`bad ${f.codec} payload length ${f.payload.length}`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + f.payload.length);
  out.writeUInt8(FRAME_MAGIC[f.codec], 0);
  out.writeUInt8(f.flags, 1);
  out.writeUInt32BE(f.seq, 2);
  out.writeDoubleBE(f.sentAt, 6);
  f.payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

function payloadProblem(codec: Codec['name'], len: number): boolean {
  return codec === 'pcm' ? len === 0 || len % BYTES_PER_SAMPLE !== 0 : len === 0 || len > MAX_OPUS_PACKET;
}

/** Never throws: anything from the network that is not a well-formed frame gives null. */
export function decodeFrame(buf: Buffer): AudioFrame | null {
  if (!Buffer.isBuffer(buf) || buf.length <= FRAME_HEADER_BYTES) return null;
  const codec = buf[0] === FRAME_MAGIC.pcm ? 'pcm' : buf[0] === FRAME_MAGIC.opus ? 'opus' : null;
  if (!codec || payloadProblem(codec, buf.length - FRAME_HEADER_BYTES)) return null;
  const sentAt = buf.readDoubleBE(6);
  if (!Number.isFinite(sentAt)) return null;
  return {
    seq: buf.readUInt32BE(2),
    sentAt,
    flags: buf.readUInt8(1),
    codec,
    // Copy: transports may reuse their receive buffers.
    payload: Buffer.from(buf.subarray(FRAME_HEADER_BYTES)),
  };
}

// ---------------------------------------------------------------------------------------------
// Sender

/**
 * Sends frame n at start + n·FRAME_MS by the wall clock, encoded by `codec` (in seq order: an Opus
 * encoder carries state). Each tick sends every frame whose time has come, so a late event loop
 * causes a burst, never drift or a skipped seq. sentAt is the scheduled time (when a microphone would
 * have captured the frame), so sender-side lateness counts against the receiver's jitter buffer, as
 * it would for a real call. `send` should not throw: an exception escapes the timer (the frame's seq
 * is already consumed, so nothing is sent twice).
 */
export class AudioSender {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private startAt = 0;
  private next = 0;
  private readonly encode: (pcm: Buffer) => Buffer;

  constructor(
    private readonly source: AudioSource,
    private readonly send: (encoded: Buffer, seq: number, sentAt: number) => void,
    private readonly codec: Codec = PCM,
  ) {
    this.encode = frameEncoder(codec, source.info.sampleRate);
  }

  /** Starts, or resumes after stop() (seq continues, the schedule restarts from now). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startAt = now() - this.next * FRAME_MS;
    this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Seq of the next frame to send (= frames sent so far). */
  get nextSeq(): number {
    return this.next;
  }

  private readonly tick = (): void => {
    const t = now();
    // `running` is re-checked so that stop() called from inside send() takes effect at once.
    while (this.running && this.startAt + this.next * FRAME_MS <= t) {
      const seq = this.next++;
      const sentAt = this.startAt + seq * FRAME_MS;
      const payload = this.encode(this.source.frame(seq));
      this.send(encodeFrame({ seq, sentAt, flags: 0, codec: this.codec.name, payload }), seq, sentAt);
    }
    if (this.running) {
      clearTimeout(this.timer); // in case send() called stop() then start(): keep one timer
      this.timer = setTimeout(this.tick, Math.max(0, this.startAt + this.next * FRAME_MS - now()));
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Sink

/** Longest span toWav() will render (1 h), so one bogus seq cannot allocate gigabytes. */
const MAX_WAV_FRAMES = (3600 * 1000) / FRAME_MS;

/** `fec`: the packet carries in-band FEC for the frame before it (Opus only). */
export type OnFrame = (f: AudioFrame, arrivedAt: number, duplicate: boolean, via: PathKind, fec: boolean) => void;

interface Arrival { frame: AudioFrame; arrivedAt: number; fec: boolean }

export class AudioSink {
  readonly jitterBufferMs: number;
  /** PCM: learned from the first frame (its length gives the rate); Opus: the sink's info. */
  private format: { info: WavInfo; codec: Codec['name']; frameBytes: number } | null = null;
  private readonly givenInfo: WavInfo | undefined;
  private readonly onFrame: OnFrame | undefined;
  private readonly frames = new Map<number, Arrival>();
  private duplicates = 0;
  private malformed = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;

  /** Without `info`, a PCM stream's format is learned from the first well-formed frame (its length
   *  gives the sample rate), an Opus stream is taken as the sample's 16 kHz; after the first frame,
   *  frames of another codec (or PCM of another size) are malformed. */
  constructor(opts: { info?: WavInfo; jitterBufferMs?: number; onFrame?: OnFrame }) {
    this.givenInfo = opts.info;
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
    const duplicate = this.frames.has(f.seq);
    const fec = !duplicate && f.codec === 'opus' && carriesFec(f.payload, this.info.sampleRate);
    if (duplicate) {
      this.duplicates++;
    } else {
      this.frames.set(f.seq, { frame: f, arrivedAt, fec });
      if (this.firstSeq === null || f.seq < this.firstSeq) this.firstSeq = f.seq;
      if (this.lastSeq === null || f.seq > this.lastSeq) this.lastSeq = f.seq;
    }
    this.onFrame?.(f, arrivedAt, duplicate, via, fec);
    return f;
  }

  stats(): { received: number; duplicates: number; malformed: number; firstSeq: number | null; lastSeq: number | null } {
    return {
      received: this.frames.size,
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
    const arrivals = [...this.frames.values()].map(({ frame, arrivedAt }) => ({ sentAt: frame.sentAt, arrivedAt }));
    const firstSent = arrivals.reduce((m, a) => Math.min(m, a.sentAt), Infinity);
    const d0 = baseDelay(arrivals, firstSent, firstSent + BASE_DELAY_WINDOW_MS) ?? 0;
    // A slot whose packet never came plays when its seq's schedule says (the sender's clock is FRAME_MS a frame).
    const anchor = this.frames.get(this.firstSeq)!.frame;
    const slots: Slot[] = [], payloads: (Buffer | null)[] = [];
    for (let seq = this.firstSeq; seq <= this.lastSeq; seq++) {
      const a = this.frames.get(seq);
      const sentAt = a?.frame.sentAt ?? anchor.sentAt + (seq - anchor.seq) * FRAME_MS;
      slots.push({ deadline: playoutDeadline(sentAt, d0, this.jitterBufferMs), arrival: a?.arrivedAt ?? null, fec: a?.fec ?? false });
      payloads.push(a?.frame.payload ?? null);
    }
    return writeWav(info, renderPlayout(this.format.codec, slotActions(slots), payloads, info.sampleRate));
  }

  /** Writes toWav() to `path` atomically (temp file, then rename), e.g. the run's received.wav. */
  async writeWav(path: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, this.toWav());
    await rename(tmp, path);
  }
}
