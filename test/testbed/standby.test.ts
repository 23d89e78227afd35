// standby: make-before-break under one QUIC connection. Asserts behaviour only (success, one
// handshake, a smaller gap than relay-repunch in the same configuration, recovery by liveness);
// the gap against its physical floor is a benchmark figure (docs/strategies.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, assertUndisturbed, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

// The cellular preset without its burst loss: a random burst after the switch would decide the
// gap and the concealment asserted below. The benchmark (harness/configs/standby.json) keeps it.
const CELLULAR_NO_LOSS = 'custom:delay=30,jitter=4';
const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'standby', links: { answerer: 'broadband', wifi: 'broadband', cellular: CELLULAR_NO_LOSS },
  warmupS: 3.5, observeS: 4, ...over,
});

test('standby, wifi-to-cellular, port-restricted NATs, broadband + cellular: one connection, a smaller gap than relay-repunch', async () => {
  const r = await runJudged(spec({}), bench);
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 1);
  const events = mergeLogs(r.dir);
  const e = events.find((x) => x.type === 'event.fired')!.t;
  assert.ok(events.some((x) => x.type === 'standby.switch' && x.role === 'answerer' && x.to === 'cellular' && x.t > e),
    'the answerer should have been told to switch to the cellular path');
  const baseline = await runJudged(spec({ strategy: 'relay-repunch' }), bench);
  assert.ok(m.gap_ms < baseline.metrics.gap_ms, `standby gap ${m.gap_ms} ms vs relay-repunch ${baseline.metrics.gap_ms} ms`);
});

test('standby --redundancy always: no concealed frame across wifi-to-cellular', async () => {
  const r = await runJudged(spec({ options: { redundancy: 'always' } }), bench);
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.handshakes, 1);
  assertUndisturbed(r.metrics, 'redundant audio across the switch');
});

test('standby --redundancy suspect: the answerer copies onto the cellular path once frames stop on Wi-Fi', async () => {
  const r = await runJudged(spec({ event: 'blackout:2', options: { redundancy: 'suspect' } }), bench);
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.handshakes, 1);
  const events = mergeLogs(r.dir);
  const e = events.find((x) => x.type === 'event.fired')!.t;
  assert.ok(events.some((x) => x.type === 'standby.suspect' && x.role === 'answerer' && x.copyOn === 'cellular' && x.t > e),
    'the answerer should have copied onto the cellular path');
  assert.ok(r.metrics.dup_bytes > 0);
});

for (const event of ['nat-rebind', 'blackout:2']) {
  test(`standby, ${event} on the Wi-Fi uplink: recovers through liveness alone`, async () => {
    const r = await runJudged(spec({ event }), bench);
    assert.equal(r.metrics.success, true);
    assert.equal(r.metrics.handshakes, 1);
    const detections = mergeLogs(r.dir).filter((x) => x.type === 'netchange.detected');
    assert.ok(detections.length > 0 && detections.every((x) => x.via === 'liveness'), JSON.stringify(detections));
  });
}

test('standby: a standby path whose NAT mapping goes away is noticed and punched again', async () => {
  // nat-rebind@cellular moves the mapping of the *standby* (cellular) path to a new port while the
  // audio stays on Wi-Fi: the answerer's port-restricted NAT drops pings from the unknown port, so
  // the pongs stop; the mobile must notice (DEAD_MS), learn its new reflexive address, and both
  // sides punch again until the cellular path is up — with no gap in the audio.
  const r = await runJudged(spec({ event: 'nat-rebind@cellular', observeS: 5 }), bench);
  assert.equal(r.metrics.success, true);
  assertUndisturbed(r.metrics, 'the primary (Wi-Fi) path');
  const events = mergeLogs(r.dir);
  const e = events.find((x) => x.type === 'event.fired')!.t;
  const cell = events.filter((x) => x.type === 'standby.path' && x.path === 'cellular' && x.t > e).map((x) => x.state);
  assert.deepEqual(cell, ['down', 'up'], 'cellular path states after the event');
  assert.ok(events.some((x) => x.type === 'standby.reflexive' && x.path === 'cellular' && x.t > e), 'a new reflexive address should have been learned');
});
