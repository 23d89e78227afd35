// reports/<bench>/index.html: one self-contained page (vega, vega-lite and vega-embed inlined, no
// network) with the charts and tables of DESIGN §7. The chart specs are shared with `make figures`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readRecords, type RunRecord } from './bench.ts';
import { REPO } from './driver.ts';
import { computeFrames, type FrameRow } from './timeline.ts';
import { EVENT_WINDOW_NOTE, METRIC_GLOSSARY } from './metrics.ts';
import { mergeLogs } from './run.ts';

/** What every reader of a report should know about the comparison (docs/strategies.md has the sources). */
export const REPORT_NOTES = [
  'Two floors: limit_ms is what a relay-bridged switch cannot beat (detection + mobile-intermediate RTT + intermediate-answerer RTT); ' +
    'limit_standby_ms is the floor of make-before-break (detection + one RTT of the standby direct path), and 0 with redundancy.',
  'There is no ice-continual strategy: neither WebRTC stack here can make-before-break. node-datachannel 0.33.4 (libdatachannel 0.24.5, ' +
    'libjuice) gathers candidates once, never nominates a second pair and refuses an ICE restart (libdatachannel issue #545, libjuice #130); ' +
    'werift 0.24.4 gathers once per ICE generation, never replaces a nominated pair and has no renomination. So make-before-break is ' +
    'compared as standby against the WebRTC strategies that restart.',
  'ice-restart builds a new PeerConnection per change (libdatachannel cannot restart ICE); ice-restart-werift performs a real restartIce.',
];

export const REPORTS = path.join(REPO, 'reports');

export interface ChartRow {
  id: string; label: string; nat: string; event: string; link: string; rep: number;
  gap_ms: number; recovery_ms: number | null; direct_ms: number | null; limit_ms: number | null;
  limit_standby_ms: number | null; detect_ms: number | null; success: boolean; relay_bytes: number;
  dup_bytes: number; keepalive_bps: number;
  handshakes: number; signal_msgs: number; cpu_s: number;
}

const natName = (n: RunRecord['spec']['nat']) =>
  (n.answerer === n.wifi && n.wifi === n.cellular ? n.answerer : `${n.answerer} / ${n.wifi} / ${n.cellular}`);
const linkName = (l: RunRecord['spec']['links']) => {
  const v = [l.answerer, l.wifi, l.cellular].map((x) => (x === undefined ? 'lan' : typeof x === 'string' ? x : 'custom'));
  return v.every((x) => x === v[0]) ? v[0]! : v.join(' / ');
};

export function chartRows(records: RunRecord[]): ChartRow[] {
  return records.filter((r) => r.status === 'ok' && r.metrics).map((r) => {
    const m = r.metrics!;
    return {
      id: r.id, label: r.label, nat: natName(r.spec.nat), event: r.spec.event, link: linkName(r.spec.links), rep: r.spec.rep,
      gap_ms: m.gap_ms, recovery_ms: m.recovery_ms, direct_ms: m.direct_ms, limit_ms: m.limit_ms,
      limit_standby_ms: m.limit_standby_ms, detect_ms: m.detect_ms, success: m.success, relay_bytes: m.relay_bytes,
      dup_bytes: m.dup_bytes ?? 0, keepalive_bps: m.keepalive_bps ?? 0,
      handshakes: m.handshakes, signal_msgs: m.signal_msgs,
      cpu_s: Object.values(m.cpu_s).reduce((a, b) => a + b, 0),
    };
  });
}

type Spec = Record<string, unknown>;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export function gapCdfSpec(rows: ChartRow[], title = 'Audio gap after the event: CDF per strategy'): Spec {
  return {
    $schema: SCHEMA, title, width: 520, height: 300, data: { values: rows },
    transform: [
      { window: [{ op: 'cume_dist', as: 'cdf' }], sort: [{ field: 'gap_ms' }], groupby: ['label'] },
    ],
    mark: { type: 'line', interpolate: 'step-after', point: true },
    encoding: {
      x: { field: 'gap_ms', type: 'quantitative', title: 'gap_ms (longest run of concealed frames)' },
      y: { field: 'cdf', type: 'quantitative', title: 'fraction of runs', scale: { domain: [0, 1] } },
      color: { field: 'label', type: 'nominal', title: 'strategy' },
    },
  };
}

/** Box plots of one metric per NAT preset, one panel per event, with the median physical floor. */
export function boxSpec(rows: ChartRow[], metric: 'recovery_ms' | 'gap_ms', title: string): Spec {
  return {
    $schema: SCHEMA, title, data: { values: rows.filter((r) => r[metric] !== null) },
    facet: { column: { field: 'event', type: 'nominal', title: null } },
    spec: {
      width: 260, height: 240,
      layer: [
        { mark: { type: 'boxplot', extent: 'min-max' },
          encoding: { x: { field: 'nat', type: 'nominal', title: 'NAT preset' }, xOffset: { field: 'label' },
            y: { field: metric, type: 'quantitative', title: metric }, color: { field: 'label', type: 'nominal', title: 'strategy' } } },
        { mark: { type: 'tick', color: 'black', thickness: 2, size: 40 },
          encoding: { x: { field: 'nat', type: 'nominal' }, y: { aggregate: 'median', field: 'limit_ms', type: 'quantitative' },
            tooltip: [{ aggregate: 'median', field: 'limit_ms', type: 'quantitative', title: 'limit_ms (median)' }] } },
        { mark: { type: 'tick', color: 'gray', thickness: 2, size: 40, strokeDash: [4, 2] },
          encoding: { x: { field: 'nat', type: 'nominal' }, y: { aggregate: 'median', field: 'limit_standby_ms', type: 'quantitative' },
            tooltip: [{ aggregate: 'median', field: 'limit_standby_ms', type: 'quantitative', title: 'limit_standby_ms (median)' }] } },
      ],
    },
  };
}

export function successSpec(rows: ChartRow[]): Spec {
  return {
    $schema: SCHEMA, title: 'Success rate (recovered inside the window): strategy × NAT × event', data: { values: rows },
    transform: [{ calculate: 'datum.success ? 1 : 0', as: 'ok' }],
    mark: 'rect', width: 420, height: { step: 28 },
    encoding: {
      x: { field: 'nat', type: 'nominal', title: 'NAT preset' }, y: { field: 'label', type: 'nominal', title: 'strategy' },
      column: { field: 'event', type: 'nominal', title: null },
      color: { aggregate: 'mean', field: 'ok', type: 'quantitative', title: 'success', scale: { domain: [0, 1], scheme: 'redyellowgreen' } },
      tooltip: [{ aggregate: 'mean', field: 'ok', type: 'quantitative', title: 'success rate', format: '.0%' }, { aggregate: 'count', type: 'quantitative', title: 'runs' }],
    },
  };
}

export function timelineSpec(frames: FrameRow[], title: string, marks: { t: number; what: string }[]): Spec {
  return {
    $schema: SCHEMA, title, width: 620, height: 120,
    layer: [
      { data: { values: frames }, mark: { type: 'tick', thickness: 2 },
        encoding: {
          x: { field: 'tRel', type: 'quantitative', title: 'frame send time − event (ms)' },
          y: { field: 'lane', type: 'nominal', title: null, sort: ['direct', 'relay', 'concealed'] },
          color: { field: 'lane', type: 'nominal', scale: { domain: ['direct', 'relay', 'concealed'], range: ['#1f77b4', '#ff7f0e', '#d62728'] }, legend: null },
          tooltip: [{ field: 'seq' }, { field: 'lane' }, { field: 'latencyMs', title: 'latency (ms)' }],
        } },
      { data: { values: marks }, mark: { type: 'rule', strokeDash: [3, 3] },
        encoding: { x: { field: 't', type: 'quantitative' }, tooltip: [{ field: 'what' }, { field: 't', title: 'ms' }] } },
      { data: { values: marks.map((m, i) => ({ ...m, row: i })) }, mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { value: -4 }, yOffset: { field: 'row', type: 'quantitative', scale: { range: [0, -24] }, legend: null },
          text: { field: 'what' } } },
    ],
  };
}

// -- statistics -----------------------------------------------------------------------------------
export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** 95 % percentile-bootstrap CI of the median (seeded, so a report is reproducible). */
export function bootstrapCi(xs: number[], resamples = 1000, seed = 1): [number, number] | null {
  if (xs.length < 2) return null;
  let state = seed >>> 0 || 1;
  const rand = () => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) / 2 ** 32; };
  const meds: number[] = [];
  for (let i = 0; i < resamples; i++) meds.push(median(xs.map(() => xs[Math.floor(rand() * xs.length)]!))!);
  meds.sort((a, b) => a - b);
  return [meds[Math.floor(0.025 * resamples)]!, meds[Math.ceil(0.975 * resamples) - 1]!];
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) { const k = key(x); m.set(k, [...(m.get(k) ?? []), x]); }
  return m;
}

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number | null, digits = 0) => (v === null ? '∅' : v.toFixed(digits));
const ci = (xs: number[]) => { const c = bootstrapCi(xs); return c ? ` [${fmt(c[0])}, ${fmt(c[1])}]` : ''; };

function summaryTable(rows: ChartRow[]): string {
  const head = '<tr><th>strategy</th><th>NAT</th><th>event</th><th>runs</th><th>success</th><th>gap_ms median [95% CI]</th><th>recovery_ms median [95% CI]</th><th>direct_ms median</th><th>limit_ms median</th></tr>';
  const body = [...groupBy(rows, (r) => `${r.label}\0${r.nat}\0${r.event}`).entries()].map(([k, rs]) => {
    const [label, nat, event] = k.split('\0');
    const num = (f: (r: ChartRow) => number | null) => rs.map(f).filter((x): x is number => x !== null);
    const gap = num((r) => r.gap_ms), rec = num((r) => r.recovery_ms);
    return `<tr><td>${esc(label)}</td><td>${esc(nat)}</td><td>${esc(event)}</td><td>${rs.length}</td>` +
      `<td>${rs.filter((r) => r.success).length}/${rs.length}</td><td>${fmt(median(gap))}${ci(gap)}</td>` +
      `<td>${fmt(median(rec))}${ci(rec)}</td><td>${fmt(median(num((r) => r.direct_ms)))}</td><td>${fmt(median(num((r) => r.limit_ms)))}</td></tr>`;
  });
  return `<table>${head}${body.join('')}</table>`;
}

function overheadTable(rows: ChartRow[]): string {
  const head = '<tr><th>strategy</th><th>runs</th><th>relay bytes (median)</th><th>duplicated bytes (median)</th><th>keepalive B/s (median)</th><th>handshakes (median)</th><th>signalling msgs after the event (median)</th><th>CPU s, all roles (median)</th></tr>';
  const body = [...groupBy(rows, (r) => r.label).entries()].map(([label, rs]) =>
    `<tr><td>${esc(label)}</td><td>${rs.length}</td><td>${fmt(median(rs.map((r) => r.relay_bytes)))}</td>` +
    `<td>${fmt(median(rs.map((r) => r.dup_bytes)))}</td><td>${fmt(median(rs.map((r) => r.keepalive_bps)))}</td>` +
    `<td>${fmt(median(rs.map((r) => r.handshakes)))}</td><td>${fmt(median(rs.map((r) => r.signal_msgs)))}</td>` +
    `<td>${fmt(median(rs.map((r) => r.cpu_s)), 2)}</td></tr>`);
  return `<table>${head}${body.join('')}</table>`;
}

/** One representative run per strategy (the median gap) for the timelines. */
function representatives(rows: ChartRow[]): ChartRow[] {
  return [...groupBy(rows, (r) => r.label).values()].map((rs) => [...rs].sort((a, b) => a.gap_ms - b.gap_ms)[rs.length >> 1]!);
}

const inline = (rel: string) => readFileSync(path.join(REPO, 'node_modules', rel), 'utf8').replace(/<\/script/gi, '<\\/script');

export function writeReport(bench: string, resultsDir = path.join(REPO, 'results'), outDir = path.join(REPORTS, bench)): string {
  const dir = path.join(resultsDir, bench);
  if (!existsSync(dir)) throw new Error(`no bench '${bench}' in ${resultsDir} (run \`make bench\` first)`);
  const records = readRecords(dir);
  const rows = chartRows(records);
  if (!rows.length) throw new Error(`bench '${bench}' has no successful run to report yet`);
  const meta = existsSync(path.join(dir, 'bench.json')) ? JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) : {};
  const charts: { id: string; spec: Spec }[] = [
    { id: 'gap-cdf', spec: gapCdfSpec(rows) },
    { id: 'recovery-box', spec: boxSpec(rows, 'recovery_ms', 'recovery_ms per NAT preset (black tick: median limit_ms; dashed: limit_standby_ms)') },
    { id: 'gap-box', spec: boxSpec(rows, 'gap_ms', 'gap_ms per NAT preset (black tick: median limit_ms; dashed: limit_standby_ms)') },
    { id: 'success', spec: successSpec(rows) },
  ];
  for (const r of representatives(rows)) {
    const events = mergeLogs(path.join(dir, 'runs', r.id));
    const { frames, marks } = computeFrames(events, 80);
    const near = frames.filter((f) => f.tRel >= -1000 && f.tRel <= 3000);   // the interesting part, readable
    charts.push({ id: `timeline-${charts.length}`, spec: timelineSpec(near, `Timeline: ${r.label}, ${r.nat}, ${r.event} (run ${r.id}, gap ${r.gap_ms} ms)`, marks) });
  }
  const failed = records.filter((r) => r.status === 'failed');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>migbench report: ${esc(bench)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}.chart{margin:1.5em 0}code{background:#f4f4f4}</style>
<script>${inline('vega/build/vega.min.js')}</script>
<script>${inline('vega-lite/build/vega-lite.min.js')}</script>
<script>${inline('vega-embed/build/vega-embed.min.js')}</script>
</head><body>
<h1>migbench report: ${esc(bench)}</h1>
<p>${records.length} runs (${rows.length} ok, ${failed.length} failed). Generated ${esc(new Date().toISOString())} from <code>results/${esc(bench)}</code>.</p>
<h2>Summary</h2>${summaryTable(rows)}
<h2>Charts</h2>
${charts.map((c) => `<div class="chart" id="${c.id}"></div>`).join('\n')}
<h2>Overhead</h2>${overheadTable(rows)}
${failed.length ? `<h2>Failed runs</h2><table><tr><th>run</th><th>reason</th></tr>${failed.map((f) => `<tr><td>${esc(f.id)}</td><td>${esc(f.error)}</td></tr>`).join('')}</table>` : ''}
<h2>Notes</h2><ul>${REPORT_NOTES.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Glossary</h2><p>${esc(EVENT_WINDOW_NOTE)}</p><table>${Object.entries(METRIC_GLOSSARY).map(([k, v]) => `<tr><td><code>${k}</code></td><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Run metadata</h2><pre>${esc(JSON.stringify({ versions: meta.versions, host: meta.host, config: meta.config, invocations: meta.invocations }, null, 2))}</pre>
<script>
const charts = ${JSON.stringify(charts).replace(/</g, '\\u003c')};
window.rendered = Promise.all(charts.map((c) => vegaEmbed('#' + c.id, c.spec, { renderer: 'svg', actions: false })));
</script>
</body></html>`;
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'index.html');
  writeFileSync(file, html);
  return file;
}
