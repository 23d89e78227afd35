// seamless: standby's warm paths chosen by quality. Under a fading Wi-Fi it leaves Wi-Fi before the OS
// drops it and conceals less than standby on the same seed; under an Android-like handover it leaves
// the silent Wi-Fi before the OS moves the route; an instant Wi-Fi → cellular costs no audible gap;
// with no direct path (a symmetric answerer NAT) it steers the relay onto the uplink that still carries
// audio; its price is in extra_pct, from the run's counters, and within its default budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import type { RunMetrics } from '../../harness/metrics.ts';
import { assertCleanBeforeEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

// cellular without burst loss (as standby.test.ts): a burst after the move would decide what is concealed
const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'seamless', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'custom:delay=30,jitter=4' },
  warmupS: 3.5, ...over,
});

/** extra_pct is the run's own upkeep plus copies, and within seamless's default budget (10 % of the media). */
function assertWithinBudget(m: RunMetrics): void {
  const { keepalive_pct: k, dup_pct: d, extra_pct: x } = m;
  assert.ok(k !== null && d !== null && x !== null && Math.abs(x - (k + d)) < 0.02, `extra_pct ${x} = keepalive ${k} + copies ${d}`);
  assert.ok(x <= 10, `extra_pct ${x} over the default budget of 10 %`);
}

/** When the mobile's audio left Wi-Fi for cellular (its switch), and when the OS said so (netlink). */
function moves(dir: string): { eventAt: number; switchedAt: number | undefined; osAt: number | undefined; why: unknown } {
  const events = mergeLogs(dir);
  const eventAt = events.find((e) => e.type === 'event.fired')!.t;
  const sw = events.find((e) => e.type === 'standby.switch' && e.role === 'mobile' && e.to === 'cellular' && e.t > eventAt);
  const os = events.find((e) => e.type === 'netchange.detected' && e.role === 'mobile' && e.via === 'netlink' && e.t > eventAt);
  return { eventAt, switchedAt: sw?.t, osAt: os?.t, why: sw?.why };
}

test('seamless, wifi-fade:4: leaves Wi-Fi before the OS drops it, and conceals less than standby on the same seed', async () => {
  const r = await runJudged(spec({ event: 'wifi-fade:4', observeS: 7 }), bench);
  assertCleanBeforeEvent(r.metrics);
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.handshakes, 1);
  const m = moves(r.dir);
  assert.ok(m.switchedAt !== undefined && m.osAt !== undefined, 'a switch to cellular and the OS dropping Wi-Fi');
  assert.ok(m.switchedAt < m.osAt - 1000, `moved ${(m.switchedAt - m.eventAt).toFixed(0)} ms into the fade (${String(m.why)}), ` +
    `the OS dropped Wi-Fi at ${(m.osAt - m.eventAt).toFixed(0)} ms`);
  const standby = await runJudged(spec({ strategy: 'standby', event: 'wifi-fade:4', observeS: 7 }), bench);
  assert.ok(r.metrics.concealed_ms < standby.metrics.concealed_ms,
    `seamless concealed ${r.metrics.concealed_ms} ms, standby ${standby.metrics.concealed_ms} ms`);
  assertWithinBudget(r.metrics);
});

test('seamless, handover:2000: leaves the silent Wi-Fi before the OS moves the route', async () => {
  const r = await runJudged(spec({ event: 'handover:2000', observeS: 5 }), bench);
  assertCleanBeforeEvent(r.metrics);
  assert.equal(r.metrics.success, true);
  assertWithinBudget(r.metrics);
  const m = moves(r.dir);
  assert.ok(m.switchedAt !== undefined && m.switchedAt < m.eventAt + 2000,
    `moved at ${m.switchedAt === undefined ? 'never' : `${(m.switchedAt - m.eventAt).toFixed(0)} ms`} (${String(m.why)}), the route at 2000 ms`);
});

// The answerer re-sends what the change lost on cellular once the mobile's switch reaches it: inaudible
// when cellular's round trip leaves the first frame sent on the lost Wi-Fi playable (this link's
// ≈ 65 ms under the 80 ms jitter buffer; docs/strategies.md "seamless" gives the bound).
test('seamless, wifi-to-cellular: no audible gap, within the default budget; with budget=0 nothing is re-sent', async () => {
  const r = await runJudged(spec({ event: 'wifi-to-cellular', observeS: 4 }), bench);
  assertCleanBeforeEvent(r.metrics);
  assert.equal(r.metrics.success, true);
  assert.equal(r.metrics.audible_ms, 0, `gap ${r.metrics.gap_ms} ms, concealed ${r.metrics.concealed_ms} ms`);
  assert.ok(r.metrics.dup_bytes > 0, 'the answerer re-sent what the change lost');
  assertWithinBudget(r.metrics);
  const none = await runJudged(spec({ event: 'wifi-to-cellular', observeS: 4, options: { budget: '0' } }), bench);
  assert.equal(none.metrics.success, true);
  assert.equal(none.metrics.dup_bytes, 0, 'a budget of 0 leaves nothing for re-sends or copies');
});

// A symmetric answerer NAT leaves no direct path: the audio goes through the relay, which seamless steers
// onto the uplink whose audio still flows (docs/strategies.md "seamless": "The relay, steered").
test('seamless, symmetric answerer NAT, blackout:2 on Wi-Fi: the relay moves to cellular, far within the blackout', async () => {
  const r = await runJudged(spec({ event: 'blackout:2', observeS: 5, nat: { answerer: 'symmetric', wifi: 'port-restricted', cellular: 'port-restricted' } }), bench);
  assertCleanBeforeEvent(r.metrics);
  assert.equal(r.metrics.success, true);
  const events = mergeLogs(r.dir);
  const eventAt = events.find((e) => e.type === 'event.fired')!.t;
  const moved = events.find((e) => e.type === 'standby.relay' && e.via === 'cellular' && e.t > eventAt);
  assert.ok(moved, 'the relay was steered onto cellular');
  assert.ok(r.metrics.gap_ms! < 1000, `gap ${r.metrics.gap_ms} ms in a 2 s blackout`);
});
