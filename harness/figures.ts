// `make figures`: pinned configs with fixed seeds (harness/configs/figure*.json), rendered by
// vega's headless renderer into reports/figures/*.svg, each with the CSV behind it, and a
// README.md that says what the figures show and whether the bench agrees with the claim.
//   Figure 1 — the original project's claim: relay-repunch vs WebRTC ICE restart after Wi-Fi →
//     cellular (its README: ICE restart "about 5 seconds or more"; its own switch "interrupted for
//     less than a second").
//   Figure 2 — Liang et al., "Implementing NAT Hole Punching with QUIC" (arXiv:2408.01791, 2024):
//     restoring a hole-punched connection by QUIC migration saves about 2 RTT against re-punching a
//     new connection: quic-migration (EIF answerer NAT) vs reconnect against RTT and loss.
//   Figure 3 — the field: phone-like handovers beside the original's Android measurement
//     (harness/figure-field.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse as parseVega, View } from 'vega';
import { compile } from 'vega-lite';
import { readRecords } from './records.ts';
import { REPO } from './paths.ts';
import { REPORTS } from './report.ts';
import { chartRows, NOT_RECOVERED, outcome, type ChartRow } from './report-rows.ts';
import { SCHEMA } from './report-charts.ts';
import { censoredMedian, formatValue, type Censored } from './stats.ts';
import { fig3Notes, fig3Rows, fig3Spec } from './figure-field.ts';

export const FIGURES_DIR = path.join(REPORTS, 'figures');
/** Configs per figure, run in this order (figure 1 has a second config: `trigger=ice` needs a
 *  longer observation window, libjuice reports ICE failure only after 30 s). */
export const FIGURE_CONFIGS: Record<Figure, string[]> = {
  '1': ['figure1.json', 'figure1-ice.json'],
  '2': ['figure2.json'],
  '3': ['field.json'],
};
export type Figure = '1' | '2' | '3';
const configName = (file: string) => file.replace(/\.json$/, '');

type Spec = Record<string, unknown>;

/** A vega-lite spec as a standalone SVG document (no browser, no canvas). */
export async function toSvg(spec: Spec): Promise<string> {
  const view = new View(parseVega(compile(spec as never).spec), { renderer: 'none' });
  try { return await view.toSVG(); } finally { view.finalize(); }
}

// -- figure 1 -------------------------------------------------------------------------------------
/** One point drawn: a run that did not recover is censored, drawn at the window (`ms`). */
export interface Fig1Row { strategy: string; rep: number; metric: 'gap_ms' | 'recovery_ms'; ms: number; censored: boolean; success: boolean; id: string }

export function fig1Rows(rows: ChartRow[]): Fig1Row[] {
  return rows.flatMap((r) => (['gap_ms', 'recovery_ms'] as const).map((metric) => {
    const o = outcome(r, metric);
    return { strategy: r.label, rep: r.rep, metric, ms: o.value, censored: o.censored, success: r.success, id: r.id };
  }));
}

const asCensored = (r: { ms: number; censored: boolean }): Censored => ({ value: r.ms, censored: r.censored });
/** Point marks: a run that did not recover is a red triangle (at the window's top). */
const outcomeMarks = {
  transform: [{ calculate: `datum.censored ? '${NOT_RECOVERED}' : 'recovered'`, as: 'outcome' }],
  shape: { field: 'outcome', type: 'nominal', title: null, scale: { domain: ['recovered', NOT_RECOVERED], range: ['circle', 'triangle-up'] }, legend: { labelLimit: 300 } },
  // a value, not a scale: the colour scale is the boxes' (per strategy)
  color: { condition: { test: 'datum.censored', value: '#d62728' }, value: 'black' },
};

export function fig1Spec(rows: Fig1Row[]): Spec {
  const claims = [{ ms: 1000, what: 'original: its switch < 1 s' }, { ms: 5000, what: 'original: ICE restart ≈ 5 s' }];
  return {
    $schema: SCHEMA, title: 'Figure 1 — after Wi-Fi → cellular: relay-repunch vs ICE restart',
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 300, height: 300,
      layer: [
        { mark: { type: 'boxplot', extent: 'min-max', opacity: 0.5 },
          encoding: { x: { field: 'strategy', type: 'nominal', title: null, axis: { labelAngle: -30 } },
            y: { field: 'ms', type: 'quantitative', title: 'ms (log scale)', scale: { type: 'log' } },
            color: { field: 'strategy', type: 'nominal', legend: null } } },
        { transform: outcomeMarks.transform, mark: { type: 'point', filled: true, size: 25 },
          encoding: { x: { field: 'strategy', type: 'nominal' }, y: { field: 'ms', type: 'quantitative' },
            shape: outcomeMarks.shape, color: outcomeMarks.color } },
        { data: { values: claims }, mark: { type: 'rule', strokeDash: [5, 3], color: 'gray' },
          encoding: { y: { field: 'ms', type: 'quantitative' } } },
        { data: { values: claims }, mark: { type: 'text', align: 'left', dx: 2, dy: -6, fontSize: 10, color: 'gray' },
          encoding: { y: { field: 'ms', type: 'quantitative' }, x: { value: 0 }, text: { field: 'what' } } },
      ],
    },
  };
}

// -- figure 2 -------------------------------------------------------------------------------------
/** One run; a run that did not recover is censored: its recovery_ms and gap_ms are the window. */
export interface Fig2Row { strategy: string; rtt_ms: number; loss_pct: number; rep: number; recovery_ms: number; gap_ms: number; censored: boolean; success: boolean; id: string }

/** The configured P2P RTT of a `custom:delay=D[,loss=L]` profile on all three access slots: the
 *  path crosses two of them (mobile uplink, answerer), each direction: 4·D. */
export function linkParams(link: string): { rtt_ms: number; loss_pct: number } | null {
  const m = /^custom:(.*)$/.exec(link);
  if (!m) return null;
  const fields = Object.fromEntries(m[1]!.split(',').map((kv) => kv.split('=') as [string, string]));
  if (fields.delay === undefined) return null;
  return { rtt_ms: 4 * Number(fields.delay), loss_pct: Number(fields.loss ?? 0) };
}

export function fig2Rows(rows: ChartRow[]): Fig2Row[] {
  return rows.flatMap((r) => {
    const p = linkParams(r.link);
    return p ? [{ strategy: r.label, ...p, rep: r.rep, recovery_ms: outcome(r, 'recovery_ms').value, gap_ms: outcome(r, 'gap_ms').value,
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

export function fig2Spec(rows: Fig2Row[], saved: Saving[]): Spec {
  const lossless = rows.filter((r) => r.loss_pct === 0);
  const rttOfLoss = rows.find((r) => r.loss_pct > 0)?.rtt_ms;
  const line = (title: string, x: string, xTitle: string, values: Fig2Row[]) => ({
    title, width: 300, height: 260, data: { values },
    layer: [
      { transform: outcomeMarks.transform, mark: { type: 'point', opacity: 0.4 }, encoding: { x: { field: x, type: 'quantitative', title: xTitle },
        y: { field: 'recovery_ms', type: 'quantitative', title: 'restoration: recovery_ms (not recovered: at the window)' },
        color: { field: 'strategy', type: 'nominal' }, shape: outcomeMarks.shape } },
      { mark: { type: 'line', point: true }, encoding: { x: { field: x, type: 'quantitative' },
        y: { aggregate: 'median', field: 'recovery_ms', type: 'quantitative' }, color: { field: 'strategy', type: 'nominal' } } },
    ],
  });
  const savedPoints = saved.filter((s) => s.loss_pct === 0 && s.saved_ms !== null);
  return {
    $schema: SCHEMA, title: 'Figure 2 — restoring a hole-punched connection: QUIC migration vs a new connection',
    hconcat: [
      line('recovery vs RTT (no loss)', 'rtt_ms', 'configured P2P RTT (ms)', lossless),
      {
        title: 'saving (median reconnect − median migration)', width: 300, height: 260,
        layer: [
          { data: { values: savedPoints }, mark: { type: 'line', point: true, color: 'black' },
            encoding: { x: { field: 'rtt_ms', type: 'quantitative', title: 'configured P2P RTT (ms)' },
              y: { field: 'saved_ms', type: 'quantitative', title: 'ms saved by migration' } } },
          { data: { values: savedPoints.map((s) => ({ rtt_ms: s.rtt_ms, two_rtt: 2 * s.rtt_ms })) },
            mark: { type: 'line', strokeDash: [5, 3], color: 'gray' },
            encoding: { x: { field: 'rtt_ms', type: 'quantitative' }, y: { field: 'two_rtt', type: 'quantitative' } } },
        ],
      },
      ...(rttOfLoss === undefined ? [] : [line(`recovery vs loss (RTT ${rttOfLoss} ms; dashed: 2·RTT in the middle panel)`, 'loss_pct', 'loss per link (%)',
        rows.filter((r) => r.rtt_ms === rttOfLoss))]),
    ],
  };
}

// -- writing --------------------------------------------------------------------------------------
const csv = (rows: object[]) => stringify(rows, { header: true });
const ms = (v: number | Censored | null) => formatValue(v, 0, ' ms');
const bound = (value: number | null, censored: boolean): Censored | null => (value === null ? null : { value, censored });

export interface FigureFiles { files: string[]; notes: string }

/** Renders the figures whose benches exist under `resultsDir` into `outDir`. */
export async function writeFigures(resultsDir = path.join(REPO, 'results'), outDir = FIGURES_DIR, only?: Figure): Promise<FigureFiles> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const notes: string[] = ['# Figures', '', `Generated ${new Date().toISOString()} by \`make figures\` from the benches ` +
    `${Object.values(FIGURE_CONFIGS).flat().map((c) => `\`results/${configName(c)}\``).join(', ')} (configs in \`harness/configs/\`).`, ''];
  const save = async (name: string, spec: Spec, data: object[]) => {
    writeFileSync(path.join(outDir, `${name}.svg`), await toSvg(spec));
    writeFileSync(path.join(outDir, `${name}.csv`), csv(data));
    files.push(`${name}.svg`, `${name}.csv`);
  };
  const rowsOf = (fig: Figure) => FIGURE_CONFIGS[fig].flatMap((c) => {
    try { return chartRows(readRecords(path.join(resultsDir, configName(c)))); } catch { return []; }
  });

  if (only === undefined || only === '1') {
    const rows = fig1Rows(rowsOf('1'));
    if (!rows.length) throw new Error('figure 1: no results yet (run `make figures`)');
    await save('fig1-relay-repunch-vs-ice-restart', fig1Spec(rows), rows);
    notes.push('## Figure 1 — relay-repunch vs ICE restart after Wi-Fi → cellular', '',
      'The original README: ICE restart takes "about 5 seconds or more"; its own switch is "interrupted for less than a second".', '',
      'Every run counts: success is x/N; a median that reaches a run that did not recover is `> window` (a lower bound).', '',
      '| strategy | runs | success | gap_ms median | recovery_ms median |', '|---|---|---|---|---|');
    for (const s of [...new Set(rows.map((r) => r.strategy))]) {
      const of = (m: string) => rows.filter((r) => r.strategy === s && r.metric === m);
      const med = (m: string) => ms(censoredMedian(of(m).map(asCensored)));
      const n = of('gap_ms').length;
      notes.push(`| ${s} | ${n} | ${of('gap_ms').filter((r) => r.success).length}/${n} | ${med('gap_ms')} | ${med('recovery_ms')} |`);
    }
    notes.push('');
  }
  if (only === undefined || only === '2') {
    const rows = fig2Rows(rowsOf('2'));
    if (!rows.length) throw new Error('figure 2: no results yet (run `make figures`)');
    const saved = savings(rows, 'quic-migration', 'reconnect');
    await save('fig2-migration-vs-reconnect', fig2Spec(rows, saved), rows);
    writeFileSync(path.join(outDir, 'fig2-savings.csv'), csv(saved));
    files.push('fig2-savings.csv');
    // an RTT whose saving is unknown (a censored median) counts against agreement, never for it
    const lossless = saved.filter((s) => s.loss_pct === 0);
    const agree = lossless.length > 0 && lossless.every((s) => s.saved_rtt !== null && s.saved_rtt >= 1.5 && s.saved_rtt <= 3);
    notes.push('## Figure 2 — QUIC migration vs re-punching a new connection (Liang et al. 2024: about 2 RTT saved)', '',
      '| RTT | loss | quic-migration recovery (median) | reconnect recovery (median) | saved | saved / RTT |', '|---|---|---|---|---|---|',
      ...saved.map((s) => `| ${s.rtt_ms} ms | ${s.loss_pct} % | ${ms(bound(s.migration_ms, s.migration_censored))} | ${ms(bound(s.reconnect_ms, s.reconnect_censored))} | ${ms(s.saved_ms)} | ${s.saved_rtt === null ? '∅' : s.saved_rtt.toFixed(2)} |`),
      '', `**Does the bench agree?** ${agree ? 'Yes' : 'No'}, by the rule set before measuring (a saving of 1.5–3 RTT at ` +
      `every RTT without loss): migration saves ${lossless.map((s) => `${s.saved_rtt === null ? 'an unknown amount (censored)' : `${s.saved_rtt.toFixed(1)} RTT`} at ${s.rtt_ms} ms`).join(', ') || 'nothing measurable'}. ` +
      `Both sides handshake as Liang et al. assume: P2P servers skip js-quic's unconditional stateless Retry ` +
      `(withoutRetry, docs/strategies.md "Fair baselines"), so the reconnect pays no extra round trip.`, '');
  }
  if (only === undefined || only === '3') {
    const rows = fig3Rows(rowsOf('3'));
    if (!rows.length) throw new Error('figure 3: no results yet (run `make figures`)');
    await save('fig3-field', fig3Spec(rows), rows);
    notes.push(...fig3Notes(rows));
  }
  const readme = notes.join('\n');
  writeFileSync(path.join(outDir, 'README.md'), readme);
  files.push('README.md');
  return { files, notes: readme };
}
