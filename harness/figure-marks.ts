// What the figures (harness/figures.ts) draw alike: the two layouts, the runs, and each median with
// its 95 % CI. A censored median or CI bound (a lower bound, `> W`) is drawn at the window W with an
// arrow pointing past it, never as a plain number.
import { strategyScale } from './colours.ts';
import { NOT_RECOVERED, type ChartRow } from './scored-rows.ts';
import { WHOLE_LABELS } from './report-charts.ts';
import { bootstrapCi, censoredMedian, type Censored } from './stats.ts';

/** page: 7 in wide; column: 3.5 in (`<name>-column.svg`). */
export type Layout = 'page' | 'column';
/** The widest SVG of each layout at 96 dpi, legends and padding included. */
export const MAX_WIDTH: Record<Layout, number> = { page: 672, column: 336 };

type Spec = Record<string, unknown>;
const TITLE_SIZE = 12;

/** Labels on lines at " (" and ", ": "original (detect=probe, media=stream)" in three. */
export const SPLIT_LABEL = "split(replace(replace(datum.label, / \\(/g, '|('), /, /g, ',|'), '|')";
/** A y axis with SPLIT_LABEL, each label centred on its tick (vega hangs the lines below the first). */
export const SPLIT_AXIS = { labelExpr: SPLIT_LABEL,
  labelOffset: { condition: [2, 3, 4].map((n) => ({ test: `length(${SPLIT_LABEL}) == ${n}`, value: -6 * (n - 1) })), value: 0 } };
/** Whole labels everywhere (vega truncates at 160–180 px with "…"), legends under the plot: side by
 *  side on a page unless `stack`, stacked in a column. */
export const figureConfig = (layout: Layout, stack = layout === 'column') => ({
  axis: WHOLE_LABELS.axis,
  legend: { ...WHOLE_LABELS.legend, orient: 'bottom', direction: 'vertical',
    layout: { bottom: { direction: stack ? 'vertical' : 'horizontal', anchor: 'start', margin: 10 } } },
  header: { labelLimit: 0, titleLimit: 0 },
  title: { fontSize: TITLE_SIZE, anchor: 'start', limit: 0 },
});

/** The width of `text` in px, rounded up from DejaVu Sans (the sans-serif rsvg-convert draws with on
 *  Debian, wider than most): vega, without a canvas to measure, would take 0.8 em a character and
 *  make every figure a third wider than drawn. figures.ts hands it to vega. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const em = [...text].reduce((w, c) => w + (/[ijl.,:;!'|]/.test(c) ? 0.32 : /[frt()[\]\- /]/.test(c) ? 0.42 : /[mw]/.test(c) ? 1
    : /[a-z0-9]/.test(c) ? 0.64 : /[A-Z]/.test(c) ? 0.8 : 1), 0);
  return Math.ceil(em * fontSize * (bold ? 1.1 : 1));
}

/** Text wrapped into lines no wider than `width` px. */
export function wrap(text: string, width: number, fontSize = TITLE_SIZE): string[] {
  return text.split(' ').reduce<string[]>((lines, w) => {
    const last = lines.at(-1);
    if (last !== undefined && textWidth(`${last} ${w}`, fontSize, true) <= width) lines[lines.length - 1] = `${last} ${w}`; else lines.push(w);
    return lines;
  }, []);
}
/** A figure's title, over the layout's width. */
export const title = (text: string, layout: Layout) => ({ text: wrap(text, MAX_WIDTH[layout] - 20) });

export const MEDIAN = 'median (bar: 95 % CI)';
export const BEYOND = 'median or CI bound > window';
/** Arrows past the window, right (x) or up (y): SVG paths in vega's unit square. */
const ARROW = { x: 'M-1,0.3H0.2V0.8L1,0L0.2,-0.8V-0.3H-1Z', y: 'M-0.3,1V-0.2H-0.8L0,-1L0.8,-0.2H0.3V1Z' };
/** One shape legend for what a mark is, `v` the value axis: runs (a run that did not recover sits
 *  at the window) and statistics. */
export const markShape = (v: 'x' | 'y') => ({ field: 'mark', type: 'nominal', title: null, legend: { symbolOpacity: 1 },
  scale: { domain: ['recovered', NOT_RECOVERED, MEDIAN, BEYOND], range: ['circle', v === 'x' ? 'triangle-right' : 'triangle-up', 'diamond', ARROW[v]] } });
/** Runs: `censored` decides their mark. */
export const RUN_MARK = { calculate: `datum.censored ? '${NOT_RECOVERED}' : 'recovered'`, as: 'mark' };

/** A median and its 95 % bootstrap CI, where to draw them: a censored one at the window. */
export interface MedianCi { median: number; lo: number; hi: number; censored: boolean; hi_censored: boolean; mark: string }
export function medianCi(xs: Censored[]): MedianCi | null {
  const m = censoredMedian(xs);
  if (!m) return null;
  // a censored statistic reaches a censored run, whose value is the window
  const window = Math.max(...xs.filter((x) => x.censored).map((x) => x.value));
  const at = (c: Censored) => (c.censored ? window : c.value);
  const [lo, hi] = bootstrapCi(xs) ?? [m, m];
  return { median: at(m), lo: at(lo), hi: at(hi), censored: m.censored, hi_censored: hi.censored, mark: m.censored ? BEYOND : MEDIAN };
}

/** The CI bar, the median (an arrow when censored) and an arrow at a censored upper bound, along
 *  `v` (`scale`: its scale); `source` gives the MedianCi rows (data or a filter), `at` the other position. */
export function ciLayers(source: { data?: unknown; transform?: object[] }, v: 'x' | 'y', at: Spec, colour: Spec, scale: object = {}): Spec[] {
  const q = (field: string) => ({ field, type: 'quantitative', ...scale });
  const base = (extra: object[] = []) => ({ ...(source.data ? { data: source.data } : {}), transform: [...(source.transform ?? []), ...extra] });
  const marker = { type: 'point', filled: true, size: 60, stroke: 'black', strokeWidth: 0.6, opacity: 1 };
  return [
    { ...base(), mark: { type: 'rule', strokeWidth: 2 }, encoding: { ...at, [v]: q('lo'), [`${v}2`]: { field: 'hi' }, color: colour } },
    { ...base(), mark: marker, encoding: { ...at, [v]: q('median'), color: colour, shape: markShape(v) } },
    { ...base([{ filter: 'datum.hi_censored && !datum.censored' }, { calculate: `'${BEYOND}'`, as: 'mark' }]),
      mark: marker, encoding: { ...at, [v]: q('hi'), color: colour, shape: markShape(v) } },
  ];
}

/** A scored run and the strategy it ran (its label may name a variant: harness/colours.ts). */
export type FigureInput = ChartRow & { strategy: string };

/** The colour of each label (the legend "strategy", whole symbols; `legend`: more of it); `base`: the
 *  strategy it ran. */
export function strategyColour(rows: readonly { strategy: string; base: string }[], layout: Layout, legend: object = {}) {
  const labels = rows.map((r) => r.strategy);
  return { field: 'strategy', type: 'nominal', title: 'strategy', scale: strategyScale(labels, new Map(rows.map((r) => [r.strategy, r.base]))),
    legend: { symbolOpacity: 1, ...(layout === 'column' ? { labelExpr: SPLIT_LABEL } : {}), ...legend } };
}
