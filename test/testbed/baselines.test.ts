// The compared strategies that need no outside service: each streams unbroken audio before the
// event, leaves a complete log, and behaves as its design says after wifi-to-cellular.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { KEEPALIVE_INTERVAL_MS } from '../../strategies/shared/quic.ts';
import { assertCleanBeforeEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

async function run(strategy: string, nat: string, observeS = 4, options: Record<string, string> = {}) {
  const spec: RunSpec = {
    ...DEFAULT_SPEC, strategy, nat: { answerer: nat, wifi: 'port-restricted', cellular: 'port-restricted' },
    links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' }, warmupS: 3.5, observeS, options,
  };
  const r = await runJudged(spec, bench);
  const events = mergeLogs(r.dir);
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    assert.ok(events.some((e) => e.role === role && e.type === 'role.start'), `${strategy}: no role.start from ${role}`);
    assert.ok(events.some((e) => e.role === role && e.type === 'role.stop'), `${strategy}: ${role} did not stop cleanly`);
  }
  assertCleanBeforeEvent(r.metrics, `${strategy}: audio broke before the event`);
  return { m: r.metrics, events };
}

test('reconnect: recovers over a new connection, with a gap nothing bridged', async () => {
  const { m } = await run('reconnect', 'port-restricted');
  assert.equal(m.success, true);
  assert.equal(m.relay_bytes, 0);
  assert.equal(m.handshakes, 2);
  assert.ok(m.direct_ms !== null);
});

test('relay-only: never direct, recovers on the relay', async () => {
  const { m, events } = await run('relay-only', 'port-restricted');
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 0);
  assert.equal(m.direct_ms, null);
  assert.ok(events.filter((e) => e.type === 'audio.recv').every((e) => e.path === 'relay'));
});

const KEEPALIVE_MS = KEEPALIVE_INTERVAL_MS;
const mobileNetlink = (events: ReturnType<typeof mergeLogs>) =>
  events.filter((e) => e.role === 'mobile' && e.type === 'netchange.detected' && e.via === 'netlink');

test('quic-migration, full-cone answerer: the same connection follows the mobile without waiting for the keepalive (nudge)', async () => {
  const { m, events } = await run('quic-migration', 'full-cone');
  console.log(`quic-migration nudge=on, full-cone, wifi-to-cellular: recovery_ms ${m.recovery_ms}, gap_ms ${m.gap_ms}, detect_ms ${m.detect_ms} (keepalive ${KEEPALIVE_MS} ms)`);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 1, 'passive migration, no new connection');
  assert.equal(m.signal_msgs, 0, 'nothing signalled');
  assert.equal(mobileNetlink(events).length, 1, 'one netlink detection on the mobile');
  assert.ok(m.recovery_ms! < KEEPALIVE_MS, `recovery ${m.recovery_ms} ms: waited for the keepalive`);
});

test('quic-migration nudge=off: the keepalive-bound baseline still follows the mobile', async () => {
  const { m, events } = await run('quic-migration', 'full-cone', 4, { nudge: 'off' });
  console.log(`quic-migration nudge=off, full-cone, wifi-to-cellular: recovery_ms ${m.recovery_ms}, gap_ms ${m.gap_ms}`);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 1);
  assert.equal(mobileNetlink(events).length, 0, 'nothing detected: plain QUIC');
});

test('quic-migration, port-restricted answerer: black hole until the idle timeout, then a new connection', async () => {
  const { m } = await run('quic-migration', 'port-restricted', 7.5);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 2);
  assert.ok(m.gap_ms > 4000, `gap ${m.gap_ms} ms: the answerer's NAT should have black-holed the new address until the idle timeout`);
});
