// Faults during a run (issue 6): the intermediate killed while the peers are direct and while they
// relay, a lossy cellular uplink, ten network switches in a row, a NAT mapping timing out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { sleep, assertUndisturbed, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
  warmupS: 3.5, observeS: 4, ...over,
});

test('the intermediate killed while the peers are direct: audio unaffected; both peers notice and reconnect when it is back', async () => {
  // killed, back 2 s later; the peers notice by the control connection's 5 s idle timeout
  const r = await runJudged(spec({ event: 'intermediate-down:2', observeS: 8 }), bench);
  assertUndisturbed(r.metrics, 'audio with the intermediate down');
  const events = mergeLogs(r.dir);
  // audio starts on the relay while the peers punch; from the kill on it must stay direct
  const killed = events.find((x) => x.type === 'event.fired')!.t;
  const relayed = events.filter((x) => x.type === 'audio.recv' && x.t >= killed && x.path !== 'direct');
  assert.equal(relayed.length, 0, `the audio should have stayed direct: ${relayed.length} frames came another way`);
  for (const role of ['answerer', 'mobile']) {
    const mine = events.filter((x) => x.role === role).map((x) => x.type);
    assert.ok(mine.includes('control.lost') && mine.indexOf('control.restored') > mine.indexOf('control.lost'), `${role}: ${mine.filter((t) => t.startsWith('control')).join(', ')}`);
  }
  assert.ok(events.some((x) => x.type === 'event.restored' && x.name === 'intermediate-down:2'));
});

for (const strategy of ['relay-repunch', 'overlay']) test(`the intermediate killed while it relays (${strategy}): the peers notice within 1.5 s, and the audio comes back through it when it returns`, async () => {
  // A symmetric answerer NAT cannot be punched from a port-restricted one: the audio lives on the
  // relay (overlay: its one connection too, which idles out and is dialled again).
  const r = await runJudged(spec({ strategy, event: 'intermediate-down:2', observeS: 10, nat: { answerer: 'symmetric', wifi: 'port-restricted', cellular: 'port-restricted' } }), bench);
  const m = r.metrics;
  assert.equal(m.success, true, 'the relayed audio should come back');
  assert.ok(m.gap_ms >= 2000, `the relay was gone for 2 s at least, gap ${m.gap_ms} ms`);
  const events = mergeLogs(r.dir);
  // both peers use the relay: its silence tells them within 1.5 s of the kill (strategies/shared/relay-end.ts),
  // long before QUIC's 5 s idle timeout would, and they redial at once
  const killed = events.find((x) => x.type === 'event.fired')!.t;
  for (const role of ['answerer', 'mobile']) {
    const noticed = events.find((x) => x.role === role && x.type === 'control.unreachable');
    assert.ok(noticed && noticed.t - killed <= 1500, `${role}: the dead intermediate noticed ${noticed ? `${(noticed.t - killed).toFixed(0)} ms` : 'never'} after the kill`);
  }
  const restored = events.find((x) => x.role === 'answerer' && x.type === 'control.restored');
  assert.ok(restored && restored.t > killed, 'the answerer should report the reconnection');
  const resumed = events.find((x) => x.type === 'audio.recv' && x.t > restored.t);
  assert.ok(resumed?.path === 'relay', 'audio should resume through the relay');
  if (strategy === 'overlay') assert.equal(m.handshakes, 1, 'its one connection should outlive the outage');
});

for (const loss of [5, 20]) {
  test(`wifi-to-cellular onto a cellular uplink with ${loss} % loss: relay-repunch still gets direct again and delivers what the link lets through`, async () => {
    // Not `success`: at 20 % loss the longest random loss burst may come late in the window, with
    // no 10 clean frames after it — that is the link, not the strategy.
    const r = await runJudged(spec({ links: { answerer: 'broadband', wifi: 'broadband', cellular: `custom:delay=30,loss=${loss}` }, observeS: 8 }), bench);
    const m = r.metrics;
    assert.ok(m.direct_ms !== null, 'the direct path never came back');
    assert.ok(m.frames_on_time / m.frames_sent >= 1 - loss / 100 - 0.15, `${m.frames_on_time} of ${m.frames_sent} frames on time`);
    assert.deepEqual(mergeLogs(r.dir).filter((e) => e.type === 'role.exit').map((e) => e.code), [0, 0, 0]);
  });
}

/** Ten switches, alternating Wi-Fi -> cellular and back, 1.5 s apart: a schedule, as in harness/configs/ten-switches.json. */
const TEN = Array.from({ length: 10 }, (_, i) => `${i % 2 === 0 ? 'wifi-to-cellular' : 'cellular-to-wifi'}@${i * 1.5}`).join(',');

test('ten network switches in a row: quic-migration keeps its one connection (path table never runs out)', async () => {
  const r = await runJudged(spec({ strategy: 'quic-migration', nat: { answerer: 'full-cone', wifi: 'port-restricted', cellular: 'port-restricted' }, audio: 'both', event: TEN, observeS: 5.5 }), bench);
  assert.equal(r.meta.status, 'ok', `${r.meta.error}`);   // every switch happened (scenario checks)
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.handshakes, 1, 'a reconnect means the migration failed');
  const fired = mergeLogs(r.dir).filter((x) => x.type === 'event.fired');
  assert.equal(fired.length, 10);
  assert.equal((r.meta.perEvent as unknown[]).length, 10);
});

test('ten network switches in a row: relay-repunch ends direct on Wi-Fi after every one', async () => {
  const r = await runJudged(spec({ event: TEN, observeS: 5.5 }), bench);
  assert.equal(r.meta.status, 'ok', `${r.meta.error}`);
  assert.equal(r.metrics.success, true);
  const events = mergeLogs(r.dir);
  const last = events.filter((x) => x.type === 'event.fired').at(-1)!;
  const tail = events.filter((x) => x.type === 'audio.recv' && x.t > last.t + 2000);
  assert.ok(tail.length > 50 && tail.every((x) => x.path === 'direct'), 'audio should be direct again after the last switch');
  console.log(`relay-repunch, concealed ms after each switch: ${(r.meta.perEvent as { concealed_ms: number }[]).map((e) => e.concealed_ms).join('/')}`);
});

test('the NAT mapping times out mid-stream: relay-repunch and standby recover', async () => {
  for (const strategy of ['relay-repunch', 'standby']) {
    const r = await runJudged(spec({ strategy, event: 'mapping-timeout' }), bench);
    assert.equal(r.metrics.success, true, strategy);
  }
});
