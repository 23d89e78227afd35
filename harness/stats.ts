// The statistics of reports, figures and the bench's printed medians, in one place so that every
// number follows one rule: every run counts. A run that never recovered has no time to report,
// only a lower bound (the observe window): it is right-censored, ranks above every measured value,
// and a statistic that reaches it is itself only a lower bound, printed `> value`.

/** A value, or (censored) a lower bound of it: the true value is above `value`. */
export interface Censored { value: number; censored: boolean }

const asCensored = (x: number | Censored): Censored => (typeof x === 'number' ? { value: x, censored: false } : x);
// censored values rank at +∞ (among themselves by their bound)
const byRank = (a: Censored, b: Censored) => Number(a.censored) - Number(b.censored) || a.value - b.value;

/** The q-quantile, interpolated between order statistics (R type 7, numpy's default). It is
 *  censored when it depends on a censored value; its `value` is then a lower bound. */
export function censoredQuantile(xs: readonly (number | Censored)[], q: number): Censored | null {
  if (!xs.length) return null;
  const s = xs.map(asCensored).sort(byRank);
  const h = (s.length - 1) * q, lo = Math.floor(h), frac = h - lo;
  const a = s[lo]!, b = s[Math.ceil(h)]!;
  return { value: a.value + frac * (b.value - a.value), censored: a.censored || (frac > 0 && b.censored) };
}

export const censoredMedian = (xs: readonly (number | Censored)[]) => censoredQuantile(xs, 0.5);

export const quantile = (xs: readonly number[], q: number): number | null => censoredQuantile(xs, q)?.value ?? null;

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/** The median of a metric that is measured, not censored (floors, detection, costs): over the runs
 *  that have it (null: not measured). */
export const measuredMedian = (xs: readonly (number | null)[]) => median(xs.filter((x): x is number => x !== null));

/** 95 % percentile-bootstrap CI of the (censored) median; seeded, so a report is reproducible. */
export function bootstrapCi(xs: readonly (number | Censored)[], resamples = 1000, seed = 1): [Censored, Censored] | null {
  if (xs.length < 2) return null;
  let state = seed >>> 0 || 1;
  const rand = () => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) / 2 ** 32; };
  const meds: Censored[] = [];
  for (let i = 0; i < resamples; i++) meds.push(censoredMedian(xs.map(() => xs[Math.floor(rand() * xs.length)]!))!);
  return [censoredQuantile(meds, 0.025)!, censoredQuantile(meds, 0.975)!];
}

/** `∅` (nothing measured), `> 8000` (censored: a lower bound), or the value; `unit` after a number. */
export function formatValue(v: number | Censored | null, digits = 0, unit = ''): string {
  if (v === null) return '∅';
  const c = asCensored(v);
  return `${c.censored ? '> ' : ''}${c.value.toFixed(digits)}${unit}`;
}

/** The least-squares slope of y over x; 0 for fewer than two points or a single x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / den;
}
