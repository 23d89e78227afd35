// `make figures`: pinned configs with fixed seeds (harness/configs/figure*.json), rendered by
// vega's headless renderer into reports/figures/: each figure as an SVG for a page and one for a
// column, each with its PDF (rsvg-convert), the CSV behind it, and a README.md that says what the
// figures show and whether the bench agrees with the claim. Figures 1 and 2 (two published
// claims): harness/figure-claims.ts; figure 3 (the field): harness/figure-field.ts; figure 4 (the
// original's claim against the deployed stacks): harness/figure-claim.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { readRecords } from './records.ts';
import { REPO } from './paths.ts';
import { REPORTS } from './report.ts';
import { chartRows, heardMedians, invalidRuns, type InvalidRun } from './scored-rows.ts';
import type { Spec } from './report-charts.ts';
import { censoredMedian, formatValue, type Censored } from './stats.ts';
import { asCensored, fig1Rows, fig1Spec, fig2Rows, fig2Spec, savings } from './figure-claims.ts';
import { fig3Notes, fig3Rows, fig3Spec } from './figure-field.ts';
import { claimNotes, claimRows, claimSpec } from './figure-claim.ts';
import { textWidth, type FigureInput, type Layout } from './figure-marks.ts';

export const FIGURES_DIR = path.join(REPORTS, 'figures');
/** Configs per figure, run in this order (figures 1 and 3 have a second config with a longer
 *  observation window: libjuice reports ICE failure only after 30 s, libwebrtc's ICE state says
 *  `disconnected` after ≈ 6 s). */
export const FIGURE_CONFIGS: Record<Figure, string[]> = {
  '1': ['figure1.json', 'figure1-ice.json'],
  '2': ['figure2.json'],
  '3': ['field.json', 'field-libwebrtc.json'],
  '4': ['claim.json'],
};
export type Figure = '1' | '2' | '3' | '4';
const configName = (file: string) => file.replace(/\.json$/, '');

// vega's text measure, untyped: text sizes as drawn, so that the SVG's width is the drawing's
type TextItem = { fontSize?: number; fontWeight?: string | number };
(vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width = (item, text) =>
  textWidth(String(text ?? '').trim(), item.fontSize ?? 11, item.fontWeight === 'bold' || Number(item.fontWeight) >= 600);

/** A vega-lite spec as a standalone SVG document (no browser, no canvas). */
export async function toSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
  try { return await view.toSVG(); } finally { view.finalize(); }
}

/** svg → pdf beside it, by Debian's rsvg-convert (vega draws no PDF without a canvas). */
function toPdf(svgFile: string): void {
  try {
    execFileSync('rsvg-convert', ['-f', 'pdf', '-o', svgFile.replace(/\.svg$/, '.pdf'), svgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('figures: rsvg-convert not found; install Debian\'s librsvg2-bin (`make setup` does)');
    throw e;
  }
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
  const save = async (name: string, spec: (layout: Layout) => Spec, data: object[]) => {
    for (const [layout, file] of [['page', name], ['column', `${name}-column`]] as const) {
      writeFileSync(path.join(outDir, `${file}.svg`), await toSvg(spec(layout)));
      toPdf(path.join(outDir, `${file}.svg`));
      files.push(`${file}.svg`, `${file}.pdf`);
    }
    writeFileSync(path.join(outDir, `${name}.csv`), csv(data));
    files.push(`${name}.csv`);
  };
  // each row with the strategy it ran (its label may name a variant): the strategy's colour
  const rowsOf = (fig: Figure): FigureInput[] => FIGURE_CONFIGS[fig].flatMap((c) => {
    try {
      const records = readRecords(path.join(resultsDir, configName(c)));
      const strategy = new Map(records.map((r) => [r.id, r.spec.strategy]));
      return chartRows(records).map((r) => ({ ...r, strategy: strategy.get(r.id)! }));
    } catch { return []; }
  });

  const invalidOf = (fig: Figure): InvalidRun[] => FIGURE_CONFIGS[fig].flatMap((c) => {
    try { return invalidRuns(readRecords(path.join(resultsDir, configName(c)))); } catch { return []; }
  });

  if (only === undefined || only === '1') {
    const input = rowsOf('1');
    const rows = fig1Rows(input);
    if (!rows.length) throw new Error('figure 1: no results yet (run `make figures`)');
    await save('fig1-relay-repunch-vs-ice-restart', (layout) => fig1Spec(rows, layout), rows);
    notes.push('## Figure 1 — relay-repunch vs ICE restart after Wi-Fi → cellular', '',
      'The original README: ICE restart takes "about 5 seconds or more"; its own switch is "interrupted for less than a second".', '',
      'Every run counts: success is x/N; a median that reaches a run that did not recover is `> window` (a lower bound).', '',
      'What a listener hears beside it (docs/audio.md): audible_ms censored like the gap, mos_event as measured (a run without one at 1).', '',
      '| strategy | runs | success | gap_ms median | recovery_ms median | audible_ms median | mos_event median |', '|---|---|---|---|---|---|---|');
    for (const s of [...new Set(rows.map((r) => r.strategy))]) {
      const of = (m: string) => rows.filter((r) => r.strategy === s && r.metric === m);
      const med = (m: string) => ms(censoredMedian(of(m).map(asCensored)));
      const n = of('gap_ms').length;
      const heard = input.filter((r) => r.label === s);
      notes.push(`| ${s} | ${n} | ${of('gap_ms').filter((r) => r.success).length}/${n} | ${med('gap_ms')} | ${med('recovery_ms')} | ` +
        `${ms(heardMedians(heard).audible)} | ${formatValue(heardMedians(heard).mos, 2)} |`);
    }
    notes.push('');
  }
  if (only === undefined || only === '2') {
    const rows = fig2Rows(rowsOf('2'));
    if (!rows.length) throw new Error('figure 2: no results yet (run `make figures`)');
    const saved = savings(rows, 'quic-migration', 'reconnect');
    await save('fig2-migration-vs-reconnect', (layout) => fig2Spec(rows, saved, layout), rows);
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
    await save('fig3-field', (layout) => fig3Spec(rows, layout), rows);
    notes.push(...fig3Notes(rows));
  }
  if (only === undefined || only === '4') {
    const rows = claimRows(rowsOf('4'));
    if (!rows.length) throw new Error('figure 4: no results yet (run `make figures`)');
    await save('fig4-claim', (layout) => claimSpec(rows, layout), rows);
    notes.push(...claimNotes(rows, invalidOf('4')));
  }
  const readme = notes.join('\n');
  writeFileSync(path.join(outDir, 'README.md'), readme);
  files.push('README.md');
  return { files, notes: readme };
}
