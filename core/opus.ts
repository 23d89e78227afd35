// libopus itself, through native/opus.c (built by `make setup` against Debian's libopus-dev): an
// encoder that writes one packet per 20 ms frame, and a decoder that decodes, conceals exactly one
// missing frame (libopus' PLC) or recovers it from the next packet's in-band FEC. docs/audio.md "Opus"
// says why no npm binding would do.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Addon {
  createEncoder(sampleRate: number, channels: number, bitrate: number, fec: number, lossPct: number): object;
  encode(enc: object, pcm: Buffer): Buffer;
  createDecoder(sampleRate: number, channels: number): object;
  decode(dec: object, packet: Buffer | null, frameSamples: number, fec: boolean): Buffer;
  resetDecoder(dec: object): void;
  version(): string;
}

const ADDON = 'native/build/opus.node';
let addon: Addon | null = null;

/** The addon, found by walking up from this module: the same code runs from core/ and from the
 *  roles' bundle in .build/roles/ (Makefile), which sit at different depths. */
function load(): Addon {
  if (addon) return addon;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, ADDON);
    if (existsSync(file)) return (addon = createRequire(import.meta.url)(file) as Addon);
    if (path.dirname(dir) === dir) throw new Error(`${ADDON} not found: run \`make setup\` (it builds the Opus addon)`);
  }
}

export const opusVersion = (): string => load().version();

export interface OpusSettings {
  sampleRate: number;
  /** Target bitrate, bit/s (VBR, libopus' default). */
  bitrate: number;
  /** In-band FEC (LBRR): each packet also carries a coarse copy of the one before. */
  fec: boolean;
  /** The loss rate the encoder expects (%): with FEC, how much of the bitrate LBRR gets. */
  lossPct: number;
}

/** Stateful, like a call's encoder: frames must be encoded in order. VOIP application, mono. */
export class OpusEncoder {
  private readonly enc: object;
  constructor(s: OpusSettings) {
    this.enc = load().createEncoder(s.sampleRate, 1, s.bitrate, s.fec ? 1 : 0, s.lossPct);
  }
  encode(pcm: Buffer): Buffer { return load().encode(this.enc, pcm); }
}

/** Stateful: call once per 20 ms slot, in order, with what the slot gets. */
export class OpusDecoder {
  private readonly dec: object;
  constructor(private readonly sampleRate: number, private readonly frameMs: number) {
    this.dec = load().createDecoder(sampleRate, 1);
  }
  private get samples(): number { return (this.sampleRate * this.frameMs) / 1000; }
  decode(packet: Buffer): Buffer { return load().decode(this.dec, packet, this.samples, false); }
  /** libopus' concealment of exactly one missing frame. */
  conceal(): Buffer { return load().decode(this.dec, null, this.samples, false); }
  /** The missing frame before `next`, from `next`'s in-band FEC (PLC where `next` carries none). */
  recover(next: Buffer): Buffer { return load().decode(this.dec, next, this.samples, true); }
  /** Back to a fresh decoder's state (OPUS_RESET_STATE): what a per-packet check needs, without a new decoder each time. */
  reset(): void { load().resetDecoder(this.dec); }
}
