// Figures 1 and 2 of `make figures` (harness/figures.ts): two published claims against the bench.
//   Figure 1 — the original project's claim: relay-repunch vs WebRTC ICE restart after Wi-Fi →
//     cellular (its README: ICE restart "about 5 seconds or more"; its own switch "interrupted for
//     less than a second").
//   Figure 2 — Liang et al., "Implementing NAT Hole Punching with QUIC" (arXiv:2408.01791, 2024):
//     restoring a hole-punched connection by QUIC migration saves about 2 RTT against re-punching a
//     new connection: quic-migration (EIF answerer NAT) vs reconnect against RTT and loss.
import { strategyDashes } from './colours.ts';
import { ciLayers, figureConfig, strategyColour, markShape, medianCi, RUN_MARK, SPLIT_AXIS, title, wrap, type FigureInput, type Layout } from './figure-marks.ts';
import { outcome } from './scored-rows.ts';
import { SCHEMA, type Spec } from './report-charts.ts';
import { censoredMedian, type Censored } from './stats.ts';

const q = (field: string, extra: object = {}) => ({ field, type: 'quantitative', ...extra });

// -- figure 1 -------------------------------------------------------------------------------------
/** One point drawn: a run that did not recover is censored, drawn at the window (`ms`). `strategy`
 *  is the run's label, `base` the strategy it ran. */
export interface Fig1Row { strategy: string; base: string; rep: number; metric: 'gap_ms' | 'recovery_ms'; ms: number; censored: boolean; success: boolean; id: string }

export function fig1Rows(rows: FigureInput[]): Fig1Row[] {
  return rows.flatMap((r) => (['gap_ms', 'recovery_ms'] as const).map((metric) => {
    const o = outcome(r, metric);
    return { strategy: r.label, base: r.strategy, rep: r.rep, metric, ms: o.value, censored: o.censored, success: r.success, id: r.id };
  }));
}

export const asCensored = (r: { ms: number; censored: boolean }): Censored => ({ value: r.ms, censored: r.censored });

/** Strategies down, ms across (log): box (min–max), runs, the median with its CI under the box,
 *  the original README's two statements as rules; gap and recovery side by side (stacked in a column). */
export function fig1Spec(rows: Fig1Row[], layout: Layout = 'page'): Spec {
  const labels = [...new Set(rows.map((r) => r.strategy))];
  const stats = labels.flatMap((strategy) => (['gap_ms', 'recovery_ms'] as const).map((metric) =>
    ({ kind: 'stat', strategy, metric, ...medianCi(rows.filter((r) => r.strategy === strategy && r.metric === metric).map(asCensored))! })));
  const claims = [{ ms: 1000, claim: 'its switch < 1 s' }, { ms: 5000, claim: 'ICE restart ≈ 5 s' }];
  const y = { field: 'strategy', type: 'nominal', title: null, sort: labels, ...(layout === 'column' ? { axis: SPLIT_AXIS } : {}) };
  const x = q('ms', { title: 'ms (log scale)', scale: { type: 'log' }, axis: { format: '~s' } });
  const colour = strategyColour(rows, layout);
  const runs = { filter: "datum.kind === 'run'" };
  return {
    $schema: SCHEMA, config: figureConfig(layout), title: title('Figure 1 — after Wi-Fi → cellular: relay-repunch vs ICE restart', layout),
    data: { values: [...rows.map((r) => ({ kind: 'run', ...r })), ...stats] },
    facet: { [layout === 'page' ? 'column' : 'row']: { field: 'metric', type: 'nominal', title: null,
      header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' } } },
    spec: {
      width: 180, height: { step: layout === 'page' ? 28 : 40 },
      layer: [
        { transform: [runs], mark: { type: 'boxplot', extent: 'min-max', opacity: 0.5, size: 12 }, encoding: { y, x, color: colour } },
        { transform: [runs, RUN_MARK], mark: { type: 'point', filled: true, size: 20 },
          encoding: { y, x, shape: markShape('x'), color: { condition: { test: 'datum.censored', value: '#d62728' }, value: 'black' } } },
        { data: { values: claims }, mark: { type: 'rule', color: 'gray' },
          encoding: { x: q('ms'), strokeDash: { field: 'claim', type: 'nominal', title: 'the original README', scale: { domain: claims.map((c) => c.claim), range: [[2, 2], [7, 3]] } } } },
        ...ciLayers({ transform: [{ filter: "datum.kind === 'stat'" }] }, 'x', { y: { ...y, bandPosition: 0.92 } }, colour),
      ],
    },
  };
}

// -- figure 2 -------------------------------------------------------------------------------------
/** One run; a run that did not recover is censored: its recovery_ms and gap_ms are the window. */
export interface Fig2Row { strategy: string; base: string; rtt_ms: number; loss_pct: number; rep: number; recovery_ms: number; gap_ms: number; censored: boolean; success: boolean; id: string }

/** The configured P2P RTT of a `custom:delay=D[,loss=L]` profile on all three access slots: the
 *  path crosses two of them (mobile uplink, answerer), each direction: 4·D. */
export function linkParams(link: string): { rtt_ms: number; loss_pct: number } | null {
  const m = /^custom:(.*)$/.exec(link);
  if (!m) return null;
  const fields = Object.fromEntries(m[1]!.split(',').map((kv) => kv.split('=') as [string, string]));
  if (fields.delay === undefined) return null;
  return { rtt_ms: 4 * Number(fields.delay), loss_pct: Number(fields.loss ?? 0) };
}

export function fig2Rows(rows: FigureInput[]): Fig2Row[] {
  return rows.flatMap((r) => {
    const p = linkParams(r.link);
    return p ? [{ strategy: r.label, base: r.strategy, ...p, rep: r.rep, recovery_ms: outcome(r, 'recovery_ms').value, gap_ms: outcome(r, 'gap_ms').value,
      censored: !r.success, success: r.success, id: r.id }] : [];
  });
}

/** Medians over every run of the link; a censored median (`_censored`) is a lower bound, and
 *  leaves the saving unknown (null). */
export interface Saving {
  rtt_ms: number; loss_pct: number; migration_ms: number | null; migration_censored: boolean;
  reconnect_ms: number | null; reconnect_censored: boolean; saved_ms: number | null; saved_rtt: number | null;
}

/** Median restoration time per strategy and the saving of migration over reconnecting, per link. */
export function savings(rows: Fig2Row[], migration: string, reconnect: string): Saving[] {
  const keys = [...new Set(rows.map((r) => `${r.rtt_ms}/${r.loss_pct}`))];
  return keys.map((k) => {
    const [rtt, loss] = k.split('/').map(Number) as [number, number];
    const med = (s: string) => censoredMedian(rows.filter((r) => r.strategy === s && r.rtt_ms === rtt && r.loss_pct === loss)
      .map((r) => ({ value: r.recovery_ms, censored: r.censored })));
    const a = med(migration), b = med(reconnect);
    const saved = a && b && !a.censored && !b.censored ? b.value - a.value : null;
    return { rtt_ms: rtt, loss_pct: loss, migration_ms: a?.value ?? null, migration_censored: a?.censored ?? false,
      reconnect_ms: b?.value ?? null, reconnect_censored: b?.censored ?? false, saved_ms: saved, saved_rtt: saved === null ? null : saved / rtt };
  }).sort((x, y) => x.loss_pct - y.loss_pct || x.rtt_ms - y.rtt_ms);
}

/** Three panels (side by side on a page, stacked in a column): recovery against RTT, the saving
 *  against 2·RTT, recovery against loss. Lines join the medians, dashed by strategy. */
export function fig2Spec(rows: Fig2Row[], saved: Saving[], layout: Layout = 'page'): Spec {
  const width = layout === 'page' ? 140 : 250, height = layout === 'page' ? 200 : 170;
  // lines in the legend: colour and dash, merged into one legend by vega-lite
  const colour = strategyColour(rows, layout, { symbolType: 'stroke', symbolStrokeWidth: 2 });
  const dash = { field: 'strategy', type: 'nominal', title: 'strategy', scale: strategyDashes(rows.map((r) => r.strategy)) };
  const panelTitle = (text: string) => ({ text: wrap(text, width + 70, 11), fontSize: 11 });
  const rttOfLoss = rows.find((r) => r.loss_pct > 0)?.rtt_ms;
  const line = (text: string, x: 'rtt_ms' | 'loss_pct', xTitle: string, values: Fig2Row[]) => {
    const keys = [...new Set(values.map((r) => `${r.strategy}\0${r[x]}`))].map((k) => k.split('\0') as [string, string]);
    const stats = keys.map(([strategy, at]) => ({ strategy, [x]: Number(at),
      ...medianCi(values.filter((r) => r.strategy === strategy && r[x] === Number(at)).map((r) => ({ value: r.recovery_ms, censored: r.censored })))! }));
    return {
      title: panelTitle(text), width, height,
      layer: [
        { data: { values }, transform: [RUN_MARK], mark: { type: 'point', filled: true, size: 20, opacity: 0.35 },
          encoding: { x: q(x, { title: xTitle }), y: q('recovery_ms', { title: 'recovery_ms' }), color: colour, shape: markShape('y') } },
        { data: { values: stats }, mark: { type: 'line' }, encoding: { x: q(x), y: q('median'), color: colour, strokeDash: dash } },
        ...ciLayers({ data: { values: stats } }, 'y', { x: q(x) }, colour),
      ],
    };
  };
  const savedPoints = saved.filter((s) => s.loss_pct === 0 && s.saved_ms !== null);
  const last = savedPoints.at(-1);
  // the saving panel's two lines named at their right end, not by a legend of their own
  const names = last ? [{ rtt_ms: last.rtt_ms, ms: last.saved_ms, name: 'saving', dy: -6 }, { rtt_ms: last.rtt_ms, ms: 2 * last.rtt_ms, name: '2·RTT', dy: 12 }] : [];
  const panels = [
    line('recovery vs RTT (no loss)', 'rtt_ms', 'configured P2P RTT (ms)', rows.filter((r) => r.loss_pct === 0)),
    {
      title: panelTitle('saving: median reconnect − median migration'), width, height,
      layer: [
        { data: { values: savedPoints }, mark: { type: 'line', point: { color: 'black' }, color: 'black' },
          encoding: { x: q('rtt_ms', { title: 'configured P2P RTT (ms)' }), y: q('saved_ms', { title: 'ms saved by migration' }) } },
        { data: { values: savedPoints.map((s) => ({ rtt_ms: s.rtt_ms, two_rtt: 2 * s.rtt_ms })) },
          mark: { type: 'line', strokeDash: [5, 3], color: 'gray' }, encoding: { x: q('rtt_ms'), y: q('two_rtt') } },
        ...names.map((n) => ({ data: { values: [n] }, mark: { type: 'text', align: 'right', dy: n.dy, fontSize: 10 },
          encoding: { x: q('rtt_ms'), y: q('ms'), text: { field: 'name' } } })),
      ],
    },
    ...(rttOfLoss === undefined ? [] : [line(`recovery vs loss (RTT ${rttOfLoss}\u00a0ms)`, 'loss_pct', 'loss per link (%)', rows.filter((r) => r.rtt_ms === rttOfLoss))]),
  ];
  return {
    $schema: SCHEMA, config: figureConfig(layout),
    title: title('Figure 2 — restoring a hole-punched connection: QUIC migration vs a new connection', layout),
    [layout === 'page' ? 'hconcat' : 'vconcat']: panels,
  };
}
