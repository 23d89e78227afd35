// The report opens offline in headless Chromium (Debian's; playwright-core drives it, no browser
// download) and every chart renders without a console error. Runs on synthetic bench results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { computeMetrics, type RunMetrics } from '../../harness/metrics.ts';
import { pivotMarkdown, strategyNotes, summaryMarkdown, writeReport } from '../../harness/report.ts';
import { cdfPoints, chartRows, NOT_RECOVERED } from '../../harness/scored-rows.ts';
import { boxSpec, gapCdfSpec } from '../../harness/report-charts.ts';
import { bootstrapCi, censoredMedian, censoredQuantile, formatValue, median } from '../../harness/stats.ts';
import { benchRecords, CSV_COLUMNS, csvRow, readRecords, writeCsv, type RunRecord } from '../../harness/records.ts';
import { columnsMarkdown } from '../../harness/report-columns.ts';
import { captureSection, runsTable, runViews } from '../../harness/report-runs.ts';
import { stringify } from 'csv-stringify/sync';
import { toSvg } from '../../harness/figures.ts';
import { DEFAULT_SPEC, runId, type RunSpec } from '../../harness/spec.ts';
import { REPO } from '../../harness/paths.ts';
import { writeWav } from '../../core/wav.ts';

const CHROMIUM = '/usr/bin/chromium';

/** A run whose audio stops for gapFrames frames after the event (≥ 300: it never comes back). */
function syntheticRun(results: string, spec: RunSpec, gapFrames: number, bench = 'synthetic'): void {
  const id = runId(spec);
  const dir = path.join(results, bench, 'runs', id);
  mkdirSync(dir, { recursive: true });
  const t0 = 1.7e12, E = t0 + 4000;
  const lines: string[] = [];
  const log = (o: Record<string, unknown>) => lines.push(JSON.stringify(o));
  log({ t: E, role: 'harness', type: 'event.fired', name: spec.event, tIssued: E - 2 });
  log({ t: E + 3, role: 'mobile', type: 'netchange.detected', via: 'netlink' });
  for (let seq = 0; seq < 500; seq++) {
    const sentAt = t0 + seq * 20, after = sentAt > E;
    const path = after && seq < 205 + gapFrames + 5 ? 'relay' : 'direct';
    log({ t: sentAt, role: 'answerer', type: 'audio.sent', seq, path });
    if (!(after && seq < 201 + gapFrames)) log({ t: sentAt + 22, role: 'mobile', type: 'audio.recv', seq, path, sentAt });
  }
  writeFileSync(path.join(dir, 'events.harness.jsonl'), lines.join('\n') + '\n');
  // what the mobile heard: a tone, silence where frames were concealed (as toWav writes it)
  const pcm = Buffer.alloc(500 * 320 * 2);
  for (let i = 0; i < 500 * 320; i++) {
    const seq = Math.floor(i / 320);
    if (!(seq > 200 && seq < 201 + gapFrames)) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 8)), i * 2);
  }
  writeFileSync(path.join(dir, 'received.wav'), writeWav({ sampleRate: 16000, channels: 1, bitsPerSample: 16 }, pcm));
  const metrics = computeMetrics(lines.map((l) => JSON.parse(l)), { rttMobileIntermediateMs: 40, rttIntermediateAnswererMs: 20, rttStandbyMs: 40 });
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id, label: spec.strategy, status: 'ok', spec, metrics }));
}

/** A finished run that is not ok: only its meta.json (a failed run may have metrics, or none). */
function recordOnly(results: string, bench: string, spec: RunSpec, status: RunRecord['status'], error: string, metrics?: RunMetrics): string {
  const id = runId(spec);
  mkdirSync(path.join(results, bench, 'runs', id), { recursive: true });
  writeFileSync(path.join(results, bench, 'runs', id, 'meta.json'), JSON.stringify({ id, label: spec.strategy, status, error, spec, metrics }));
  return id;
}

/** The run page of `id` is shown in place of the report: its charts drawn (the waveform with
 *  concealed frames), its audio element loaded from the run folder, its files linked. */
async function runPage(page: Page, id: string): Promise<void> {
  await page.evaluate(async () => { await (window as unknown as { runRendered: Promise<unknown> }).runRendered; });
  assert.equal(await page.isVisible('#report'), false);
  assert.match(await page.textContent('#run-page h2') ?? '', new RegExp(id));
  for (const chart of ['#run-timeline', '#run-waveform']) {
    assert.ok(await page.$$eval(`${chart} svg path, ${chart} svg rect`, (els) => els.length) > 50, `${chart} drew its frames`);
  }
  assert.ok(await page.$$eval('#run-waveform svg .mark-rect path', (els) => els.filter((e) => (e.getAttribute('fill') ?? '').toLowerCase() === '#d62728').length) > 0,
    'concealed frames are marked on the waveform');
  const audio = await page.$eval('#run-page audio', (a) => new Promise<number | string>((res) => {
    const el = a as HTMLAudioElement;
    if (el.readyState >= 1) res(el.duration);
    if (el.error) res(`error ${el.error.code}`);
    el.addEventListener('loadedmetadata', () => res(el.duration));
    el.addEventListener('error', () => res(`error ${el.error?.code}`));
    setTimeout(() => res(`not loaded after 10 s (readyState ${el.readyState})`), 10_000);
  }));
  assert.equal(audio, 10, 'the audio element loads received.wav: 500 frames of 20 ms');
  const files = await page.$$eval('#run-page li a', (as) => as.map((a) => a.textContent));
  assert.ok(files.includes('received.wav') && files.includes('meta.json') && files.includes('events.harness.jsonl'), files.join(', '));
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/\s+/g, ' ');
/** The summary table's body rows, as cell texts. */
function summaryCells(html: string): string[][] {
  const table = html.slice(html.indexOf('<h2>Summary</h2>'), html.indexOf('<h2>Charts</h2>'));
  return [...table.matchAll(/<tr><td>(.*?)<\/tr>/g)].map((m) => m[1]!.split(/<\/td><td>|<\/td>/).filter(Boolean).map(text));
}

test('median and bootstrap CI', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const ci = bootstrapCi([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])!;
  assert.ok(ci[0].value <= 14.5 && ci[1].value >= 14.5 && ci[0].value >= 10 && ci[1].value <= 19, JSON.stringify(ci));
  assert.ok(!ci[0].censored && !ci[1].censored);
  assert.deepEqual(bootstrapCi([1, 2, 3, 4]), bootstrapCi([1, 2, 3, 4]), 'seeded: reproducible');
});

test('censored median: non-recovered runs rank at +∞, a median that reaches one is a lower bound', () => {
  const lost = { value: 8000, censored: true };
  assert.deepEqual(censoredMedian([100, lost, lost]), lost);
  assert.equal(formatValue(censoredMedian([100, lost, lost])), '> 8000');
  assert.deepEqual(censoredMedian([{ value: 50, censored: true }, 100, 200]), { value: 200, censored: false }, 'sorted at +∞, not at its bound');
  assert.deepEqual(censoredMedian([100, 200, 300, lost]), { value: 250, censored: false });
  assert.deepEqual(censoredMedian([100, 200, lost, lost]), { value: 4100, censored: true }, 'above (200 + 8000) / 2');
  assert.deepEqual(censoredQuantile([100, 200, lost, lost], 0.25), { value: 175, censored: false });
  assert.equal(censoredMedian([]), null);
  assert.equal(formatValue(null), '∅');
  assert.equal(formatValue(12.345, 1, ' ms'), '12.3 ms');
  const ci = bootstrapCi([100, lost, lost])!;
  assert.ok(ci[1].censored, 'the upper CI bound reaches the censored runs');
});

test('every run counted: failed and non-recovered runs in N and censored, invalid runs listed and not scored', async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-counted-'));
  const out = path.join(results, 'report');
  const spec = (rep: number): RunSpec => ({ ...DEFAULT_SPEC, strategy: 'relay-repunch', rep });
  try {
    syntheticRun(results, spec(0), 4, 'counted');      // recovered
    syntheticRun(results, spec(1), 400, 'counted');    // audio never comes back: ok, not recovered
    const failed = recordOnly(results, 'counted', spec(2), 'failed', 'mobile exited with code 1');
    const invalid = recordOnly(results, 'counted', spec(3), 'invalid', 'no packet of the mobile left through the cellular NAT');
    const records = readRecords(path.join(results, 'counted'));
    assert.equal(records.find((r) => r.id === runId(spec(1)))!.metrics!.success, false, 'the non-recovered run is what it says');

    const rows = chartRows(records);
    assert.deepEqual(rows.map((r) => [r.status, r.success]), [['ok', true], ['ok', false], ['failed', false]]);
    const cdf = cdfPoints(rows, 'gap_ms');
    assert.equal(cdf.length, 1, 'only the recovered run is drawn');
    assert.ok(cdf.at(-1)!.cdf < 1, `the CDF stops below 1: ${JSON.stringify(cdf)}`);
    assert.equal(cdf.at(-1)!.cdf, 1 / 3);
    assert.deepEqual((gapCdfSpec(rows).data as { values: unknown }).values, cdf);

    // box plots keep the censored runs, at the window, marked in the legend
    const box = boxSpec(rows, 'recovery_ms', 'recovery');
    const drawn = (box.data as { values: { recovery_ms: number; outcome: string }[] }).values;
    assert.deepEqual(drawn.map((v) => [v.recovery_ms > 0 && v.recovery_ms < 8000, v.outcome]),
      [[true, 'recovered'], [false, NOT_RECOVERED], [false, NOT_RECOVERED]]);
    assert.ok(drawn.slice(1).every((v) => v.recovery_ms === 8000));
    assert.match(await toSvg(box), new RegExp(NOT_RECOVERED.replace(/[()]/g, '\\$&')));
    assert.match(await toSvg(gapCdfSpec(rows)), /<path/);

    const html = readFileSync(await writeReport('counted', results, out), 'utf8');
    const cells = summaryCells(html);
    assert.equal(cells.length, 1, 'one group: the invalid run is not a group of its own');
    const [label, , , runs, success, gap, recovery] = cells[0]!;
    assert.equal(label, 'relay-repunch');
    assert.equal(runs, '3', 'N counts the ok and failed runs, not the invalid one');
    assert.equal(success, '1/3');
    assert.match(gap!, /^> 8000 \[\d+, > 8000\]$/, 'the gap median falls on a censored run');
    assert.match(recovery!, /^> 8000 /, 'the recovery median falls on a censored run');
    assert.match(text(html), /4 runs: 2 ok, 1 failed \(both scored: N = 3\), 1 invalid \(not scored\)/);
    const failedSection = text(html.slice(html.indexOf('<h2>Failed runs'), html.indexOf('<h2>Invalid runs')));
    assert.match(failedSection, new RegExp(`${failed} relay-repunch wifi-to-cellular mobile exited with code 1`));
    const invalidSection = text(html.slice(html.indexOf('<h2>Invalid runs'), html.indexOf('<h2>Notes')));
    assert.match(invalidSection, new RegExp(`${invalid} relay-repunch wifi-to-cellular no packet of the mobile left through the cellular NAT`));
    assert.ok(!text(html.slice(0, html.indexOf('<h2>Invalid runs'))).includes(invalid), 'the invalid run appears nowhere else');
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('a report over failed runs only: no throw, 0/N; over nothing: an error', async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-failed-'));
  try {
    recordOnly(results, 'failed-only', { ...DEFAULT_SPEC, strategy: 'reconnect' }, 'failed', 'deadline');
    // a role crashed after the audio recovered: metrics that say success, yet a failed run is never one
    const crashed: RunMetrics = { ...computeMetrics([]), gap_ms: 100, recovery_ms: 300, direct_ms: 320, success: true };
    recordOnly(results, 'failed-only', { ...DEFAULT_SPEC, strategy: 'reconnect', rep: 1 }, 'failed', 'answerer exited', crashed);
    const html = readFileSync(await writeReport('failed-only', results, path.join(results, 'report')), 'utf8');
    // runs, success, gap, recovery, switch, direct (all censored), added delay and limit (not measured)
    assert.deepEqual(summaryCells(html)[0]!.slice(3, 11), ['2', '0/2', '> 8000 [> 8000, > 8000]', '> 8000 [> 8000, > 8000]', '> 8000', '> 8000', '∅', '∅']);
    // audible_ms censored like the gap; MOS: the crashed run has none (computeMetrics([])), the other no metrics: both at the floor
    assert.deepEqual(summaryCells(html)[0]!.slice(11, 13), ['> 8000', '1.00']);
    mkdirSync(path.join(results, 'empty', 'runs'), { recursive: true });
    await assert.rejects(writeReport('empty', results, path.join(results, 'report2')), /no finished run/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('the report renders every chart offline with no console error', { skip: !existsSync(CHROMIUM) && 'chromium not installed (make setup)' }, async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-report-'));
  const out = path.join(REPO, 'reports', 'report-test');
  try {
    for (const strategy of ['relay-repunch', 'reconnect']) for (const nat of ['full-cone', 'symmetric']) for (const rep of [0, 1, 2]) {
      syntheticRun(results, { ...DEFAULT_SPEC, strategy, rep, nat: { answerer: nat, wifi: nat, cellular: nat } }, strategy === 'reconnect' ? 10 + rep : 2 + rep);
    }
    // censored runs are drawn too (at the window, marked)
    syntheticRun(results, { ...DEFAULT_SPEC, strategy: 'reconnect', rep: 3 }, 400);
    recordOnly(results, 'synthetic', { ...DEFAULT_SPEC, strategy: 'reconnect', rep: 4 }, 'failed', 'deadline');
    const file = await writeReport('synthetic', results, out);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(`file://${file}`);
      await page.evaluate(async () => { await (window as unknown as { rendered: Promise<unknown> }).rendered; return true; });
      const charts = await page.$$eval('.chart', (els) => els.map((e) => ({ id: e.id, svg: e.querySelectorAll('svg').length, marks: e.querySelectorAll('svg path, svg line, svg rect').length })));
      assert.equal(charts.length, 5 + 2, 'gap CDF, three box plots (switch_ms with the floors), success map, one timeline per strategy');
      for (const c of charts) assert.ok(c.svg === 1 && c.marks > 5, `${c.id} did not render: ${JSON.stringify(c)}`);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'the report must not fetch anything');
      assert.match(await page.textContent('body') ?? '', /gap_ms median \[95% CI\]/);
      assert.match(await page.textContent('body') ?? '', /Two floors: limit_ms/);
      await page.screenshot({ path: path.join(out, 'screenshot.png'), fullPage: true });

      // a point of the gap CDF opens its run's page, in the same file
      await page.locator('#gap-cdf svg .mark-symbol path').first().click();
      await page.waitForFunction(() => location.hash.startsWith('#run='));
      const opened = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#run='.length));
      assert.ok(existsSync(path.join(results, 'synthetic', 'runs', opened)), `the point names a run: ${opened}`);
      await runPage(page, opened);
      await page.screenshot({ path: path.join(out, 'run-page.png'), fullPage: true });
      // and back; then a row of the runs table opens another run's page
      await page.click('#run-page a[href="#"]');
      assert.equal(await page.isVisible('#report'), true);
      const row = await page.$eval('#runs a[href^="#run="]:not([href="#run=' + encodeURIComponent(opened) + '"])', (a) => a.getAttribute('href')!);
      await page.click(`#runs a[href="${row}"]`);
      await runPage(page, decodeURIComponent(row.slice('#run='.length)));
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'the run pages must not fetch anything');
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('a snapshot (runs.csv + bench.json only) gives the same markdown table as the run folders', () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-snapshot-'));
  try {
    syntheticRun(results, { ...DEFAULT_SPEC, strategy: 'relay-repunch', rep: 0 }, 10);
    syntheticRun(results, { ...DEFAULT_SPEC, strategy: 'relay-repunch', rep: 1 }, 400);   // never recovers
    syntheticRun(results, { ...DEFAULT_SPEC, strategy: 'overlay', rep: 0, options: { livenessMs: '100' } }, 5);
    recordOnly(results, 'synthetic', { ...DEFAULT_SPEC, strategy: 'overlay', rep: 1 }, 'failed', 'deadline');
    recordOnly(results, 'synthetic', { ...DEFAULT_SPEC, strategy: 'overlay', rep: 2 }, 'invalid', 'wifi-to-cellular: nothing changed');
    const records = readRecords(path.join(results, 'synthetic'));
    const snap = path.join(results, 'snap');
    mkdirSync(snap);
    writeCsv(snap, records);
    writeFileSync(path.join(snap, 'bench.json'), JSON.stringify({ config: { observeS: DEFAULT_SPEC.observeS, warmupS: DEFAULT_SPEC.warmupS } }));
    const fromCsv = benchRecords(snap);
    assert.equal(fromCsv.length, 5);
    assert.deepEqual(fromCsv.find((r) => r.spec.strategy === 'overlay' && r.spec.rep === 0)!.spec.options, { livenessMs: '100' });
    const table = summaryMarkdown(records);
    assert.equal(summaryMarkdown(fromCsv), table);
    assert.match(table, /\| relay-repunch \| port-restricted \| wifi-to-cellular \| 2 \| 1\/2 \|/);
    assert.match(table, /Not scored \(scenario did not happen\): overlay wifi-to-cellular \(wifi-to-cellular: nothing changed\)/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('the report\'s notes on strategies come from the strategies with runs in the bench (Strategy.notes)', async () => {
  const record = (strategy: string): RunRecord => ({ id: strategy, label: strategy, spec: { ...DEFAULT_SPEC, strategy }, status: 'ok' });
  const notes = await strategyNotes([record('ice-restart'), record('relay-repunch'), record('ice-restart')]);
  assert.equal(notes.length, 1, 'ice-restart has one note, relay-repunch none, each strategy once');
  assert.match(notes[0]!, /^ice-restart: .*new PeerConnection/);
  assert.deepEqual(await strategyNotes([record('no-such-strategy')]), [], 'a bench of a strategy since removed still reports');
});

test('the pivoted markdown: a row per strategy, a column per NAT × event, censored medians, invalid runs counted apart', () => {
  const m = (gap: number, success = true) => ({ ...computeMetrics([]), gap_ms: gap, recovery_ms: success ? gap + 80 : null, switch_ms: gap, direct_ms: gap, success });
  const record = (strategy: string, event: string, rep: number, status: RunRecord['status'], gap: number, success = true): RunRecord => {
    const spec = { ...DEFAULT_SPEC, strategy, event, rep, observeS: 5 };
    return { id: runId(spec), label: strategy, spec, status, ...(status === 'ok' ? { metrics: m(gap, success) } : { error: 'x' }) };
  };
  const md = pivotMarkdown([
    record('relay-repunch', 'wifi-to-cellular', 0, 'ok', 60), record('relay-repunch', 'wifi-to-cellular', 1, 'ok', 80),
    record('relay-repunch', 'wifi-to-cellular', 2, 'invalid', 0),
    record('relay-repunch', 'nat-rebind', 0, 'ok', 200), record('relay-repunch', 'nat-rebind', 1, 'failed', 0),
    record('reconnect', 'nat-rebind', 0, 'ok', 300, false),
  ]).split('\n');
  assert.deepEqual(md[0]!.split(' | ').slice(1).map((h) => h.split(':')[0]), ['port-restricted · nat-rebind', 'port-restricted · wifi-to-cellular']);
  assert.equal(md.length, 4, 'header, rule, two strategies');
  assert.match(md[2]!, /^\| reconnect \| 0\/1 · > 5000 \/ > 5000 \/ 300 \/ 300 \| 0\/0 · ∅/);
  assert.match(md[3]!, /^\| relay-repunch \| 1\/2 · > 2600 \/ > 2640 \/ > 2600 \/ > 2600 \| 2\/2 · 70 \/ 150 \/ 70 \/ 70 \(1 invalid\) \|$/);
});

test('runs on different links are different rows, with a link column only when links vary', () => {
  const record = (cellular: string | undefined, rep: number): RunRecord => {
    const spec = { ...DEFAULT_SPEC, strategy: 'overlay', rep, links: cellular ? { cellular } : {} };
    return { id: runId(spec), label: 'overlay', spec, status: 'ok', metrics: { ...computeMetrics([]), gap_ms: 40, recovery_ms: 120, success: true } };
  };
  const two = summaryMarkdown([record('custom:delay=30,loss=5', 0), record('custom:delay=30,loss=20', 0)]).split('\n');
  assert.equal(two[0]!.split(' | ')[2], 'link');
  assert.equal(two.length, 4, 'one row per link');
  const one = summaryMarkdown([record(undefined, 0), record(undefined, 1)]).split('\n');
  assert.ok(!one[0]!.includes('| link |'));
  assert.equal(one.length, 3);
});

test('report --columns: medians of any runs.csv column per group of what varies; invalid runs left out; unknown columns refused', () => {
  const spec = (pairs: number, rep: number) => ({ ...DEFAULT_SPEC, strategy: 'relay-only', rep, ...(pairs > 1 ? { pairs, staggerMs: 100 } : {}) });
  const record = (pairs: number, rep: number, status: RunRecord['status'], cpu: number): RunRecord => ({
    id: runId(spec(pairs, rep)), label: 'relay-only', spec: spec(pairs, rep), status,
    ...(status === 'ok' ? { metrics: { ...computeMetrics([]), cpu_s: { intermediate: cpu } } } : { error: 'x' }),
  });
  const csv = stringify([CSV_COLUMNS, ...[record(1, 0, 'ok', 1), record(1, 1, 'ok', 2), record(1, 2, 'invalid', 9), record(2, 0, 'ok', 3), record(2, 1, 'failed', 0)].map(csvRow)]);
  const md = columnsMarkdown(csv, ['cpu_intermediate_s']).split('\n');
  assert.equal(md[0], '| label | pairs | runs | cpu_intermediate_s (median) |');
  assert.equal(md[2], '| relay-only | 1 | 2 | 1.50 |', 'the invalid run is not scored');
  assert.equal(md[3], '| relay-only | 2 | 2 | 3 (1/2) |', 'the failed run has no value: counted in runs, not in the median');
  assert.throws(() => columnsMarkdown(csv, ['gap']), /not a runs.csv column: gap/);
  assert.equal(columnsMarkdown(csv, ['id']).split('\n')[0], '| label | pairs | runs | id |', 'a column that is not a number is listed, not a median');
});

test('a bench with several events: the summary has one table per event, strategies side by side under each', async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-events-'));
  try {
    for (const event of ['wifi-to-cellular', 'handover:500']) {
      for (const strategy of ['relay-repunch', 'standby']) syntheticRun(results, { ...DEFAULT_SPEC, strategy, event }, 4, 'events');
    }
    const html = readFileSync(await writeReport('events', results, path.join(results, 'report')), 'utf8');
    const summary = html.slice(html.indexOf('<h2>Summary</h2>'), html.indexOf('<h2>Charts</h2>'));
    const sections = [...summary.matchAll(/<h3>(.*?)<\/h3><table>(.*?)<\/table>/g)];
    assert.deepEqual(sections.map((m) => m[1]), ['wifi-to-cellular', 'handover:500']);
    for (const [, event, table] of sections) {
      const rows = [...table!.matchAll(/<tr><td>(.*?)<\/td>/g)].map((m) => m[1]);
      assert.deepEqual(rows, ['relay-repunch', 'standby'], `${event}: both strategies, nothing else`);
    }
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('the capture checks over a bench: verdicts counted per check, every disagreement listed with its run; runs without logs have no page', () => {
  const record = (rep: number, checks?: RunRecord['captureChecks']): RunRecord => {
    const spec = { ...DEFAULT_SPEC, strategy: 'relay-repunch', rep };
    return { id: runId(spec), label: 'relay-repunch', spec, status: 'ok', metrics: { ...computeMetrics([]), gap_ms: 40, success: true }, ...(checks ? { captureChecks: checks } : {}) };
  };
  const agree = { name: 'handshakes', verdict: 'agree' as const, detail: 'the bench counted 1' };
  const records = [record(0, [agree, { name: 'new address', verdict: 'disagree', detail: 'no new address at the NAT' }]),
    record(1, [agree, { name: 'new address', verdict: 'agree', detail: 'seen' }]), record(2)];
  const html = captureSection(records);
  assert.match(text(html), /2 of 3 runs captured/);
  assert.match(html, /<tr><td>handshakes<\/td><td>2<\/td><td>0<\/td><td>0<\/td><\/tr>/);
  assert.match(html, /<tr><td>new address<\/td><td>1<\/td><td>1<\/td><td>0<\/td><\/tr>/);
  const listed = html.slice(html.indexOf('Disagreements'));
  assert.ok(listed.includes(`#run=${records[0]!.id}`) && listed.includes('no new address at the NAT') && !listed.includes(records[1]!.id));
  assert.match(captureSection([record(0)]), /No run of this bench was captured/);
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-views-'));
  try {
    syntheticRun(results, records[0]!.spec, 4, 'views');
    const views = runViews(records, path.join(results, 'views', 'runs'), path.join(results, 'report'));
    assert.deepEqual(Object.keys(views), [records[0]!.id], 'a page only where the run folder has logs');
    const v = views[records[0]!.id]!;
    assert.equal(v.frames.seq.length, v.frames.lane.length);
    assert.equal(v.frames.lane.replace(/[^c]/g, '').length, 4, 'the four concealed frames');
    assert.ok(v.frames.peak.every((p, i) => (v.frames.lane[i] === 'c' ? p === 0 : p! > 0.2)), 'silence exactly where frames were concealed');
    assert.match(v.html, /href="\.\.\/views\/runs\/[^"]+\/received\.wav"/, 'files linked relative to the report');
    // a received.wav cut short (a disk full, a copy interrupted): the page says so, the report goes on
    writeFileSync(path.join(results, 'views', 'runs', records[0]!.id, 'received.wav'), 'RIFF');
    const cut = runViews(records, path.join(results, 'views', 'runs'), path.join(results, 'report'))[records[0]!.id]!;
    assert.match(cut.html, /No readable received\.wav/);
    assert.ok(cut.frames.peak.every((p) => p === null));
    const table = runsTable(records, views);
    assert.equal((table.match(/href="#run=/g) ?? []).length, 1);
    assert.match(text(table), /new address: disagree/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('report --inaudible: runs heard x/N (a failed run is heard), the goal met (inaudible and a MOS drop ≤ 0.1), the MOS drop with a failed run at the floor, extra %, invalid runs beside', async () => {
  const { inaudibleMarkdown } = await import('../../harness/report-inaudible.ts');
  const m = (audible: number, mos: number, extra: number): RunMetrics => ({ ...computeMetrics([]), gap_ms: audible, audible_ms: audible, mos_pre: 4.1, mos_event: mos,
    recovery_ms: audible + 100, success: true, extra_pct: extra });
  const record = (rep: number, metrics: RunMetrics | undefined, status: RunRecord['status'] = 'ok'): RunRecord =>
    ({ id: `seamless-${rep}`, label: 'seamless', spec: { ...DEFAULT_SPEC, strategy: 'seamless', event: 'wifi-fade:4', rep }, status,
      ...(metrics ? { metrics } : {}), ...(status === 'invalid' ? { error: 'late' } : {}) });
  const md = inaudibleMarkdown([record(0, m(0, 4.08, 30)), record(1, m(0, 3.9, 40)), record(2, m(60, 3.6, 50)), record(3, undefined, 'failed'),
    record(4, m(0, 4.1, 99), 'invalid')]);
  assert.match(md, /#### wifi-fade:4/);
  // heard: the 60 ms run and the failed one; the goal met by the first alone (the second dropped 0.2);
  // drops 0.02, 0.2, 0.5, 3.1 (floor 1): median 0.35; extra over the three measured: 40
  assert.match(md, /\| seamless \| port-restricted \| 4 \| 2\/4 \| 1\/4 \| 0\.35 \| 40\.0 \| 1 \|/);
});

test('report --heard: per event, gap beside audible_ms and the MOS, costs in % of the media; a snapshot from before Opus shows ∅', async () => {
  const { heardMarkdown } = await import('../../harness/report-heard.ts');
  const m = (gap: number, audible: number, mos: number): RunMetrics => ({ ...computeMetrics([]), gap_ms: gap, audible_ms: audible, mos_pre: 4.1, mos_event: mos,
    recovery_ms: gap + 100, success: true, media_bytes: 20000, relay_pct: 3.5, dup_pct: 0, keepalive_pct: 9 });
  const record = (strategy: string, event: string, rep: number, metrics: RunMetrics | undefined, status: RunRecord['status'] = 'ok'): RunRecord =>
    ({ id: `${strategy}-${event}-${rep}`, label: strategy, spec: { ...DEFAULT_SPEC, strategy, event, rep }, status, ...(metrics ? { metrics } : {}) });
  const md = heardMarkdown([
    record('relay-repunch', 'nat-rebind', 0, m(160, 140, 3.5)), record('relay-repunch', 'nat-rebind', 1, m(200, 180, 3.3)),
    record('relay-repunch', 'nat-rebind', 2, undefined, 'failed'),
    record('relay-repunch', 'wifi-to-cellular', 0, m(60, 40, 3.9)),
  ]);
  const [w2c, rebind] = [md.indexOf('#### wifi-to-cellular'), md.indexOf('#### nat-rebind')];
  assert.ok(w2c >= 0 && rebind > w2c, 'one table per event, in the events table\'s order');
  assert.match(md, /\| relay-repunch \| port-restricted \| 3 \| 2\/3 \| 200 \| 180 \| 4\.10 \| 3\.30 \| 20\.0 \| 3\.5 \| 0\.0 \| 9\.0 \|/, 'the failed run counts: censored gap, MOS at the floor');
  const old = heardMarkdown([record('overlay', 'nat-rebind', 0, { ...m(100, 0, 0), audible_ms: null, mos_event: null } as unknown as RunMetrics)]);
  assert.match(old, /\| overlay \| port-restricted \| 1 \| 1\/1 \| 100 \| ∅ \| 4\.10 \| ∅ \|/);
});
