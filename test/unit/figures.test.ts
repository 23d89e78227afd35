// make figures: headless SVGs (page and column) with their PDFs and the CSV behind them, from
// synthetic figure benches; one colour per strategy in every figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeFigures } from '../../harness/figures.ts';
import { fig1Spec, linkParams, savings, type Fig1Row, type Fig2Row } from '../../harness/figure-claims.ts';
import { FAITHFUL, fieldAgrees, fig3Spec, HANDOVER, type Fig3Row } from '../../harness/figure-field.ts';
import { MAX_WIDTH } from '../../harness/figure-marks.ts';
import { beats, claimVerdict, type ClaimRow } from '../../harness/figure-claim.ts';
import { STRATEGY_COLOURS, strategyScale } from '../../harness/colours.ts';
import { strategyNames } from '../../strategies/registry.ts';
import { DEFAULT_SPEC, runId, type RunSpec } from '../../harness/spec.ts';

/** recovery null: the run never recovered; m null: a failed run without metrics. */
function fakeRun(results: string, bench: string, spec: RunSpec, label: string, m: { gap: number; recovery: number | null } | null): void {
  const id = runId(spec);
  const dir = path.join(results, bench, 'runs', id);
  mkdirSync(dir, { recursive: true });
  const metrics = m && { gap_ms: m.gap, concealed_ms: m.gap, recovery_ms: m.recovery, direct_ms: null, limit_ms: 40, limit_standby_ms: null,
    detect_ms: 3, relay_bytes: 0, handshakes: 1, signal_msgs: 2, success: m.recovery !== null, cpu_s: { mobile: 1 } };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(metrics
    ? { id, label, status: 'ok', spec, metrics } : { id, label, status: 'failed', error: 'deadline', spec }));
}

test('link parameters and the saving of migration over reconnecting', () => {
  assert.deepEqual(linkParams('custom:delay=12.5'), { rtt_ms: 50, loss_pct: 0 });
  assert.deepEqual(linkParams('custom:delay=25,loss=2'), { rtt_ms: 100, loss_pct: 2 });
  assert.equal(linkParams('broadband'), null);
  const row = (strategy: string, rtt: number, recovery: number, censored = false): Fig2Row =>
    ({ strategy, base: strategy, rtt_ms: rtt, loss_pct: 0, rep: 0, recovery_ms: recovery, gap_ms: 0, censored, success: !censored, id: `${strategy}${rtt}${recovery}` });
  const s = savings([row('m', 50, 60), row('m', 50, 80), row('r', 50, 170), row('r', 50, 190)], 'm', 'r');
  assert.deepEqual(s, [{ rtt_ms: 50, loss_pct: 0, migration_ms: 70, migration_censored: false, reconnect_ms: 180, reconnect_censored: false, saved_ms: 110, saved_rtt: 2.2 }]);
  // a reconnect that did not recover stays in the median: it is censored, and the saving unknown
  const c = savings([row('m', 50, 60), row('m', 50, 80), row('r', 50, 170), row('r', 50, 8000, true)], 'm', 'r');
  assert.deepEqual(c, [{ rtt_ms: 50, loss_pct: 0, migration_ms: 70, migration_censored: false, reconnect_ms: 4085, reconnect_censored: true, saved_ms: null, saved_rtt: null }]);
});

/** The texts of an SVG (multi-line ones joined), and those of its legends' labels. */
function svgTexts(svg: string): { all: string[]; legend: string[] } {
  const texts = (s: string) => [...s.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  return { all: texts(svg), legend: [...svg.matchAll(/role-legend-label"[\s\S]*?<\/g>/g)].flatMap((m) => texts(m[0])) };
}

test('writeFigures draws every figure for a page and a column, each with its PDF, plus CSVs and a verdict', async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-fig-'));
  const out = path.join(results, 'figures');
  try {
    for (const [label, gap] of [['relay-repunch', 60], ['ice-restart', 500]] as const) {
      for (const rep of [0, 1, 2]) fakeRun(results, 'figure1', { ...DEFAULT_SPEC, strategy: label, rep }, label, { gap: gap + rep, recovery: gap + 60 });
    }
    // trigger=ice: one recovered, one never recovered, one failed (36 s window): the median is censored
    const ice = (rep: number): RunSpec => ({ ...DEFAULT_SPEC, strategy: 'ice-restart', options: { trigger: 'ice' }, observeS: 36, rep });
    fakeRun(results, 'figure1-ice', ice(0), 'ice-restart (trigger=ice)', { gap: 29000, recovery: 29100 });
    fakeRun(results, 'figure1-ice', ice(1), 'ice-restart (trigger=ice)', { gap: 35900, recovery: null });
    fakeRun(results, 'figure1-ice', ice(2), 'ice-restart (trigger=ice)', null);
    for (const delay of [5, 25]) for (const [strategy, extra] of [['quic-migration', 0], ['reconnect', 8 * delay]] as const) {
      const link = `custom:delay=${delay}`;
      fakeRun(results, 'figure2', { ...DEFAULT_SPEC, strategy, links: { answerer: link, wifi: link, cellular: link } }, strategy, { gap: 40, recovery: 50 + extra });
    }
    // figure 3: the faithful original and standby under three handovers each, one fade that never recovered
    const field = (strategy: string, label: string, options: Record<string, string>, recoveries: number[]) => {
      for (const [i, event] of ['handover:1000', 'handover:2500', 'handover:4000'].entries()) {
        fakeRun(results, 'field', { ...DEFAULT_SPEC, strategy, options, event }, label, { gap: recoveries[i]! - 80, recovery: recoveries[i]! });
      }
    };
    field('relay-repunch', FAITHFUL, { detect: 'probe', media: 'stream' }, [800, 900, 1000]);
    field('standby', 'standby', {}, [100, 120, 140]);
    fakeRun(results, 'field', { ...DEFAULT_SPEC, strategy: 'standby', event: 'wifi-fade:4' }, 'standby', { gap: 7000, recovery: null });
    // figure 4: libwebrtc slow in the handover, the original shorter everywhere, iroh never recovering once
    const claim = (strategy: string, label: string, options: Record<string, string>, gaps: (number | null)[]) => {
      for (const [i, event] of ['wifi-to-cellular', 'handover:2000'].entries()) {
        const gap = gaps[i]!;
        fakeRun(results, 'claim', { ...DEFAULT_SPEC, strategy, options, event, observeS: 12 }, label,
          { gap: gap ?? 12000, recovery: gap === null ? null : gap + 100 });
      }
    };
    claim('libwebrtc', 'libwebrtc (trigger=app)', { trigger: 'app' }, [3000, 6500]);
    claim('relay-repunch', FAITHFUL, { detect: 'probe', media: 'stream' }, [900, 1000]);
    claim('iroh', 'iroh', {}, [400, null]);
    // an invalid run (its route step late) is never scored, and its cell says so
    const late = { ...DEFAULT_SPEC, strategy: 'libwebrtc', options: { trigger: 'app' }, event: 'handover:2000', observeS: 12, rep: 1 };
    mkdirSync(path.join(results, 'claim', 'runs', runId(late)), { recursive: true });
    writeFileSync(path.join(results, 'claim', 'runs', runId(late), 'meta.json'), JSON.stringify(
      { id: runId(late), label: 'libwebrtc (trigger=app)', status: 'invalid', error: 'route step 839 ms late', spec: late }));
    const r = await writeFigures(results, out);
    const strategies = { 'fig1-relay-repunch-vs-ice-restart': ['relay-repunch', 'ice-restart', 'ice-restart (trigger=ice)'],
      'fig2-migration-vs-reconnect': ['quic-migration', 'reconnect'], 'fig3-field': [FAITHFUL, 'standby'],
      'fig4-claim': ['libwebrtc (trigger=app)', FAITHFUL, 'iroh'] };
    for (const [f, labels] of Object.entries(strategies)) {
      for (const [file, max] of [[f, MAX_WIDTH.page], [`${f}-column`, MAX_WIDTH.column]] as const) {
        const svg = readFileSync(path.join(out, `${file}.svg`), 'utf8');
        assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
        assert.match(svg, /<path|<line/, `${file}: nothing drawn`);
        const width = Number(/^<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
        assert.ok(width > 0 && width <= max, `${file}: ${width} px wide, more than ${max}`);
        const { all, legend } = svgTexts(svg);
        assert.deepEqual(all.filter((t) => /(…|\.\.\.)$/.test(t)), [], `${file}: a label cut short`);
        for (const label of labels) assert.ok(legend.includes(label), `${file}: no '${label}' in the legend (${legend.join(' | ')})`);
        assert.ok(legend.includes('median (bar: 95 % CI)'), `${file}: medians and CIs not in the legend`);
        assert.equal(readFileSync(path.join(out, `${file}.pdf`)).subarray(0, 4).toString(), '%PDF', `${file}.pdf`);
        assert.ok(r.files.includes(`${file}.svg`) && r.files.includes(`${file}.pdf`));
      }
      assert.ok(parse(readFileSync(path.join(out, `${f}.csv`), 'utf8'), { columns: true }).length > 0, `${f}.csv is empty`);
    }
    const fig1 = parse(readFileSync(path.join(out, 'fig1-relay-repunch-vs-ice-restart.csv'), 'utf8'), { columns: true }) as
      { strategy: string; metric: string; ms: string; censored: string }[];
    assert.deepEqual([...new Set(fig1.map((x) => x.strategy))].sort(), ['ice-restart', 'ice-restart (trigger=ice)', 'relay-repunch']);
    const iceRecovery = fig1.filter((x) => x.strategy === 'ice-restart (trigger=ice)' && x.metric === 'recovery_ms');
    assert.deepEqual(iceRecovery.map((x) => [x.ms, x.censored]), [['29100', ''], ['36000', '1'], ['36000', '1']],   // csv-stringify: true is 1
      'every run drawn; censored runs at the window');
    assert.match(r.notes, /\| relay-repunch \| 3 \| 3\/3 \| 61 ms \| 120 ms \|/);
    assert.match(r.notes, /\| ice-restart \(trigger=ice\) \| 3 \| 1\/3 \| > 36000 ms \| > 36000 ms \|/);
    assert.match(readFileSync(path.join(out, 'fig1-relay-repunch-vs-ice-restart.svg'), 'utf8'), /not recovered \(censored at window\)/);
    assert.match(r.notes, /Does the bench agree\?\*\* Yes, .*migration saves 2\.0 RTT at 20 ms, 2\.0 RTT at 100 ms/);
    assert.match(r.notes, /\| original \(detect=probe, media=stream\) \| handover \(OS 1–4 s\) \| 3 \| 3\/3 \| 900 ms \(800–1000\) \|/);
    assert.match(r.notes, /\| standby \| wifi-fade:4 \| 1 \| 0\/1 \| > 8000 ms \|/);
    assert.match(r.notes, /\| original, field \(Android\) \| Wi-Fi → cellular on a phone \| 10 \| – \| 3440 ms \(2230–4350\)/);
    assert.match(r.notes, /agree with the field\?\*\* No, .*: 900 ms\./);
    assert.match(readFileSync(path.join(out, 'fig3-field.svg'), 'utf8'), /original, field \(Android\)/);
    assert.match(r.notes, /\| libwebrtc \(trigger=app\) \| 3000 ms \(1\/1\) \| 6500 ms \(1\/1, 1 invalid\) \| 2\/2 \|/);
    assert.match(r.notes, /\| iroh \| 400 ms \(1\/1\) \| > 12000 ms \(0\/1\) \| 1\/2 \|/);
    assert.match(r.notes, /Does the claim hold\?\*\* Yes, .*libwebrtc \(trigger=app\): ≥ 5 s in handover:2000, the original shorter in every event/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('figure 3 verdict: the faithful original\'s handover median inside the field\'s 2230–4350 ms; a censored median never agrees', () => {
  const row = (recovery_ms: number, censored = false, condition = HANDOVER): Fig3Row => ({ strategy: FAITHFUL, base: 'relay-repunch', condition, event: 'handover:1000',
    rep: 0, recovery_ms, gap_ms: 0, detect_ms: null, censored, success: !censored, id: String(recovery_ms) });
  assert.equal(fieldAgrees([row(2500), row(3000), row(9000)]).agree, true);
  assert.equal(fieldAgrees([row(900), row(1000), row(3000)]).agree, false);
  assert.equal(fieldAgrees([row(3000), row(8000, true), row(8000, true)]).agree, false);
  assert.equal(fieldAgrees([row(3000, false, 'wifi-fade:4')]).median, null, 'only the handovers count');
});

/** label → colour of every strategy colour scale in a spec. */
test('figure 4 verdict: a libwebrtc trigger ≥ 5 s somewhere and the original shorter everywhere; ties and censored medians never win', () => {
  assert.equal(beats({ value: 100, censored: false }, { value: 121, censored: false }), true);
  assert.equal(beats({ value: 100, censored: false }, { value: 120, censored: false }), false, 'within a frame: a tie');
  assert.equal(beats({ value: 100, censored: true }, { value: 9000, censored: false }), false, 'a lower bound never wins');
  assert.equal(beats({ value: 100, censored: false }, { value: 12000, censored: true }), true);
  const row = (strategy: string, event: string, gap_ms: number, censored = false): ClaimRow =>
    ({ strategy, base: strategy, event, rep: 0, gap_ms, censored, success: !censored, id: `${strategy}${event}` });
  const app = 'libwebrtc (trigger=app)';
  const slowEverywhere = [row(app, 'a', 6000), row(app, 'b', 7000), row(FAITHFUL, 'a', 1000), row(FAITHFUL, 'b', 900)];
  assert.equal(claimVerdict(slowEverywhere).holds, true);
  assert.equal(claimVerdict([row(app, 'a', 4000), row(app, 'b', 4990), row(FAITHFUL, 'a', 1000), row(FAITHFUL, 'b', 900)]).holds, false, 'never 5 s');
  assert.equal(claimVerdict([row(app, 'a', 6000), row(app, 'b', 800), row(FAITHFUL, 'a', 1000), row(FAITHFUL, 'b', 900)]).holds, false,
    'the original slower in one event');
  assert.equal(claimVerdict([row(app, 'a', 12000, true), row(app, 'b', 6000), row(FAITHFUL, 'a', 12000, true), row(FAITHFUL, 'b', 900)]).holds, false,
    'both censored: the original does not win');
  assert.equal(claimVerdict([row(FAITHFUL, 'a', 900)]).holds, false, 'no libwebrtc runs: no verdict for the claim');
});

function colours(spec: unknown, out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(spec)) spec.forEach((s) => colours(s, out));
  else if (spec && typeof spec === 'object') {
    const o = spec as Record<string, unknown>;
    const c = o.color as { field?: string; scale?: { domain: string[]; range: string[] } } | undefined;
    if (c?.field === 'strategy' && c.scale) c.scale.domain.forEach((l, i) => out.set(l, c.scale!.range[i]!));
    Object.values(o).forEach((v) => colours(v, out));
  }
  return out;
}

test('one colour per strategy: the same in figures 1 and 3, a variant a shade of its strategy, never shared', () => {
  assert.deepEqual(Object.keys(STRATEGY_COLOURS).sort(), strategyNames(), 'every strategy has its colour');
  const f1 = (strategy: string, base: string): Fig1Row => ({ strategy, base, rep: 0, metric: 'gap_ms', ms: 100, censored: false, success: true, id: strategy });
  const f3 = (strategy: string, base: string): Fig3Row => ({ strategy, base, condition: HANDOVER, event: 'handover:1000', rep: 0, recovery_ms: 100,
    gap_ms: 80, detect_ms: null, censored: false, success: true, id: strategy });
  const one = colours(fig1Spec([f1('relay-repunch', 'relay-repunch'), f1('ice-restart', 'ice-restart'), f1('ice-restart-werift', 'ice-restart-werift'),
    f1('ice-restart (trigger=ice)', 'ice-restart')]));
  const three = colours(fig3Spec([f3(FAITHFUL, 'relay-repunch'), f3('ice-restart', 'ice-restart'), f3('overlay', 'overlay'), f3('standby', 'standby')], 'column'));
  assert.equal(one.get('ice-restart'), three.get('ice-restart'));
  assert.equal(one.get('relay-repunch'), STRATEGY_COLOURS['relay-repunch']);
  assert.equal(three.get('standby'), STRATEGY_COLOURS.standby);
  for (const m of [one, three]) assert.equal(new Set(m.values()).size, m.size, `a colour shared: ${JSON.stringify([...m])}`);
  assert.notEqual(one.get('ice-restart (trigger=ice)'), one.get('ice-restart'), 'a variant stays apart from its strategy');
  assert.notEqual(three.get(FAITHFUL), STRATEGY_COLOURS['relay-repunch']);
  // a shade: the same hue as its strategy, lighter or darker
  const hue = (hex: string) => { const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
    const max = Math.max(r, g, b), d = max - Math.min(r, g, b);
    return d === 0 ? 0 : 60 * (max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4); };
  assert.ok(Math.abs(hue(three.get(FAITHFUL)!) - hue(STRATEGY_COLOURS['relay-repunch']!)) < 3);
  assert.ok(Math.abs(hue(one.get('ice-restart (trigger=ice)')!) - hue(STRATEGY_COLOURS['ice-restart']!)) < 3);
  // the same label, the same colour, whatever else the chart holds; labels of no strategy still apart
  assert.deepEqual(strategyScale(['ice-restart (trigger=ice)']).range, strategyScale(['reconnect', 'ice-restart (trigger=ice)']).range.slice(1));
  assert.equal(new Set(strategyScale(['a', 'b', 'c']).range).size, 3);
});
