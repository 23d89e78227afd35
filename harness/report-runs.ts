// The report's per-run parts (docs/report.md, "A page per run"): a table of every run, the checks
// from the capture over the whole bench with every disagreement listed, and the page of one run
// (index.html#run=<id>) that a row of that table or a point of a chart opens. The page lives in the
// report's one file; the script below draws it from the views harness/run-view.ts packs.
import path from 'node:path';
import type { RunRecord } from './records.ts';
import { esc } from './html.ts';
import { formatValue } from './stats.ts';
import { eventLabel } from './schedule.ts';
import { linkName, networkName } from './scored-rows.ts';
import { runView, type RunView } from './run-view.ts';
import { timelineSpec, waveformSpec, type Spec } from './report-charts.ts';

/** The page of every run of `records` that has a run folder with logs, by run id. */
export function runViews(records: readonly RunRecord[], runsDir: string, outDir: string): Record<string, RunView> {
  const views: Record<string, RunView> = {};
  for (const r of records) {
    const dir = path.join(runsDir, r.id);
    const view = runView(r, dir, path.relative(outDir, dir));
    if (view) views[r.id] = view;
  }
  return views;
}

const verdicts = (r: RunRecord) => (r.captureChecks ?? []).map((c) => `${c.name}: ${c.verdict}`).join(', ');

/** Every run, a row each, its id linking to its page (when it has one). */
export function runsTable(records: readonly RunRecord[], views: Readonly<Record<string, RunView>>): string {
  const head = ['run', 'strategy', 'NAT', 'link', 'event', 'rep', 'status', 'gap_ms', 'recovery_ms', 'direct_ms', 'noisy', 'capture checks'];
  const rows = records.map((r) => [
    views[r.id] ? `<a href="#run=${encodeURIComponent(r.id)}">${esc(r.id)}</a>` : esc(r.id),
    ...[r.label, networkName(r.spec), linkName(r.spec.links), eventLabel(r.spec.event), r.spec.rep, r.status,
      formatValue(r.metrics?.gap_ms ?? null), formatValue(r.metrics?.recovery_ms ?? null), formatValue(r.metrics?.direct_ms ?? null),
      r.noisy ? 'yes' : '', verdicts(r)].map(esc)]);
  return `<table id="runs"><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** What the captures of the bench say beside the bench's own numbers: each check's verdicts over the
 *  captured runs, and every disagreement by run. */
export function captureSection(records: readonly RunRecord[]): string {
  const captured = records.filter((r) => r.captureChecks?.length);
  if (!captured.length) return '<p>No run of this bench was captured (<code>--capture</code>, or <code>"capture": true</code> in the config).</p>';
  const counts = new Map<string, Record<string, number>>();
  for (const c of captured.flatMap((r) => r.captureChecks!)) {
    const n = counts.get(c.name) ?? { agree: 0, disagree: 0, 'n/a': 0 };
    n[c.verdict] = (n[c.verdict] ?? 0) + 1;
    counts.set(c.name, n);
  }
  const disagreements = captured.flatMap((r) => r.captureChecks!.filter((c) => c.verdict === 'disagree').map((c) => ({ r, c })));
  return `<p>${captured.length} of ${records.length} runs captured.</p><table><tr><th>check</th><th>agree</th><th>disagree</th><th>n/a</th></tr>${
    [...counts].map(([name, n]) => `<tr><td>${esc(name)}</td><td>${n.agree}</td><td>${n.disagree}</td><td>${n['n/a']}</td></tr>`).join('')}</table>${
    disagreements.length ? `<h3>Disagreements</h3><table><tr><th>run</th><th>strategy</th><th>event</th><th>check</th><th>what</th></tr>${disagreements.map(({ r, c }) =>
      `<tr><td><a href="#run=${encodeURIComponent(r.id)}">${esc(r.id)}</a></td><td>${esc(r.label)}</td><td>${esc(eventLabel(r.spec.event))}</td><td>${esc(c.name)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</table>`
      : '<p>No disagreement.</p>'}`;
}

/** A spec without its data: the page fills in a run's. */
const template = (spec: Spec) => { const { datasets: _, ...rest } = spec; return rest; };
export const RUN_PAGE_WIDTH = 900;

/** The page's script: `views` by run id, and the chart of index i → the run it shows (if one). Shows
 *  the run of `#run=<id>` in place of the report; a click on a chart's point, or anywhere on a run's
 *  timeline, goes to that run's page; a click on the waveform plays from that frame. */
export function runPageScript(views: Readonly<Record<string, RunView>>, chartRuns: (string | undefined)[]): string {
  const templates = { timeline: template(timelineSpec([], '', [], RUN_PAGE_WIDTH)), waveform: template(waveformSpec([], '', RUN_PAGE_WIDTH)) };
  const json = (x: unknown) => JSON.stringify(x).replace(/</g, '\\u003c');
  return `
const views = ${json(views)};
const templates = ${json(templates)};
const chartRuns = ${json(chartRuns)};
const LANES = { d: 'direct', r: 'relay', c: 'concealed' };
function unpack(p) {
  const frames = [], wave = [];
  p.seq.forEach((seq, i) => {
    const f = { seq, tRel: p.tRel[i], lane: LANES[p.lane[i]], latencyMs: p.latencyMs[i] };
    frames.push(f);
    if (p.peak[i] !== null) wave.push({ seq, tRel: f.tRel, lane: f.lane, peak: p.peak[i], wavS: p.wavS[i] });
  });
  return { frames, wave };
}
function openRun(id) { if (views[id]) location.hash = 'run=' + encodeURIComponent(id); }
window.linkCharts = (results) => results.forEach((res, i) => res.view.addEventListener('click', (e, item) => {
  const id = (item && item.datum && item.datum.id) || chartRuns[i];
  if (id) openRun(id);
}));
function route() {
  const m = /^#run=(.+)$/.exec(location.hash);
  const id = m && decodeURIComponent(m[1]);
  const v = id && views[id];
  const page = document.getElementById('run-page');
  document.getElementById('report').hidden = !!v;
  page.hidden = !v;
  if (!v) { page.innerHTML = ''; window.runRendered = Promise.resolve(null); return; }
  page.innerHTML = v.html;
  window.scrollTo(0, 0);
  const { frames, wave } = unpack(v.frames);
  const opts = { renderer: 'svg', actions: false };
  window.runRendered = Promise.all([
    vegaEmbed('#run-timeline', { ...templates.timeline, title: 'Timeline: ' + v.title, datasets: { frames, marks: v.marks } }, opts),
    wave.length ? vegaEmbed('#run-waveform', { ...templates.waveform, title: 'Received audio: ' + v.title, datasets: { wave } }, opts).then((res) => {
      res.view.addEventListener('click', (e, item) => {
        const audio = page.querySelector('audio');
        if (audio && item && item.datum && item.datum.wavS !== undefined) { audio.currentTime = item.datum.wavS; audio.play(); }
      });
      return res;
    }) : null,
  ]);
}
window.addEventListener('hashchange', route);
route();
`;
}
