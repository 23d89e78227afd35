// What a frame carries on the wire: 20 ms of raw 16-bit PCM (the bench before Opus; old snapshots),
// or one Opus packet encoded from it by libopus (core/opus.ts). Every strategy sends the same
// packets, so strategies stay comparable. Settings, defaults and their reasons: docs/audio.md "Opus".
import { OpusEncoder } from './opus.ts';

export interface OpusCodec {
  name: 'opus';
  /** Target bitrate, kbit/s (VBR). */
  bitrateKbps: number;
  /** In-band FEC (LBRR): a packet may carry a coarse copy of the frame before it. */
  fec: boolean;
  /** The loss rate the encoder is told to expect (%); with fec, what makes libopus add LBRR at all. */
  lossPct: number;
}
export type Codec = { name: 'pcm' } | OpusCodec;

/** A voice call's Opus as WebRTC sends it from a 16 kHz source: 24 kbit/s, FEC on (docs/audio.md). */
export const DEFAULT_CODEC: OpusCodec = Object.freeze({ name: 'opus', bitrateKbps: 24, fec: true, lossPct: 10 });
/** Runs recorded before the codec existed sent PCM: a spec without one is PCM. */
export const PCM: Codec = Object.freeze({ name: 'pcm' });

/** Opus' own limits: RFC 6716 §2.1.1 (6–510 kbit/s); a loss percentage is 0–100. */
export const CODEC_LIMITS = { bitrateKbps: [6, 510], lossPct: [0, 100] } as const;

/** What is wrong with a codec from a config or flags, or null. */
export function codecProblem(c: unknown): string | null {
  if (!c || typeof c !== 'object') return "codec: { name: 'pcm' } or { name: 'opus', bitrateKbps, fec, lossPct }";
  const o = c as Record<string, unknown>;
  if (o.name === 'pcm') return Object.keys(o).length === 1 ? null : 'codec pcm takes no settings';
  if (o.name !== 'opus') return `codec: name must be 'opus' or 'pcm', got ${String(o.name)}`;
  for (const k of ['bitrateKbps', 'lossPct'] as const) {
    const [lo, hi] = CODEC_LIMITS[k], v = o[k];
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) return `codec.${k}: a number from ${lo} to ${hi}, got ${String(v)}`;
  }
  if (typeof o.fec !== 'boolean') return `codec.fec: true or false, got ${String(o.fec)}`;
  const extra = Object.keys(o).filter((k) => !['name', 'bitrateKbps', 'fec', 'lossPct'].includes(k));
  return extra.length ? `codec: unknown setting ${extra.join(', ')}` : null;
}

/** A short label for tables and runs.csv: `pcm`, `opus-24k-fec10`, `opus-24k`. */
export function codecLabel(c: Codec): string {
  return c.name === 'pcm' ? 'pcm' : `opus-${c.bitrateKbps}k${c.fec ? `-fec${c.lossPct}` : ''}`;
}

/** The sender's side: one call per frame, in seq order (an Opus encoder carries state). */
export function frameEncoder(c: Codec, sampleRate: number): (pcm: Buffer) => Buffer {
  if (c.name === 'pcm') return (pcm) => pcm;
  const enc = new OpusEncoder({ sampleRate, bitrate: c.bitrateKbps * 1000, fec: c.fec, lossPct: c.lossPct });
  return (pcm) => enc.encode(pcm);
}
