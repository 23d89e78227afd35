// What a listener hears, from a run's frame table (harness/frames.ts): the one receiver model's slot
// actions (core/receiver.ts), audible_ms, and the E-model's MOS over the whole window and the seconds
// around the event (harness/emodel.ts). Sources of every constant: docs/audio.md "Quality".
import type { Codec } from '../core/codec.ts';
import { audibleMs, slotActions, type SlotAction } from '../core/receiver.ts';
import { burstGap, type BurstGap } from './burst-gap.ts';
import { burstRatio, voipQuality } from './emodel.ts';
import type { FrameTable } from './frames.ts';
import { FRAME_MS, type Playout } from '../core/playout.ts';

/** A codec's E-model inputs on the wideband scale (G.107.1) and its delay beyond the network. */
interface CodecQuality { Ie: number; Bpl: number; delayMs: number }
const QUALITY: Record<Codec['name'], CodecQuality> = {
  // 16 kHz linear PCM is G.107.1's reference (Ie,WB 0); lost frames play as silence, as G.711
  // without PLC, whose Bpl is 4.3 (G.113 Appendix I). Delay: the 20 ms frame.
  pcm: { Ie: 0, Bpl: 4.3, delayMs: 20 },
  // Opus WB VBR: the highest published wideband rate, 13 kbit/s (Alahmadi, Pocta & Melvin, ACM TOMM
  // 17(4):133, 2021): an upper bound on Ie at the bench's 24 kbit/s. Delay: the 20 ms frame plus
  // libopus' 6.5 ms look-ahead (OPUS_GET_LOOKAHEAD, VOIP).
  opus: { Ie: 19.96, Bpl: 19.5, delayMs: 26.5 },
};

/** The seconds each side of E that mos_pre and mos_event cover (the pre-event window's width). */
export const QUALITY_WINDOW_MS = 3000;

export interface Quality extends BurstGap {
  audible_ms: number;
  fec_frames: number;
  mos: number | null;
  mos_pre: number | null;
  mos_event: number | null;
}

/** The receiver model's action for every frame of the table, in order; a frame whose successor is
 *  not the next seq gets no FEC from it, and PCM has none. */
export function frameActions(t: FrameTable, codec: Codec): SlotAction[] {
  const frames = codec.name === 'pcm' ? t.frames.map((f) => ({ ...f, fec: false })) : t.frames;
  const actions: SlotAction[] = [];
  let i = 0;
  while (i < frames.length) {   // runs of consecutive seqs
    let j = i + 1;
    while (j < frames.length && frames[j]!.seq === frames[j - 1]!.seq + 1) j++;
    for (const a of slotActions(frames.slice(i, j))) actions.push(a);   // not push(...): a soak's run is 100k+ frames, past the stack's argument limit
    i = j;
  }
  return actions;
}

/** `addedDelayMs` counts toward the fixed buffer's mouth-to-ear delay after the event; an adaptive
 *  buffer's own delay already holds it. */
export function quality(t: FrameTable, codec: Codec, addedDelayMs: number | null, playout: Playout = 'fixed'): Quality {
  const actions = frameActions(t, codec);
  const q = QUALITY[codec.name];
  const window = (from: number, to: number, extraMs: number): number | null => {
    const inside = t.frames.flatMap((f, i) => (f.deadline >= from && f.deadline < to ? [{ f, lost: actions[i] === 'conceal' }] : []));
    if (!inside.length) return null;
    const lost = inside.map((x) => x.lost);
    const lossPct = (100 * lost.filter(Boolean).length) / lost.length;
    // The buffer's delay from capture to playout (fixed: D0 + J; adaptive: its mean over the window),
    // plus, for the fixed buffer, a relay's added delay: what it would have to stretch by to play
    // the path the strategy ends on (docs/audio.md "Quality").
    const buffered = inside.reduce((a, x) => a + x.f.deadline - x.f.sentAt, 0) / inside.length;
    const mouthToEarMs = buffered + q.delayMs + (playout === 'fixed' ? Math.max(0, extraMs) : 0);
    return round(voipQuality({ mouthToEarMs, Ie: q.Ie, Bpl: q.Bpl, lossPct, burstR: burstRatio(lost), scale: 'wb' }).mos);
  };
  const added = addedDelayMs ?? 0;
  return {
    audible_ms: audibleMs(actions, codec.name),
    ...burstGap(actions.map((a) => a === 'conceal'), FRAME_MS),
    fec_frames: actions.filter((a) => a === 'fec').length,
    mos: window(-Infinity, Infinity, added),
    mos_pre: window(t.E - QUALITY_WINDOW_MS, t.E, 0),
    mos_event: window(t.E, t.E + QUALITY_WINDOW_MS, added),
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
