// Does a quantity sampled over a long run stay flat? The slope rule of `make soak` (docs/hardening.md
// "Soak"): the samples before `judgeFrom` are the processes settling in and are not judged; over the
// rest a least-squares line is fitted, and its rise across the judged span must stay within a
// tolerance. A fitted line, not last minus first: one sample taken at a GC's peak must not decide it.
import { leastSquaresSlope, median as medianOf } from '../stats.ts';

export interface Sample { t: number; v: number }

/** What may rise across the judged span, given the quantity's median there. */
export type Tolerance = (median: number) => number;

export const TOLERANCES = {
  /** Resident memory, kB: V8 grows its heap in steps and collects in a sawtooth of several MB. */
  rssKb: (median: number) => Math.max(0.1 * median, 8 * 1024),
  /** Open file descriptors: a socket opened and closed around a sample. */
  fds: () => 2,
  /** The intermediate's state (connections, sessions, relay sessions): one entry in flight at a switch. */
  entries: () => 1,
} satisfies Record<string, Tolerance>;

/** Fewer judged samples than this and nothing is said. */
export const MIN_JUDGED = 3;

export interface Trend {
  /** Samples taken, and judged (from judgeFrom on). */
  n: number; judged: number;
  first: number; last: number; median: number;
  /** The fitted line's rise across the judged span, and per hour. */
  rise: number; perHour: number;
  tolerance: number;
  /** null: too few samples to say. */
  flat: boolean | null;
}

export function trend(samples: readonly Sample[], tolerance: Tolerance, judgeFrom: number): Trend {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const judged = sorted.filter((s) => s.t >= judgeFrom);
  const median = medianOf(judged.map((s) => s.v)) ?? NaN;
  const slope = leastSquaresSlope(judged.map((s) => ({ x: s.t, y: s.v })));
  const span = judged.length ? judged.at(-1)!.t - judged[0]!.t : 0;
  const rise = slope * span;
  const tol = tolerance(median);
  return {
    n: sorted.length, judged: judged.length, first: judged[0]?.v ?? NaN, last: judged.at(-1)?.v ?? NaN, median,
    rise, perHour: slope * 3_600_000, tolerance: tol,
    flat: judged.length < MIN_JUDGED ? null : rise <= tol,
  };
}
