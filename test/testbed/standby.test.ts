// standby: make-before-break under one QUIC connection. Asserts behaviour only (success, one
// handshake, a smaller gap than relay-repunch in the same configuration, recovery by liveness);
// the gap against its physical floor is a benchmark figure (docs/strategies.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, mergeLogs, runOnce, type RunSpec } from '../../harness/run.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'standby', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'cellular' },
  warmupS: 3.5, observeS: 4, ...over,
});

test('standby, wifi-to-cellular, port-restricted NATs, broadband + cellular: one connection, a smaller gap than relay-repunch', async () => {
  const r = await runOnce(spec({}), bench);
  const m = r.metrics;
  assert.equal(m.pre_event_concealed, 0, 'audio broke before the event');
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 1);
  const events = mergeLogs(r.dir);
  const e = events.find((x) => x.type === 'event.fired')!.t;
  assert.ok(events.some((x) => x.type === 'standby.switch' && x.role === 'answerer' && x.to === 'cellular' && x.t > e),
    'the answerer should have been told to switch to the cellular path');
  const baseline = await runOnce(spec({ strategy: 'relay-repunch' }), bench);
  assert.ok(m.gap_ms < baseline.metrics.gap_ms, `standby gap ${m.gap_ms} ms vs relay-repunch ${baseline.metrics.gap_ms} ms`);
});

test('standby --redundancy always: no concealed frame across wifi-to-cellular', async () => {
  const r = await runOnce(spec({ options: { redundancy: 'always' } }), bench);
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.handshakes, 1);
  assert.equal(r.metrics.concealed_ms, 0, `gap ${r.metrics.gap_ms} ms`);
});

for (const event of ['nat-rebind', 'blackout:2']) {
  test(`standby, ${event} on the Wi-Fi uplink: recovers through liveness alone`, async () => {
    const r = await runOnce(spec({ event }), bench);
    assert.equal(r.metrics.success, true);
    assert.equal(r.metrics.handshakes, 1);
    const detections = mergeLogs(r.dir).filter((x) => x.type === 'netchange.detected');
    assert.ok(detections.length > 0 && detections.every((x) => x.via === 'liveness'), JSON.stringify(detections));
  });
}

test('standby: a standby path the NAT times out is noticed and punched again', async () => {
  // mapping-timeout expires every mapping of the mobile's current (Wi-Fi) NAT: inbound packets are
  // dropped until the mobile sends again; the Wi-Fi path must be noticed (liveness or missing pongs),
  // punched again and come back up.
  const r = await runOnce(spec({ event: 'mapping-timeout', observeS: 5 }), bench);
  assert.equal(r.metrics.success, true);
  const events = mergeLogs(r.dir);
  const e = events.find((x) => x.type === 'event.fired')!.t;
  const wifi = events.filter((x) => x.type === 'standby.path' && x.path === 'wifi' && x.t > e).map((x) => x.state);
  assert.ok(wifi.length >= 2 && wifi[0] !== 'up' && wifi.includes('up'), `Wi-Fi path states after the event: ${JSON.stringify(wifi)}`);
});
