// Figure 3 — the field (`make figures`, harness/configs/field.json): the strategies under
// phone-like handovers (docs/testbed.md "Phone-like events") onto a traced cellular link, beside the
// one field measurement of the original system: its author's Android runs, 10 each, interruption
// after Wi-Fi → cellular (docs/research.md "The original system"). A run's interruption is its
// recovery_ms: from the loss of Wi-Fi (E) until the audio plays steadily again.
import { ciLayers, figureConfig, markShape, MAX_WIDTH, medianCi, RUN_MARK, SPLIT_AXIS, strategyColour, title, wrap, type FigureInput, type Layout } from './figure-marks.ts';
import { outcome } from './scored-rows.ts';
import { SCHEMA, type Spec } from './report-charts.ts';
import { censoredMedian, formatValue, type Censored } from './stats.ts';

/** The field's published values (ms): median and range of 10 runs each. */
export const FIELD_REFERENCE = [
  { label: 'original, field (Android)', median: 3440, lo: 2230, hi: 4350 },
  { label: 'Microsoft Teams, field', median: 6030, lo: 3340, hi: 15460 },
  { label: 'Whereby, field', median: 7930, lo: 6720, hi: 18000 },
] as const;
/** The bench's label for the original with its latest ways (field.json). */
export const FAITHFUL = 'original (detect=probe, media=stream)';
export const HANDOVER = 'handover (OS 1–4 s)';

/** The verdict rule, fixed before measuring: the faithful original's median interruption under the
 *  handovers lands inside the field's range for the original. */
export function fieldAgrees(rows: Fig3Row[]): { agree: boolean; median: Censored | null } {
  const median = censoredMedian(rows.filter((r) => r.strategy === FAITHFUL && r.condition === HANDOVER)
    .map((r) => ({ value: r.recovery_ms, censored: r.censored })));
  const [ref] = FIELD_REFERENCE;
  return { agree: median !== null && !median.censored && median.value >= ref.lo && median.value <= ref.hi, median };
}

/** One run: a run that did not recover is censored at its window. `strategy` is the run's label,
 *  `base` the strategy it ran. */
export interface Fig3Row {
  strategy: string; base: string; condition: string; event: string; rep: number; recovery_ms: number; gap_ms: number;
  detect_ms: number | null; censored: boolean; success: boolean; id: string;
}

/** The handovers, whatever their OS delay, are one condition: that delay is drawn (field.json). */
export const conditionOf = (event: string) => (event.startsWith('handover:') ? HANDOVER : event);

export function fig3Rows(rows: FigureInput[]): Fig3Row[] {
  return rows.map((r) => {
    const rec = outcome(r, 'recovery_ms');
    return { strategy: r.label, base: r.strategy, condition: conditionOf(r.event), event: r.event, rep: r.rep, recovery_ms: rec.value,
      gap_ms: outcome(r, 'gap_ms').value, detect_ms: r.detect_ms, censored: rec.censored, success: r.success, id: r.id };
  });
}

const medianOf = (rs: Fig3Row[], m: 'recovery_ms' | 'gap_ms') => censoredMedian(rs.map((r) => ({ value: r[m], censored: r.censored })));
const groups = (rows: Fig3Row[]) => [...new Set(rows.map((r) => `${r.strategy}\u0000${r.condition}`))]
  .map((k) => k.split('\u0000') as [string, string]);

/** One panel per condition (the handovers first, beside the field's values), strategies down,
 *  interruption across (log): runs, and each median with its 95 % CI under them. */
export function fig3Spec(rows: Fig3Row[], layout: Layout = 'page'): Spec {
  const colour = strategyColour(rows, layout);
  const scale = { scale: { type: 'log', domain: [20, 20000], nice: false }, axis: { format: '~s' } };
  const x = { type: 'quantitative', title: 'interruption: recovery_ms (ms, log scale)', ...scale };
  const conditions = [...new Set([HANDOVER, ...rows.map((r) => r.condition)])].filter((c) => rows.some((r) => r.condition === c));
  const field = FIELD_REFERENCE.map((f) => ({ ...f, strategy: f.label }));
  const panel = (condition: string) => {
    const rs = rows.filter((r) => r.condition === condition);
    const labels = [...new Set(rs.map((r) => r.strategy))];
    const stats = labels.map((strategy) => ({ strategy, ...medianCi(rs.filter((r) => r.strategy === strategy).map((r) => ({ value: r.recovery_ms, censored: r.censored })))! }));
    const withField = condition === HANDOVER;
    const y = { field: 'strategy', type: 'nominal', title: null, sort: [...labels, ...(withField ? field.map((f) => f.label) : [])],
      ...(layout === 'column' ? { axis: SPLIT_AXIS } : {}) };
    return {
      title: { text: wrap(withField ? `${condition}; the field: range (grey) and median (black) of 10 runs on a phone` : condition,
        MAX_WIDTH[layout] - 20, 11), fontSize: 11 },
      width: layout === 'page' ? 370 : 140, height: { step: layout === 'page' ? 26 : 40 },
      layer: [
        ...(withField ? [
          { data: { values: field }, mark: { type: 'rule', color: 'gray', strokeWidth: 4, opacity: 0.6 }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } } },
          { data: { values: field }, mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { y, x: { ...x, field: 'median' } } },
        ] : []),
        { data: { values: rs }, transform: [RUN_MARK], mark: { type: 'point', filled: true, size: 30, opacity: 0.6 },
          encoding: { y: { ...y, bandPosition: 0.4 }, x: { ...x, field: 'recovery_ms' }, color: colour, shape: markShape('x') } },
        ...ciLayers({ data: { values: stats } }, 'x', { y: { ...y, bandPosition: 0.85 } }, colour, scale),
      ],
    };
  };
  return {
    $schema: SCHEMA, config: figureConfig(layout, true), title: title('Figure 3 — phone-like handovers in the bench, beside the field', layout),
    vconcat: conditions.map(panel), resolve: { scale: { y: 'independent' } },
  };
}
const fmt = (v: Censored | number | null) => formatValue(v, 0, ' ms');

/** The README section: the table beside the field's numbers and the verdict. */
export function fig3Notes(rows: Fig3Row[]): string[] {
  const out = ['## Figure 3 — phone-like handovers beside the field', '',
    'Interruption = `recovery_ms` (from the loss of Wi-Fi until the audio plays steadily again); cellular replays the ' +
    '`lte-walk` trace; `handover` pools OS delays of 1, 2.5 and 4 s, equally often (Android validates a network ' +
    'before it becomes the default; docs/research.md "Real handovers"). Every run counts (success x/N; a median ' +
    'that reaches a run that did not recover is `> window`).', '',
    '| strategy | condition | runs | success | recovery_ms median (range) | gap_ms median | detect_ms median |', '|---|---|---|---|---|---|---|'];
  for (const [strategy, condition] of groups(rows)) {
    const rs = rows.filter((r) => r.strategy === strategy && r.condition === condition);
    const ok = rs.filter((r) => !r.censored).map((r) => r.recovery_ms);
    const range = ok.length ? ` (${Math.min(...ok).toFixed(0)}–${Math.max(...ok).toFixed(0)})` : '';
    const detect = rs.flatMap((r) => (r.detect_ms === null ? [] : [r.detect_ms])).sort((a, b) => a - b);
    out.push(`| ${strategy} | ${condition} | ${rs.length} | ${rs.filter((r) => r.success).length}/${rs.length} | ${fmt(medianOf(rs, 'recovery_ms'))}${range} | ` +
      `${fmt(medianOf(rs, 'gap_ms'))} | ${detect.length ? fmt(detect[Math.floor((detect.length - 1) / 2)]!) : '∅'} |`);
  }
  for (const f of FIELD_REFERENCE) out.push(`| ${f.label} | Wi-Fi → cellular on a phone | 10 | – | ${f.median} ms (${f.lo}–${f.hi}) | – | – |`);
  const { agree, median } = fieldAgrees(rows);
  out.push('', `**Does the bench agree with the field?** ${agree ? 'Yes' : 'No'}, by the rule set before measuring (the faithful ` +
    `original's median interruption under the handovers lies within the field's 2230–4350 ms): ${fmt(median)}.`, '');
  return out;
}
