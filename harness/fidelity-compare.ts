// The fidelity check of fast benches (issue 16): the same cells made fast (early stop, parallel)
// and slow (the whole window, one run at a time) must give the same per-cell medians of gap_ms,
// recovery_ms and direct_ms — within 10 % or one frame (20 ms), whichever is larger. Medians by
// the report's rule (every ok and failed run in N, censored at the window: harness/stats.ts).
import { FRAME_MS } from '../core/playout.ts';
import type { RunRecord } from './records.ts';
import { chartRows, groupBy, outcome, type ChartRow, type TimeMetric } from './scored-rows.ts';
import { censoredMedian, formatValue, type Censored } from './stats.ts';

export const COMPARED: TimeMetric[] = ['gap_ms', 'recovery_ms', 'direct_ms'];
export const TOLERANCE_SHARE = 0.1;

export interface CellComparison { cell: string; runs: [number, number]; metric: TimeMetric; fast: Censored | null; slow: Censored | null; same: boolean }

/** Equal within the tolerance; a censored median (never reached) only matches one censored too. */
export function sameMedian(a: Censored | null, b: Censored | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.censored || b.censored) return a.censored && b.censored;
  return Math.abs(a.value - b.value) <= Math.max(FRAME_MS, TOLERANCE_SHARE * Math.max(Math.abs(a.value), Math.abs(b.value)));
}

const cellOf = (r: ChartRow) => [r.label, r.nat, r.link, r.event].join(' | ');

/** Every cell the two benches share, metric by metric. */
export function compareBenches(fast: RunRecord[], slow: RunRecord[]): CellComparison[] {
  const f = groupBy(chartRows(fast), cellOf), s = groupBy(chartRows(slow), cellOf);
  return [...f].filter(([cell]) => s.has(cell)).flatMap(([cell, fr]) => {
    const sr = s.get(cell)!;
    return COMPARED.map((metric) => {
      const a = censoredMedian(fr.map((r) => outcome(r, metric))), b = censoredMedian(sr.map((r) => outcome(r, metric)));
      return { cell, runs: [fr.length, sr.length] as [number, number], metric, fast: a, slow: b, same: sameMedian(a, b) };
    });
  });
}

export function comparisonLines(rows: CellComparison[]): string[] {
  const differ = rows.filter((r) => !r.same);
  return [
    'cell (strategy | NAT | link | event): metric fast vs slow median (runs fast/slow)',
    ...rows.map((r) => `  ${r.same ? 'same  ' : 'DIFFERS'} ${r.cell}: ${r.metric} ${formatValue(r.fast)} vs ${formatValue(r.slow)} (${r.runs.join('/')})`),
    `${rows.length - differ.length} of ${rows.length} medians agree within ${TOLERANCE_SHARE * 100} % or ${FRAME_MS} ms`,
  ];
}
