// The WebRTC strategies with a real coturn. ice-restart: a new PeerConnection after the change, its
// candidate pair visibly moving to the new uplink, and TURN where the NAT pair cannot punch;
// ice-restart-werift: a real ICE restart that keeps DTLS and the data channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, runId, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'ice-restart', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
  warmupS: 3.5, observeS: 5, ...over,
});
const pairs = (events: ReturnType<typeof mergeLogs>) =>
  events.filter((e) => e.role === 'mobile' && e.type === 'ice.pair').map((e) => ({ gen: e.gen as number, local: e.local as string, path: e.path }));

test('ice-restart, port-restricted NATs, wifi-to-cellular: a new PeerConnection on a new candidate pair', async () => {
  const r = await runJudged(spec({}), bench);
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 2, 'one PeerConnection before the change, one after');
  const events = mergeLogs(r.dir);
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    assert.ok(events.some((e) => e.role === role && e.type === 'role.stop'), `${role} did not stop cleanly`);
    assert.equal(events.find((e) => e.type === 'role.exit' && e.of === role)?.code, 0, `${role} exit status`);
  }
  const p = pairs(events);
  const before = p.find((x) => x.gen === 0), after = p.find((x) => x.gen === 1);
  assert.ok(before && after, JSON.stringify(p));
  // direct or through TURN, whichever libjuice nominates first: either way a new local candidate
  assert.notEqual(before.local.split(':')[0], after.local.split(':')[0], 'the selected pair should leave from the new uplink');
});

/** The mobile's process stopped working: it never logged its stop (its loop.delay ends too), so
 *  the harness killed it. Seen 1 in 15 runs between symmetric NATs: its log ends with its ICE
 *  state 'connected', after which the strategy reads the selected pair from node-datachannel. */
const mobileHung = (events: ReturnType<typeof mergeLogs>) => !events.some((e) => e.role === 'mobile' && e.type === 'role.stop');

test('ice-restart, symmetric NATs: TURN carries the audio', async () => {
  // the bench's whole window (8 s): now and then a PeerConnection through TURN connects and its
  // channel never opens; the mobile gives it up after OPEN_TIMEOUT_MS (5 s) and offers a new one
  // (docs/strategies.md, "ice-restart"), which a 5 s window would cut off
  // (before the first audio too: so the start may take that 5 s more than the default 10 s allow)
  const sym = spec({ nat: { answerer: 'symmetric', wifi: 'symmetric', cellular: 'symmetric' }, observeS: DEFAULT_SPEC.observeS, startS: 20 });
  // The hang can come before the first audio too: then the run fails to start (seen in CI at session 13)
  const attempt = async () => {
    try {
      const r = await runJudged(sym, bench);
      return !r.metrics.success && mobileHung(mergeLogs(r.dir)) ? null : r;
    } catch (e) {
      if (/no 'audio' after/.test(String(e)) && mobileHung(mergeLogs(path.join(bench, 'runs', runId(sym))))) return null;
      throw e;
    }
  };
  let r = await attempt();
  if (!r) {
    console.log(`${runId(sym)}: the mobile's process stopped right after its ICE connected (a hang inside node-datachannel, docs/strategies.md "ice-restart"); made once more`);
    r = await runJudged(sym, bench);
  }
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.direct_ms, null);
  assert.ok(r.metrics.relay_bytes > 0, 'coturn relayed nothing');
  const events = mergeLogs(r.dir);
  const p = pairs(events);
  assert.ok(p.length > 0 && p.every((x) => x.path === 'relay'), `every selected pair should use a relay candidate: ${JSON.stringify(p)}`);
});

test('ice-restart-werift, port-restricted NATs, wifi-to-cellular: a real ICE restart, one DTLS handshake', async () => {
  const r = await runJudged(spec({ strategy: 'ice-restart-werift' }), bench);
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 1, 'the restart must keep the PeerConnection and its data channel');
  const events = mergeLogs(r.dir);
  assert.ok(events.some((e) => e.type === 'ice.restart' && e.gen === 1), 'no ICE restart');
  assert.ok(pairs(events).some((x) => x.gen === 1), `no pair selected after the restart: ${JSON.stringify(pairs(events))}`);
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    assert.equal(events.find((e) => e.type === 'role.exit' && e.of === role)?.code, 0, `${role} exit status`);
  }
});
