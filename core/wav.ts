// 16-bit mono PCM WAV files: reading the sample in static/, writing received.wav (the report reads
// it back), and the frame size a sample rate gives (strategies/shared/audio.ts cuts the frames,
// audio-sink.ts plays them; docs/audio.md).
import { FRAME_MS } from './playout.ts';

export interface WavInfo { sampleRate: number; channels: 1; bitsPerSample: 16 }

export const BYTES_PER_SAMPLE = 2;


function wavError(msg: string): Error {
  return new Error(`WAV: ${msg}`);
}

/** Strict parser for mono 16-bit PCM WAV. Unknown chunks (LIST, fact, …) are skipped. */
export function readWav(buf: Buffer): { info: WavInfo; pcm: Buffer } {
  if (buf.length < 12) throw wavError(`file too short for a RIFF header (${buf.length} bytes)`);
  const riff = buf.toString('latin1', 0, 4);
  if (riff !== 'RIFF') throw wavError(`not a RIFF file (starts with ${JSON.stringify(riff)})`);
  const wave = buf.toString('latin1', 8, 12);
  if (wave !== 'WAVE') throw wavError(`RIFF form type is ${JSON.stringify(wave)}, not "WAVE"`);

  let info: WavInfo | null = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16) throw wavError(`fmt chunk is ${size} bytes, needs at least 16`);
      if (body + size > buf.length) throw wavError('truncated fmt chunk');
      const format = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const sampleRate = buf.readUInt32LE(body + 4);
      const byteRate = buf.readUInt32LE(body + 8);
      const blockAlign = buf.readUInt16LE(body + 12);
      const bits = buf.readUInt16LE(body + 14);
      if (format !== 1) {
        throw wavError(`not PCM: format tag ${format}${format === 0xfffe ? ' (WAVE_FORMAT_EXTENSIBLE)' : ''}, need 1`);
      }
      if (channels !== 1) throw wavError(`expected mono, got ${channels} channels`);
      if (bits !== 16) throw wavError(`expected 16 bits per sample, got ${bits}`);
      if (sampleRate === 0) throw wavError('sample rate is 0');
      if (blockAlign !== BYTES_PER_SAMPLE || byteRate !== sampleRate * BYTES_PER_SAMPLE) {
        throw wavError(`inconsistent fmt: blockAlign ${blockAlign}, byteRate ${byteRate} for ${sampleRate} Hz mono 16-bit`);
      }
      info = { sampleRate, channels: 1, bitsPerSample: 16 };
    } else if (id === 'data') {
      if (!info) throw wavError('data chunk before fmt chunk');
      const present = buf.length - body;
      if (size > present) throw wavError(`truncated data chunk: header says ${size} bytes, only ${present} present`);
      if (size % BYTES_PER_SAMPLE !== 0) throw wavError(`data chunk is ${size} bytes, not a whole number of 16-bit samples`);
      // Copy so the caller's buffer (possibly a pooled one) can be reused.
      return { info, pcm: Buffer.from(buf.subarray(body, body + size)) };
    }
    off = body + size + (size & 1); // chunks are padded to an even length
  }
  throw wavError(info ? 'no data chunk' : 'no fmt chunk');
}

/** Canonical 44-byte-header WAV. */
export function writeWav(info: WavInfo, pcm: Buffer): Buffer {
  if (pcm.length % BYTES_PER_SAMPLE !== 0) throw new RangeError(`PCM is ${pcm.length} bytes, not whole 16-bit samples`);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);                                     // PCM
  h.writeUInt16LE(info.channels, 22);
  h.writeUInt32LE(info.sampleRate, 24);
  h.writeUInt32LE(info.sampleRate * BYTES_PER_SAMPLE, 28);    // byte rate
  h.writeUInt16LE(BYTES_PER_SAMPLE, 32);                      // block align
  h.writeUInt16LE(info.bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/** Bytes of one FRAME_MS frame; throws if the rate does not divide into whole-sample frames. */
export function frameBytesFor(info: WavInfo): number {
  const samples = (info.sampleRate * FRAME_MS) / 1000;
  if (!Number.isInteger(samples) || samples <= 0) {
    throw new RangeError(`${info.sampleRate} Hz does not give whole-sample ${FRAME_MS} ms frames`);
  }
  return samples * BYTES_PER_SAMPLE;
}
