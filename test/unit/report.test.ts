// The report opens offline in headless Chromium (Debian's; playwright-core drives it, no browser
// download) and every chart renders without a console error. Runs on synthetic bench results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { computeMetrics } from '../../harness/metrics.ts';
import { bootstrapCi, median, writeReport } from '../../harness/report.ts';
import { DEFAULT_SPEC, runId, type RunSpec } from '../../harness/run.ts';
import { REPO } from '../../harness/driver.ts';

const CHROMIUM = '/usr/bin/chromium';

function syntheticRun(results: string, spec: RunSpec, gapFrames: number): void {
  const id = runId(spec);
  const dir = path.join(results, 'synthetic', 'runs', id);
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
  const metrics = computeMetrics(lines.map((l) => JSON.parse(l)), { rttMobileIntermediateMs: 40, rttIntermediateAnswererMs: 20, rttStandbyMs: 40 });
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id, label: spec.strategy, status: 'ok', spec, metrics }));
}

test('median and bootstrap CI', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const ci = bootstrapCi([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])!;
  assert.ok(ci[0] <= 14.5 && ci[1] >= 14.5 && ci[0] >= 10 && ci[1] <= 19, `${ci}`);
  assert.deepEqual(bootstrapCi([1, 2, 3, 4]), bootstrapCi([1, 2, 3, 4]), 'seeded: reproducible');
});

test('the report renders every chart offline with no console error', { skip: !existsSync(CHROMIUM) && 'chromium not installed (make setup)' }, async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-report-'));
  const out = path.join(REPO, 'reports', 'report-test');
  try {
    for (const strategy of ['relay-repunch', 'reconnect']) for (const nat of ['full-cone', 'symmetric']) for (const rep of [0, 1, 2]) {
      syntheticRun(results, { ...DEFAULT_SPEC, strategy, rep, nat: { answerer: nat, wifi: nat, cellular: nat } }, strategy === 'reconnect' ? 10 + rep : 2 + rep);
    }
    const file = writeReport('synthetic', results, out);
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
      assert.equal(charts.length, 4 + 2, 'gap CDF, two box plots, success map, one timeline per strategy');
      for (const c of charts) assert.ok(c.svg === 1 && c.marks > 5, `${c.id} did not render: ${JSON.stringify(c)}`);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'the report must not fetch anything');
      assert.match(await page.textContent('body') ?? '', /gap_ms median \[95% CI\]/);
      assert.match(await page.textContent('body') ?? '', /There is no ice-continual strategy/);
      await page.screenshot({ path: path.join(out, 'screenshot.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});
