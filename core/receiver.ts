// The one receiver model (docs/audio.md "Receiver"): what a listener's decoder does with each 20 ms
// slot, given when its packet arrived. It runs after the run on the frame log (harness/quality.ts,
// for the metrics) and on the received packets (strategies/shared/audio-sink.ts, for received.wav), so a
// strategy's own playout cannot flatter it.
import type { Codec } from './codec.ts';
import { OpusDecoder } from './opus.ts';
import { arrivedBy, FRAME_MS } from './playout.ts';

/** play: its own packet, on time. fec: rebuilt from the next packet's in-band FEC, which was there
 *  by this slot's deadline. conceal: neither — libopus' PLC (PCM: silence). */
export type SlotAction = 'play' | 'fec' | 'conceal';

/** One slot of consecutive seqs: when it must play, when its packet arrived, and whether that packet
 *  carries in-band FEC for the slot before it (the receiver logs it: audio.recv `fec`). */
export interface Slot { deadline: number; arrival: number | null; fec: boolean }

export function slotActions(slots: readonly Slot[]): SlotAction[] {
  return slots.map((s, i) => {
    if (s.arrival !== null && arrivedBy(s.arrival, s.deadline)) return 'play';
    const next = slots[i + 1];
    return next?.fec && next.arrival !== null && arrivedBy(next.arrival, s.deadline) ? 'fec' : 'conceal';
  });
}

/** A listener hears a concealed run this long or longer: Opus' PLC hides one lost 20 ms frame, not
 *  two (docs/audio.md "What is audible"); PCM has no concealment, so every concealed frame is heard. */
export const audibleRun = (codec: Codec['name']): number => (codec === 'opus' ? 2 : 1);

/** Concealed time (ms) in runs of at least audibleRun frames: audible_ms (docs/metrics.md). */
export function audibleMs(actions: readonly SlotAction[], codec: Codec['name'], frameMs = FRAME_MS): number {
  const min = audibleRun(codec);
  let total = 0, run = 0;
  for (const a of [...actions, 'play' as const]) {
    if (a === 'conceal') { run++; continue; }
    if (run >= min) total += run;
    run = 0;
  }
  return total * frameMs;
}

/** The decoded playout of consecutive slots: 16-bit PCM at sampleRate. `payloads[i]` is slot i's
 *  packet (null if it never arrived). */
export function renderPlayout(codec: Codec['name'], actions: readonly SlotAction[], payloads: readonly (Buffer | null)[],
  sampleRate: number, frameMs = FRAME_MS): Buffer {
  const frameBytes = (sampleRate * frameMs / 1000) * 2;
  const out = Buffer.alloc(actions.length * frameBytes);   // zero: PCM's concealment is silence
  const dec = codec === 'opus' ? new OpusDecoder(sampleRate, frameMs) : null;
  actions.forEach((a, i) => {
    const own = payloads[i], next = payloads[i + 1];
    let pcm: Buffer | null;
    if (!dec) pcm = a === 'play' ? own ?? null : null;
    else pcm = a === 'play' && own ? dec.decode(own) : a === 'fec' && next ? dec.recover(next) : dec.conceal();
    pcm?.copy(out, i * frameBytes, 0, Math.min(pcm.length, frameBytes));
  });
  return out;
}

const fecCheckers = new Map<string, OpusDecoder>();

/** Whether an Opus packet carries in-band FEC (LBRR) for the frame before it. libopus 1.3.1 has no
 *  query for it, so: a fresh decoder asked for FEC conceals (silence) unless LBRR is there. Checked
 *  against PLC-vs-FEC output on the sample by test/unit/opus.test.ts (docs/audio.md "Opus"). One
 *  decoder per format, reset before each packet: a new one per packet (≈ 10 kB of native state
 *  that V8 did not know of) grew a receiving role by ≈ 12 MB a minute (docs/hardening.md "Soak"). */
export function carriesFec(packet: Buffer, sampleRate: number, frameMs = FRAME_MS): boolean {
  const key = `${sampleRate}/${frameMs}`;
  let dec = fecCheckers.get(key);
  if (!dec) fecCheckers.set(key, dec = new OpusDecoder(sampleRate, frameMs));
  dec.reset();
  const pcm = dec.recover(packet);
  for (let k = 0; k < pcm.length; k += 2) if (pcm.readInt16LE(k) !== 0) return true;
  return false;
}
