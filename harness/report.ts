// reports/<bench>/index.html: one self-contained page (vega, vega-lite and vega-embed inlined, no
// network) with the charts and tables of docs/report.md. The chart specs are shared with `make figures`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchRecords, type RunRecord } from './records.ts';
import { REPO } from './paths.ts';
import { esc } from './html.ts';
import { computeFrames } from './timeline.ts';
import { EVENT_WINDOW_NOTE, METRIC_GLOSSARY } from './metric-glossary.ts';
import { mergeLogs } from './event-logs.ts';
import { bootstrapCi, censoredMedian, formatValue, measuredMedian, type Censored } from './stats.ts';
import { byEvent, chartRows, groupBy, heardMedians, invalidRuns, linkName, networkName, outcome, type ChartRow } from './scored-rows.ts';
import { eventLabel } from './schedule.ts';
import { boxSpec, gapCdfSpec, successSpec, timelineSpec, type Spec } from './report-charts.ts';
import { captureSection, runPageScript, runsTable, runViews } from './report-runs.ts';
import { loadStrategy, strategyNames } from '../strategies/registry.ts';
import { hostLatencyLine, type HostLatency } from './host-latency.ts';

/** What every reader of a report should know about the metrics; what they should know about a
 *  strategy comes from the strategy (Strategy.notes, collected by strategyNotes). */
export const REPORT_NOTES = [
  'Two floors: limit_ms is what a relay-bridged switch cannot beat (detection + mobile-intermediate RTT + intermediate-answerer RTT); ' +
    'limit_standby_ms is the floor of make-before-break (detection + one RTT of the standby direct path), and 0 with redundancy.',
];

/** The notes of every strategy with runs in `records`, as "name: note". */
export async function strategyNotes(records: readonly RunRecord[]): Promise<string[]> {
  const names = [...new Set(records.map((r) => r.spec.strategy))].filter((n) => strategyNames().includes(n)).sort();
  return (await Promise.all(names.map(async (n) => ((await loadStrategy(n)).notes ?? []).map((note) => `${n}: ${note}`)))).flat();
}

export const REPORTS = path.join(REPO, 'reports');


const ci = (xs: Censored[]) => { const c = bootstrapCi(xs); return c ? ` [${formatValue(c[0])}, ${formatValue(c[1])}]` : ''; };

/** The summary per strategy × NAT × link × event (every run counted, censored medians as `> window`):
 *  the report's table, and the markdown tables in docs/ (`migbench report --markdown`). */
export function summaryCells(rows: ChartRow[]): { head: string[]; body: string[][] } {
  const links = new Set(rows.map((r) => r.link)).size > 1;   // a link column only when links vary
  const head = ['strategy', 'NAT', ...(links ? ['link'] : []), 'event', 'runs', 'success', 'gap_ms median [95% CI]', 'recovery_ms median [95% CI]',
    'switch_ms median', 'direct_ms median', 'added_delay_ms median', 'limit_ms median', 'audible_ms median', 'mos_event median'];
  const body = [...groupBy(rows, (r) => `${r.label}\0${r.nat}\0${r.link}\0${r.event}`).entries()].map(([k, rs]) => {
    const [label, nat, link, event] = k.split('\0') as [string, string, string, string];
    const [gap, rec, sw, direct] = (['gap_ms', 'recovery_ms', 'switch_ms', 'direct_ms'] as const).map((m) => rs.map((r) => outcome(r, m)));
    const heard = heardMedians(rs);
    return [label, nat, ...(links ? [link] : []), event, String(rs.length), `${rs.filter((r) => r.success).length}/${rs.length}`,
      formatValue(censoredMedian(gap!)) + ci(gap!), formatValue(censoredMedian(rec!)) + ci(rec!),
      formatValue(censoredMedian(sw!)), formatValue(censoredMedian(direct!)),
      formatValue(measuredMedian(rs.map((r) => r.added_delay_ms))), formatValue(measuredMedian(rs.map((r) => r.limit_ms))),
      formatValue(heard.audible), formatValue(heard.mos, 2)];
  });
  return { head, body };
}

/** The summary, one table per event when a bench has several (strategies side by side under each). */
function summaryTable(rows: ChartRow[]): string {
  const table = (rs: ChartRow[]) => {
    const { head, body } = summaryCells(rs);
    return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
  };
  const events = byEvent(rows);
  return events.length < 2 ? table(rows) : events.map(([event, rs]) => `<h3>${esc(event)}</h3>${table(rs)}`).join('');
}

/** The summary as a markdown table, with the runs that were not scored named under it. */
export function summaryMarkdown(records: RunRecord[]): string {
  const { head, body } = summaryCells(chartRows(records));
  const invalid = invalidRuns(records);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`),
    ...(invalid.length ? ['', `Not scored (scenario did not happen): ${invalid.map((r) => `${r.label} ${r.event} (${r.reason})`).join('; ')}.`] : [])].join('\n');
}

/** The summary pivoted for a page: one row per strategy, one column per NAT × (link ×) event; a cell is
 *  `recovered/N · gap / recovery / switch / direct` medians (censored as in summaryCells). Invalid
 *  runs are counted in their cell, never scored. */
export function pivotMarkdown(records: RunRecord[]): string {
  const rows = chartRows(records);
  const links = new Set(rows.map((r) => r.link)).size > 1;   // links in the columns only when they vary
  const col = (nat: string, link: string, event: string) => (links ? `${nat}\0${link}\0${event}` : `${nat}\0${event}`);
  const columns = [...new Set(rows.map((r) => col(r.nat, r.link, r.event)))].sort();
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const invalid = records.filter((r) => r.status === 'invalid').map((r) => `${r.label}\0${col(networkName(r.spec), linkName(r.spec.links), eventLabel(r.spec.event))}`);
  const cell = (label: string, column: string) => {
    const rs = rows.filter((r) => r.label === label && col(r.nat, r.link, r.event) === column);
    const medians = (['gap_ms', 'recovery_ms', 'switch_ms', 'direct_ms'] as const).map((m) => formatValue(censoredMedian(rs.map((r) => outcome(r, m)))));
    const skipped = invalid.filter((k) => k === `${label}\0${column}`).length;
    return `${rs.filter((r) => r.success).length}/${rs.length} · ${medians.join(' / ')}${skipped ? ` (${skipped} invalid)` : ''}`;
  };
  const head = ['strategy', ...columns.map((c) => `${c.replaceAll('\0', ' · ')}: ok · gap / recovery / switch / direct`)];
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`,
    ...labels.map((l) => `| ${[l, ...columns.map((c) => cell(l, c))].join(' | ')} |`)].join('\n');
}

function overheadTable(rows: ChartRow[]): string {
  const head = '<tr><th>strategy</th><th>runs</th><th>runs with costs</th><th>relay bytes (median)</th><th>duplicated bytes (median)</th><th>keepalive B/s (median)</th><th>media bytes (median)</th><th>relay / dup / keepalive, % of media (medians)</th><th>handshakes (median)</th><th>signalling msgs after the event (median)</th><th>CPU s, all roles (median)</th></tr>';
  const body = [...groupBy(rows, (r) => r.label).entries()].map(([label, rs]) =>
    `<tr><td>${esc(label)}</td><td>${rs.length}</td><td>${rs.filter((r) => r.cpu_s !== null).length}</td>` +
    `<td>${formatValue(measuredMedian(rs.map((r) => r.relay_bytes)))}</td><td>${formatValue(measuredMedian(rs.map((r) => r.dup_bytes)))}</td>` +
    `<td>${formatValue(measuredMedian(rs.map((r) => r.keepalive_bps)))}</td><td>${formatValue(measuredMedian(rs.map((r) => r.media_bytes)))}</td>` +
    `<td>${(['relay_pct', 'dup_pct', 'keepalive_pct'] as const).map((k) => formatValue(measuredMedian(rs.map((r) => r[k])), 1)).join(' / ')}</td><td>${formatValue(measuredMedian(rs.map((r) => r.handshakes)))}</td>` +
    `<td>${formatValue(measuredMedian(rs.map((r) => r.signal_msgs)))}</td><td>${formatValue(measuredMedian(rs.map((r) => r.cpu_s)), 2)}</td></tr>`);
  return `<table>${head}${body.join('')}</table>`;
}

/** Runs listed by id with their reason: failed (scored) or invalid (not scored). */
function runList(runs: { id: string; label: string; event: string; reason: string }[]): string {
  return `<table><tr><th>run</th><th>strategy</th><th>event</th><th>reason</th></tr>${runs.map((r) =>
    `<tr><td>${esc(r.id)}</td><td>${esc(r.label)}</td><td>${esc(r.event)}</td><td>${esc(r.reason)}</td></tr>`).join('')}</table>`;
}

/** One representative run per strategy (the median gap, non-recovered runs ranked last) for the
 *  timelines; only runs with metrics have a timeline to draw. */
function representatives(rows: ChartRow[]): ChartRow[] {
  const rank = (r: ChartRow) => (r.success ? r.gap_ms! : Infinity);
  return [...groupBy(rows.filter((r) => r.gap_ms !== null), (r) => r.label).values()]
    .map((rs) => [...rs].sort((a, b) => rank(a) - rank(b) || a.gap_ms! - b.gap_ms!)[rs.length >> 1]!);
}

export const COUNTING_RULE = 'Every run counts. N is every ok and failed run of a group; success is x/N. A run that did not recover ' +
  'inside the observe window, or failed, has its gap_ms and recovery_ms censored at the window (direct_ms too when it never went direct ' +
  'again): a median or CI bound that reaches such a run is printed "> window" (a lower bound), CDFs put it at +∞ (the curve stops ' +
  'below 1), box plots draw it at the window\'s top as a red triangle. Invalid runs (the scenario did not happen) are listed below, never scored.';

const inline = (rel: string) => readFileSync(path.join(REPO, 'node_modules', rel), 'utf8').replace(/<\/script/gi, '<\\/script');

export async function writeReport(bench: string, resultsDir = path.join(REPO, 'results'), outDir = path.join(REPORTS, bench)): Promise<string> {
  const dir = path.join(resultsDir, bench);
  if (!existsSync(dir)) throw new Error(`no bench '${bench}' in ${resultsDir} (run \`make bench\` first)`);
  const records = benchRecords(dir);
  if (!records.length) throw new Error(`bench '${bench}' has no finished run to report yet`);
  const rows = chartRows(records);
  const invalid = invalidRuns(records);
  const meta = existsSync(path.join(dir, 'bench.json')) ? JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) : {};
  // each label's strategy, for its colour (harness/colours.ts): one colour per strategy in every chart
  const bases = new Map(records.map((r) => [r.label, r.spec.strategy]));
  const charts: { id: string; spec: Spec; run?: string }[] = [
    { id: 'gap-cdf', spec: gapCdfSpec(rows, bases) },
    { id: 'switch-box', spec: boxSpec(rows, 'switch_ms', 'switch_ms per NAT preset against the floors (black tick: median limit_ms; dashed: limit_standby_ms)', bases) },
    { id: 'recovery-box', spec: boxSpec(rows, 'recovery_ms', 'recovery_ms per NAT preset', bases) },
    { id: 'gap-box', spec: boxSpec(rows, 'gap_ms', 'gap_ms per NAT preset', bases) },
    { id: 'success', spec: successSpec(rows) },
  ];
  for (const r of representatives(rows)) {
    if (!existsSync(path.join(dir, 'runs', r.id))) continue;   // a snapshot (runs.csv only) has no logs to draw
    const events = mergeLogs(path.join(dir, 'runs', r.id));
    // the run's own J and observe end: the timeline classifies frames exactly as its metrics did
    const rec = records.find((x) => x.id === r.id) as RunRecord & { observeEnd?: number };
    const { frames, marks } = computeFrames(events, rec.spec.jitterBufferMs, rec.observeEnd);
    const near = frames.filter((f) => f.tRel >= -1000 && f.tRel <= 3000);   // the interesting part, readable
    charts.push({ id: `timeline-${charts.length}`, run: r.id, spec: timelineSpec(near, `Timeline: ${r.label}, ${r.nat}, ${r.event} (run ${r.id}, gap ${formatValue(outcome(r, 'gap_ms'), 0, ' ms')}; click: its page)`, marks) });
  }
  const views = runViews(records, path.join(dir, 'runs'), outDir);
  const failed = rows.filter((r) => r.status === 'failed');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>migbench report: ${esc(bench)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}.disagree{color:#b00;font-weight:bold}.chart{margin:1.5em 0}code{background:#f4f4f4}</style>
<script>${inline('vega/build/vega.min.js')}</script>
<script>${inline('vega-lite/build/vega-lite.min.js')}</script>
<script>${inline('vega-embed/build/vega-embed.min.js')}</script>
</head><body><div id="report">
<h1>migbench report: ${esc(bench)}</h1>
<p>${records.length} runs: ${rows.length - failed.length} ok, ${failed.length} failed (both scored: N = ${rows.length}), ${invalid.length} invalid (not scored). Generated ${esc(new Date().toISOString())} from <code>results/${esc(bench)}</code>.</p>
<h2>Summary</h2><p>${esc(COUNTING_RULE)}</p>${summaryTable(rows)}
<h2>Charts</h2>
${charts.map((c) => `<div class="chart" id="${c.id}"></div>`).join('\n')}
<h2>Overhead</h2>${overheadTable(rows)}
<h2>Checks from the capture</h2>${captureSection(records)}
${failed.length ? `<h2>Failed runs (in N, never a success)</h2>${runList(failed.map((f) => ({ ...f, reason: f.error ?? '' })))}` : ''}
${invalid.length ? `<h2>Invalid runs (the scenario did not happen: not in N, never scored)</h2>${runList(invalid)}` : ''}
<h2>Notes</h2><ul>${[...REPORT_NOTES, ...await strategyNotes(records)].map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Glossary</h2><p>${esc(EVENT_WINDOW_NOTE)}</p><table>${Object.entries(METRIC_GLOSSARY).map(([k, v]) => `<tr><td><code>${k}</code></td><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Runs</h2><p>Every run; a run's page (its timeline, audio, events, capture checks and files) opens from its id here, or from a point of a chart.</p>${runsTable(records, views)}
<h2>Host latencies</h2><p>Measured at the start of each invocation (docs/bench.md "Host latencies"): what a detection time stands on.</p><ul>${((meta.invocations ?? []) as { at: string; commit?: string; hostLatency?: HostLatency }[]).map((i) => `<li>${esc(i.at)} (${esc(i.commit ?? '?')}): ${i.hostLatency ? esc(hostLatencyLine(i.hostLatency)) : 'not measured'}</li>`).join('')}</ul>
<h2>Run metadata</h2><pre>${esc(JSON.stringify({ versions: meta.versions, host: meta.host, config: meta.config, invocations: meta.invocations }, null, 2))}</pre>
</div><div id="run-page" hidden></div>
<script>${runPageScript(views, charts.map((c) => c.run))}
const charts = ${JSON.stringify(charts.map((c) => ({ id: c.id, spec: c.spec }))).replace(/</g, '\\u003c')};
window.rendered = Promise.all(charts.map((c) => vegaEmbed('#' + c.id, c.spec, { renderer: 'svg', actions: false }))).then((r) => { linkCharts(r); return r; });
</script>
</body></html>`;
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'index.html');
  writeFileSync(file, html);
  return file;
}
