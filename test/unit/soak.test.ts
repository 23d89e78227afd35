// The soak's slope rule (harness/soak/flatness.ts), its schedule, and how it tells role processes apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOLERANCES, trend } from '../../harness/soak/flatness.ts';
import { roleOf } from '../../harness/soak/sampler.ts';
import { judge, sampleEvery, soakPasses, soakSchedule, soakSpec, SOAK_DEFAULTS } from '../../harness/soak/soak.ts';

const MIN = 60_000;
/** An hour sampled each minute: `f(minute)` kB. */
const hour = (f: (m: number) => number) => Array.from({ length: 61 }, (_, m) => ({ t: m * MIN, v: f(m) }));
/** Judged from the 3rd minute on: the settling in before it is not (harness/soak/soak.ts SETTLE_IN_S). */
const FROM = 3 * MIN;

test('flatness: a steady series with a GC sawtooth is flat; a slow leak and a step up are growing', () => {
  const base = 90 * 1024;
  const sawtooth = trend(hour((m) => base + ((m * 7) % 5) * 2048), TOLERANCES.rssKb, FROM);   // ±10 MB, no trend
  assert.equal(sawtooth.flat, true, JSON.stringify(sawtooth));
  const warming = trend(hour((m) => (m < 3 ? 40 * 1024 + m * 16 * 1024 : base)), TOLERANCES.rssKb, FROM);   // the settling in is not judged
  assert.equal(warming.flat, true, JSON.stringify(warming));
  const leak = trend(hour((m) => base + m * 300), TOLERANCES.rssKb, FROM);   // 18 MB an hour on 90 MB
  assert.equal(leak.flat, false);
  assert.ok(Math.abs(leak.perHour - 300 * 60) < 1, `${leak.perHour} kB/h`);
  const step = trend(hour((m) => (m < 40 ? base : base + 30 * 1024)), TOLERANCES.rssKb, FROM);
  assert.equal(step.flat, false);
});

test('flatness: descriptors and the intermediate\'s entries may not creep by more than a couple', () => {
  assert.equal(trend(hour((m) => 24 + (m % 2)), TOLERANCES.fds, FROM).flat, true);
  assert.equal(trend(hour((m) => 24 + Math.floor(m / 10)), TOLERANCES.fds, FROM).flat, false);   // one more every 10 minutes
  assert.equal(trend(hour((m) => 16 + Math.floor(m / 20)), TOLERANCES.entries, FROM).flat, false);
  assert.equal(trend(hour(() => 16), TOLERANCES.entries, FROM).flat, true);
  assert.equal(trend([{ t: 0, v: 1 }, { t: FROM, v: 1 }, { t: FROM + 1, v: 1 }], TOLERANCES.fds, FROM).flat, null, 'two judged samples say nothing');
});

test('soak: a pass needs an ok run and every series judged flat — too few samples or none is no pass', () => {
  const series = (flat: boolean | null) => [{ role: 'mobile', quantity: 'rssKb' as const, trend: { ...trend(hour(() => 1), TOLERANCES.rssKb, FROM), flat } }];
  assert.equal(soakPasses('ok', series(true)), true);
  assert.equal(soakPasses('ok', series(false)), false);
  assert.equal(soakPasses('ok', series(null)), false, 'a series with too few judged samples shows nothing');
  assert.equal(soakPasses('ok', []), false, 'nothing sampled');
  assert.equal(soakPasses('failed', series(true)), false);
});

test('soak: the schedule alternates switches inside the duration; bad options are refused with what is wrong', () => {
  assert.equal(soakSchedule(120, 30), 'wifi-to-cellular@0,cellular-to-wifi@30,wifi-to-cellular@60,cellular-to-wifi@90');
  assert.equal(soakSchedule(3600, 30).split(',').length, 120);
  const spec = soakSpec({ ...SOAK_DEFAULTS, pairs: 2, minutes: 2 });
  assert.equal(spec.pairs, 2);
  assert.equal(spec.event.split(',').length, 10, 'switching through the 3 minutes settling in too');
  assert.throws(() => soakSpec({ ...SOAK_DEFAULTS, settleInS: 900 }), /--settle-in/);
  assert.throws(() => soakSpec({ ...SOAK_DEFAULTS, minutes: 61 }), /--minutes must be in \(0, 60\]/);
  assert.throws(() => soakSpec({ ...SOAK_DEFAULTS, minutes: 1, sampleEveryS: 30 }), /three samples/);
  assert.equal(sampleEvery(SOAK_DEFAULTS), 60);
  assert.equal(sampleEvery({ ...SOAK_DEFAULTS, minutes: 2 }), 10);
  assert.throws(() => soakSpec({ ...SOAK_DEFAULTS, switchEveryS: 1 }), /--switch-every/);
});

test('soak: role processes are told apart by their context file; every series of the samples is judged', () => {
  const dirs = ['/r/runs/x', '/r/runs/x/pair-2'];
  assert.equal(roleOf(['node', 'run-role.js', 'relay-repunch', 'mobile', '/r/runs/x/context.mobile.json'], dirs), 'mobile');
  assert.equal(roleOf(['node', 'run-role.js', 'relay-repunch', 'answerer', '/r/runs/x/pair-2/context.answerer.json'], dirs), 'answerer2');
  assert.equal(roleOf(['node', 'run-role.js', 'relay-repunch', 'mobile', '/r/runs/other/context.mobile.json'], dirs), null);
  const samples = Array.from({ length: 10 }, (_, i) => ({
    t: i * MIN, state: { connections: 4, sessions: 4, relays: 4 + i },
    procs: [{ role: 'intermediate', pid: 1, rssKb: 70 * 1024, fds: 20, procs: 1 }, { role: 'mobile', pid: 2, rssKb: 80 * 1024 + i * 4096, fds: 22, procs: 1 }],
  }));
  const verdicts = judge(samples, 0);
  assert.deepEqual(verdicts.map((v) => `${v.role} ${v.quantity} ${v.trend.flat}`), [
    'intermediate rssKb true', 'intermediate fds true', 'mobile rssKb false', 'mobile fds true',
    'intermediate connections true', 'intermediate sessions true', 'intermediate relays false',
  ]);
});
