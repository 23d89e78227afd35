// The ITU-T G.107 (06/2015) E-model, narrowband scale: a transmission rating R (0..100) and its
// MOS from a connection's loudness, noise, echo, delay, codec and packet loss. The bench uses it to
// turn one measured delay and loss into the conversational quality a planner would predict, so the
// formulas follow the Recommendation term by term (clause numbers in the comments).

/** G.107 Table 3 inputs: loudness ratings and losses in dB, noise in dBm0p / dBmp, powers in
 *  dB(A), delays in ms, Ppl in %. */
export interface EModelParams {
  SLR: number; RLR: number; STMR: number; LSTR: number; Ds: number; Dr: number; TELR: number; WEPL: number;
  T: number; Tr: number; Ta: number; qdu: number; Ie: number; Bpl: number; Ppl: number; BurstR: number;
  Nc: number; Nfor: number; Ps: number; Pr: number; A: number;
}

// Dr (the receive-side D-factor) enters the formulas only through LSTR = STMR + Dr.
export const G107_DEFAULTS: Readonly<EModelParams> = Object.freeze({
  SLR: 8, RLR: 2, STMR: 15, LSTR: 18, Ds: 3, Dr: 3, TELR: 65, WEPL: 110, T: 0, Tr: 0, Ta: 0, qdu: 1,
  Ie: 0, Bpl: 4.3, Ppl: 0, BurstR: 1, Nc: -70, Nfor: -64, Ps: 35, Pr: 35, A: 0,
});

const log10 = Math.log10;
const dbSum = (...levels: number[]) => 10 * log10(levels.reduce((s, l) => s + 10 ** (l / 10), 0));

/** R = Ro − Is − Id − Ie,eff + A and its terms; an input not given takes its G.107 default. */
export function rFactor(p: Partial<EModelParams> = {}): { R: number; Ro: number; Is: number; Id: number; IeEff: number } {
  const { SLR, RLR, STMR, LSTR, Ds, TELR, WEPL, T, Tr, Ta, qdu, Ie, Bpl, Ppl, BurstR, Nc, Nfor, Ps, Pr, A } = { ...G107_DEFAULTS, ...p };
  const OLR = SLR + RLR;

  // §7.2 Basic signal-to-noise ratio: circuit noise plus room noise at both ends and the noise floor.
  const Nos = Ps - SLR - Ds - 100 + 0.004 * (Ps - OLR - Ds - 14) ** 2;
  const Pre = Pr + 10 * log10(1 + 10 ** ((10 - LSTR) / 10)); // receive-side room noise raised by listener sidetone
  const Nor = RLR - 121 + Pre + 0.008 * (Pre - 35) ** 2;
  const Nfo = Nfor + RLR;
  const No = dbSum(Nc, Nos, Nor, Nfo);
  const Ro = 15 - 1.5 * (SLR + No);

  // §7.3 Simultaneous impairments: too low a loudness (Iolr), non-optimum sidetone (Ist), quantizing (Iq).
  const Xolr = OLR + 0.2 * (64 + No - RLR);
  const Iolr = 20 * ((1 + (Xolr / 8) ** 8) ** (1 / 8) - Xolr / 8);
  const STMRo = -10 * log10(10 ** (-STMR / 10) + Math.exp(-T / 4) * 10 ** (-TELR / 10));
  const Ist = 12 * (1 + ((STMRo - 13) / 6) ** 8) ** (1 / 8) - 28 * (1 + ((STMRo + 1) / 19.4) ** 35) ** (1 / 35)
    - 13 * (1 + ((STMRo - 3) / 33) ** 13) ** (1 / 13) + 29;
  const Q = 37 - 15 * log10(qdu);
  const G = 1.07 + 0.258 * Q + 0.0602 * Q ** 2;
  const Y = (Ro - 100) / 15 + 46 / 8.4 - G / 9;
  const Z = 46 / 30 - G / 40;
  const Iq = 15 * log10(1 + 10 ** Y + 10 ** Z);
  const Is = Iolr + Ist + Iq;

  // §7.4 Delay impairments. Talker echo (Idte): below 1 ms the echo is heard as sidetone (Idte = 0);
  // a loud sidetone (STMR < 9 dB) masks the echo (TERVs), a quiet one (STMR > 20 dB) adds to it (Idtes).
  const TERV = TELR - 40 * log10((1 + T / 10) / (1 + T / 150)) + 6 * Math.exp(-0.3 * T ** 2) + (STMR < 9 ? Ist / 2 : 0);
  const Roe = -1.5 * (No - RLR);
  const Re = 80 + 2.5 * (TERV - 14);
  const Idte0 = T < 1 ? 0 : ((Roe - Re) / 2 + Math.sqrt((Roe - Re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-T));
  const Idte = STMR > 20 ? Math.hypot(Idte0, Ist) : Idte0;
  // Listener echo (Idle), from the round-trip delay Tr of the echo path and its weighted loss WEPL.
  const Rle = 10.5 * (WEPL + 7) * (Tr + 1) ** -0.25;
  const Idle = (Ro - Rle) / 2 + Math.sqrt((Ro - Rle) ** 2 / 4 + 169);
  // Absolute delay (Idd), with the default delay sensitivity (sT = 1, mT = 100 ms) that G.107 (06/2015)
  // requires for conversational telephony; other classes are for low-interactivity services.
  const X = log10(Ta / 100) / log10(2);
  const Idd = Ta > 100 ? 25 * ((1 + X ** 6) ** (1 / 6) - 3 * (1 + (X / 3) ** 6) ** (1 / 6) + 2) : 0;
  const Id = Idte + Idle + Idd;

  // §7.5 Effective equipment impairment: the codec's Ie raised by packet loss, more so when bursty.
  const IeEff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl);

  // §7.1, with the advantage factor A of §7.6
  return { R: Ro - Is - Id - IeEff + A, Ro, Is, Id, IeEff };
}

/** G.107 Annex B: the conversational-quality MOS (MOS_CQE) that R predicts. */
export function mosFromR(R: number): number {
  if (R <= 0) return 1;
  if (R >= 100) return 4.5;
  return 1 + 0.035 * R + 7e-6 * R * (R - 60) * (100 - R);
}

/** G.107.1's wideband scale: Ro,WB = 129, Is,WB = 0; its R maps to MOS through R/1.29 (docs/audio.md "Quality"). */
export const WB_RO = 129;
export const WB_TO_NB = 1.29;

/** The bench's use: a one-way mouth-to-ear delay in ms with echo-cancelled VoIP (T = Ta, Tr = 2·Ta), a
 *  codec's Ie/Bpl on the scale given, a packet-loss % and BurstR. On the wideband scale (G.107.1) R =
 *  129 − Id − Ie,eff,WB with Id from G.107's delay formulas (the same terms, as G.107.1 takes them). */
export function voipQuality(o: { mouthToEarMs: number; Ie: number; Bpl: number; lossPct: number; burstR: number; scale?: 'nb' | 'wb' }): { R: number; mos: number } {
  const r = rFactor({ T: o.mouthToEarMs, Tr: 2 * o.mouthToEarMs, Ta: o.mouthToEarMs, Ie: o.Ie, Bpl: o.Bpl, Ppl: o.lossPct, BurstR: o.burstR });
  if (o.scale !== 'wb') return { R: r.R, mos: mosFromR(r.R) };
  const R = WB_RO - r.Id - r.IeEff;
  return { R, mos: mosFromR(R / WB_TO_NB) };
}

/** BurstR from a per-packet loss sequence (true = lost/concealed): G.107's definition, BurstR = (average observed burst length) / (average burst length expected for random loss at the same loss rate) = 1/(p+q) for a 2-state Markov with p = P(loss|no loss), q = P(no loss|loss); 1 when no loss or not computable.
 *  Computed from the definition itself (mean burst L/B over the random 1/(1 − L/N)), which equals
 *  the Markov estimate up to edge effects and, unlike it, still counts a burst that ends the sequence. */
export function burstRatio(lost: readonly boolean[]): number {
  const n = lost.length;
  let losses = 0, bursts = 0;
  lost.forEach((l, i) => { if (l) { losses++; if (i === 0 || !lost[i - 1]) bursts++; } });
  if (losses === 0 || losses === n) return 1; // random loss at rate 1 has no finite expected burst
  return (losses / bursts) * (1 - losses / n);
}
