// Burst and gap statistics of a run's concealed frames, as RFC 3611 §4.7.2 (VoIP Metrics Report Block)
// defines them with Gmin = 16: a burst is the longest stretch that starts and ends with a loss and
// holds no Gmin consecutive received packets; gaps are the rest. A loss with at least Gmin received
// packets on both sides is a gap loss, as in the RFC's Appendix A.2 algorithm (the session counts as
// preceded and followed by Gmin received packets). docs/metrics.md defines each column.

/** RFC 3611's recommended Gmin. */
export const GMIN = 16;

export interface BurstGap {
  /** Lost frames in bursts over the frames in bursts, %; 0 with no burst. */
  burst_density_pct: number;
  /** Lost frames in gaps over the frames in gaps, %; 0 with no gap. */
  gap_density_pct: number;
  /** Mean burst length × frameMs; 0 with no burst. */
  burst_mean_ms: number;
  /** Mean gap length × frameMs; 0 with no gap. */
  gap_period_mean_ms: number;
}

/** `lost[i]`: frame i (consecutive frames) was concealed. */
export function burstGap(lost: readonly boolean[], frameMs: number, gmin = GMIN): BurstGap {
  const losses = lost.flatMap((l, i) => (l ? [i] : []));
  // groups of losses less than gmin received frames apart; a group of one is a gap loss
  const bursts: [number, number, number][] = [];   // first index, last index, losses
  for (let k = 0; k < losses.length;) {
    let j = k;
    while (j + 1 < losses.length && losses[j + 1]! - losses[j]! - 1 < gmin) j++;
    if (j > k) bursts.push([losses[k]!, losses[j]!, j - k + 1]);
    k = j + 1;
  }
  const burstFrames = bursts.reduce((a, [s, e]) => a + e - s + 1, 0);
  const burstLosses = bursts.reduce((a, [, , n]) => a + n, 0);
  const gapFrames = lost.length - burstFrames, gapLosses = losses.length - burstLosses;
  // gaps: before the first burst, between bursts, after the last (each only if it holds a frame)
  const edges = [-1, ...bursts.flatMap(([s, e]) => [s, e]), lost.length];
  let gaps = 0;
  for (let i = 0; i < edges.length; i += 2) if (edges[i + 1]! - edges[i]! > 1) gaps++;
  const pct = (a: number, b: number) => (b > 0 ? Math.round((10000 * a) / b) / 100 : 0);
  return {
    burst_density_pct: pct(burstLosses, burstFrames),
    gap_density_pct: pct(gapLosses, gapFrames),
    burst_mean_ms: bursts.length ? (burstFrames / bursts.length) * frameMs : 0,
    gap_period_mean_ms: gaps ? (gapFrames / gaps) * frameMs : 0,
  };
}
