import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, expand, loadConfig, validateConfig, withCodec } from '../../harness/config.ts';
import { CSV_COLUMNS, csvRow } from '../../harness/records.ts';
import { runId, DEFAULT_SPEC, DEFAULT_START_S, checkEvent, validateSpec } from '../../harness/spec.ts';

test('a bad config reports every bad field by name', async () => {
  const err = await validateConfig({
    name: 'has space', strategies: ['relay-repunch', 'teleport', { name: 'standby', options: { redundancy: 'often' } }], nat: ['port-restricted', 'cone', { wifi: 'symmetric', moon: 'x' }],
    links: ['dialup'], events: ['wifi-to-cellular', 'earthquake'], reps: 0, parallel: 99, colour: 'red',
  }).then(() => null, (e) => e);
  assert.ok(err instanceof ConfigError);
  const text = err.problems.join('\n');
  for (const field of ['name:', 'strategies[1]:', 'strategies[2].options.redundancy:', 'nat[1]:', 'nat[2].moon:', 'links[0]:', 'events[1]:', 'reps:', 'parallel:', 'colour:']) {
    assert.ok(text.includes(field), `no problem reported for ${field}\n${text}`);
  }
  assert.match(text, /unknown strategy 'teleport'/);
  assert.match(text, /'often' is not one of off, always, suspect/);
  assert.equal(err.problems.length, 10);
});

test('config files: unreadable or not JSON is a ConfigError naming the file', async () => {
  await assert.rejects(loadConfig('/nonexistent/x.json'), (e: Error) => e instanceof ConfigError && /x\.json: 1 problem/.test(e.message));
});

test('the default and smoke configs are valid; expansion is the full product with stable ids', async () => {
  const smoke = await loadConfig('harness/configs/smoke.json');
  const runs = expand(smoke);
  assert.equal(runs.length, 1 * 2 * 1 * 1 * 2);
  assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);
  assert.deepEqual(expand(smoke).map((r) => r.id), runs.map((r) => r.id), 'ids must not depend on anything but the parameters');
  const def = await loadConfig('harness/configs/default.json');
  assert.equal(expand(def).length % (4 * 3 * 5), 0);
  assert.ok(!expand(def).some((r) => r.spec.strategy === 'chromium'), 'the default matrix leaves the browsers out');
});

test('except: with "all", the strategies named are left out; an unknown name or a list of strategies is refused', async () => {
  const base = { name: 'x', nat: ['port-restricted'], events: ['wifi-to-cellular'], reps: 1 };
  const some = expand(await validateConfig({ ...base, strategies: 'all', except: ['chromium', 'nebula'] }));
  const all = expand(await validateConfig({ ...base, strategies: 'all' }));
  assert.equal(some.length, all.length - 2);
  assert.ok(!some.some((r) => ['chromium', 'nebula'].includes(r.spec.strategy)));
  await assert.rejects(validateConfig({ ...base, strategies: 'all', except: ['teleport'] }), /except: a list of registered strategies/);
  await assert.rejects(validateConfig({ ...base, strategies: ['standby'], except: ['nebula'] }), /except: only with "strategies": "all"/);
});

test('startS: the default leaves run ids as they were; another value is in the spec; out of range is refused', async () => {
  const base = { name: 'x', strategies: ['relay-only'], reps: 1 };
  const [plain] = expand(await validateConfig(base));
  assert.equal(plain!.spec.startS, undefined, 'the default must not change run ids');
  const [slow] = expand(await validateConfig({ ...base, startS: 30 }));
  assert.equal(slow!.spec.startS, 30);
  assert.notEqual(slow!.id, plain!.id);
  assert.equal(expand(await validateConfig({ ...base, startS: DEFAULT_START_S }))[0]!.id, plain!.id);
  await assert.rejects(validateConfig({ ...base, startS: 0 }), /startS: a number from 1 to 300/);
  await assert.rejects(validateSpec({ ...DEFAULT_SPEC, strategy: 'relay-only', startS: 0.5 }), /startS: a number from 1 to 300/);
});

test('runId depends on parameters, not on key order or object identity', () => {
  const a = { ...DEFAULT_SPEC, strategy: 'relay-repunch' };
  const b = { strategy: 'relay-repunch', ...DEFAULT_SPEC, nat: { cellular: 'port-restricted', wifi: 'port-restricted', answerer: 'port-restricted' } };
  assert.equal(runId(a), runId(b));
  assert.notEqual(runId(a), runId({ ...a, rep: 1 }));
  assert.notEqual(runId(a), runId({ ...a, options: { livenessMs: '100' } }));
});

test('a CSV row has one value per column, also for a failed run', () => {
  const spec = { ...DEFAULT_SPEC, strategy: 'relay-repunch' };
  assert.equal(csvRow({ id: 'x', label: 'x', spec, status: 'failed', error: 'deadline' }).length, CSV_COLUMNS.length);
});

test('events: nat-rebind, mapping-timeout and blackout may target an uplink with @; nothing else may', () => {
  for (const ok of ['wifi-to-cellular', 'none', 'blackout:2', 'nat-rebind@cellular', 'mapping-timeout@wifi', 'blackout:0.5@cellular']) checkEvent(ok);
  for (const [bad, why] of [['earthquake', /unknown event 'earthquake'/], ['wifi-to-cellular@cellular', /only nat-rebind/],
    ['nat-rebind@lte', /only nat-rebind/], ['nat-rebind@wifi@wifi', /only nat-rebind/], ['blackout:x@wifi', /unknown event/]] as const) {
    assert.throws(() => checkEvent(bad), why, bad);
  }
});

test('strategy options: unknown names, values outside the list and non-numbers are refused before anything is built', async () => {
  const spec = (strategy: string, options: Record<string, string>) => ({ ...DEFAULT_SPEC, strategy, options });
  await validateSpec(spec('standby', { redundancy: 'suspect' }));
  await validateSpec(spec('relay-repunch', { livenessMs: '90' }));
  await assert.rejects(validateSpec(spec('standby', { redundancy: 'sometimes' })), /option redundancy of standby: 'sometimes' is not one of off, always, suspect/);
  await assert.rejects(validateSpec(spec('relay-repunch', { livenessMs: 'soon' })), /option livenessMs of relay-repunch: 'soon' is not a non-negative number/);
  await assert.rejects(validateSpec(spec('relay-repunch', { livenessMs: '' })), /not a non-negative number/);
  await assert.rejects(validateSpec(spec('relay-repunch', { foo: '1' })), /has no option 'foo' \(livenessMs, detect, settleMs, media, family\)/);
  await assert.rejects(validateSpec(spec('relay-repunch', { detect: 'psychic' })), /'psychic' is not one of netlink, probe/);
  await assert.rejects(validateSpec(spec('nope', {})), /unknown strategy 'nope'/);
});

test('a schedule in a config is one run whose event is the schedule; ten-switches.json is valid', async () => {
  const c = await validateConfig({ name: 's', strategies: ['relay-repunch'], events: [['wifi-to-cellular@0', 'cellular-to-wifi@1.5']], reps: 1 });
  const [run] = expand(c);
  assert.equal(run!.spec.event, 'wifi-to-cellular@0,cellular-to-wifi@1.5');
  const bad = await validateConfig({ name: 's', events: [['wifi-to-cellular@0', 'wifi-to-cellular@1']], reps: 1 }).then(() => null, (e) => e);
  assert.ok(bad instanceof ConfigError && /events\[0\]: .*change nothing/.test(bad.message), String(bad));
  const ten = expand(await loadConfig('harness/configs/ten-switches.json'));
  assert.equal(ten.length, 4);
  assert.ok(ten.every((r) => r.spec.event.split(',').length === 10));
});

test('codec and playout: Opus by default, "pcm" and settings accepted, nonsense refused; flags the same', async () => {
  const { specFromFlags } = await import('../../harness/cli/flags.ts');
  const base = { name: 'x', strategies: ['relay-only'], reps: 1 };
  const [opus] = expand(await validateConfig(base));
  assert.deepEqual(opus!.spec.codec, { name: 'opus', bitrateKbps: 24, fec: true, lossPct: 10 });
  assert.equal(opus!.spec.playout, undefined, 'fixed playout leaves ids as they were');
  const [pcm] = expand(await validateConfig({ ...base, codec: 'pcm' }));
  assert.deepEqual(pcm!.spec.codec, { name: 'pcm' });
  assert.notEqual(pcm!.id, opus!.id);
  assert.equal(expand(await validateConfig({ ...base, playout: 'adaptive' }))[0]!.spec.playout, 'adaptive');
  const err = await validateConfig({ ...base, codec: { name: 'opus', bitrateKbps: 1000, fec: 'yes', lossPct: 10 }, playout: 'elastic' }).then(() => null, (e) => e);
  assert.ok(err instanceof ConfigError);
  assert.match(err.problems.join('\n'), /codec: .*bitrateKbps: a number from 6 to 510/);
  assert.match(err.problems.join('\n'), /playout: 'fixed' or 'adaptive'/);
  const flags = { strategy: 'relay-only' };
  assert.deepEqual(specFromFlags(flags).codec, opus!.spec.codec);
  assert.deepEqual(specFromFlags({ ...flags, codec: 'opus', 'opus-bitrate': '32', 'opus-fec': 'off' }).codec, { name: 'opus', bitrateKbps: 32, fec: false, lossPct: 10 });
  assert.throws(() => specFromFlags({ ...flags, codec: 'pcm', 'opus-fec': 'on' }), /--opus-fec needs --codec opus/);
  assert.throws(() => specFromFlags({ ...flags, codec: 'mp3' }), /--codec must be opus or pcm/);
  await assert.rejects(validateSpec({ ...DEFAULT_SPEC, strategy: 'relay-only', codec: { name: 'opus', bitrateKbps: 24, fec: true, lossPct: 200 } }), /lossPct/);
});

test('bench --codec: the same matrix with another codec, as its own bench, the codec in every spec', async () => {
  const c = await validateConfig({ name: 'x', strategies: ['relay-only'], reps: 2 });
  const pcm = withCodec(c, 'pcm');
  assert.equal(pcm.name, 'x-pcm');
  assert.deepEqual(expand(pcm).map((r) => r.spec.codec), [{ name: 'pcm' }, { name: 'pcm' }]);
  assert.deepEqual(expand(withCodec(c, 'opus')).map((r) => r.id), expand(c).map((r) => r.id), 'opus is the default: the same runs');
  assert.throws(() => withCodec(c, 'flac'), /--codec must be opus or pcm/);
});
