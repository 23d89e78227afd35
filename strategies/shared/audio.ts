// The sending end of the bench's audio: 16-bit PCM frames of FRAME_MS read from a WAV in static/
// (core/wav.ts), encoded by the run's codec (core/codec.ts: Opus, or raw PCM), a wire format shared by
// every path (QUIC datagram, relay, data channel), and a drift-free sender (the receiving end:
// audio-sink.ts). Nothing here logs: callers log via the send callback. See docs/audio.md.
import { readFileSync } from 'node:fs';
import { now } from '../../core/events.ts';
import { frameEncoder, PCM, type Codec } from '../../core/codec.ts';
import { FRAME_MS } from '../../core/playout.ts';
import { BYTES_PER_SAMPLE, frameBytesFor, readWav, type WavInfo } from '../../core/wav.ts';

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
