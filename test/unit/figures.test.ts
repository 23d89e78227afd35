// make figures: headless SVGs with the CSV behind them, from synthetic figure benches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { linkParams, savings, writeFigures, type Fig2Row } from '../../harness/figures.ts';
import { DEFAULT_SPEC, runId, type RunSpec } from '../../harness/run.ts';

function fakeRun(results: string, bench: string, spec: RunSpec, label: string, m: { gap: number; recovery: number }): void {
  const id = runId(spec);
  const dir = path.join(results, bench, 'runs', id);
  mkdirSync(dir, { recursive: true });
  const metrics = { gap_ms: m.gap, concealed_ms: m.gap, recovery_ms: m.recovery, direct_ms: null, limit_ms: 40, limit_standby_ms: null,
    detect_ms: 3, relay_bytes: 0, handshakes: 1, signal_msgs: 2, success: true, cpu_s: { mobile: 1 } };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id, label, status: 'ok', spec, metrics }));
}

test('link parameters and the saving of migration over reconnecting', () => {
  assert.deepEqual(linkParams('custom:delay=12.5'), { rtt_ms: 50, loss_pct: 0 });
  assert.deepEqual(linkParams('custom:delay=25,loss=2'), { rtt_ms: 100, loss_pct: 2 });
  assert.equal(linkParams('broadband'), null);
  const row = (strategy: string, rtt: number, recovery: number): Fig2Row =>
    ({ strategy, rtt_ms: rtt, loss_pct: 0, rep: 0, recovery_ms: recovery, gap_ms: 0, success: true, id: `${strategy}${rtt}${recovery}` });
  const s = savings([row('m', 50, 60), row('m', 50, 80), row('r', 50, 170), row('r', 50, 190)], 'm', 'r');
  assert.deepEqual(s, [{ rtt_ms: 50, loss_pct: 0, migration_ms: 70, reconnect_ms: 180, saved_ms: 110, saved_rtt: 2.2 }]);
});

test('writeFigures draws both figures as SVG with their CSVs and a verdict', async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-fig-'));
  const out = path.join(results, 'figures');
  try {
    for (const [label, gap] of [['relay-repunch', 60], ['ice-restart', 500]] as const) {
      for (const rep of [0, 1, 2]) fakeRun(results, 'figure1', { ...DEFAULT_SPEC, strategy: label, rep }, label, { gap: gap + rep, recovery: gap + 60 });
    }
    fakeRun(results, 'figure1-ice', { ...DEFAULT_SPEC, strategy: 'ice-restart', options: { trigger: 'ice' } }, 'ice-restart (trigger=ice)', { gap: 29000, recovery: 29100 });
    for (const delay of [5, 25]) for (const [strategy, extra] of [['quic-migration', 0], ['reconnect', 8 * delay]] as const) {
      const link = `custom:delay=${delay}`;
      fakeRun(results, 'figure2', { ...DEFAULT_SPEC, strategy, links: { answerer: link, wifi: link, cellular: link } }, strategy, { gap: 40, recovery: 50 + extra });
    }
    const r = await writeFigures(results, out);
    for (const f of ['fig1-relay-repunch-vs-ice-restart', 'fig2-migration-vs-reconnect']) {
      const svg = readFileSync(path.join(out, `${f}.svg`), 'utf8');
      assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
      assert.match(svg, /<path|<line/, `${f}: nothing drawn`);
      assert.ok(parse(readFileSync(path.join(out, `${f}.csv`), 'utf8'), { columns: true }).length > 0, `${f}.csv is empty`);
    }
    const fig1 = parse(readFileSync(path.join(out, 'fig1-relay-repunch-vs-ice-restart.csv'), 'utf8'), { columns: true }) as { strategy: string }[];
    assert.deepEqual([...new Set(fig1.map((x) => x.strategy))].sort(), ['ice-restart', 'ice-restart (trigger=ice)', 'relay-repunch']);
    assert.match(r.notes, /Does the bench agree\?\*\* Yes, .*migration saves 2\.0 RTT at 20 ms, 2\.0 RTT at 100 ms/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});
