import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEvent } from '../../core/events.ts';
import { computeMetrics, type RunMetrics } from '../../harness/metrics.ts';
import { ATTEMPT_MS, settleFrom, unsettled } from '../../harness/run/settle.ts';
import { build, E, ev } from './synthetic.ts';

const SETTLE = { settleMs: 2000, jitterBufferMs: 80, observeFrom: E };
const MAX_MS = 8000;

/** Where a live run would stop: the first 100 ms poll at which the events logged so far are settled. */
function stopTime(events: LogEvent[]): number | null {
  for (let now = E; now <= E + MAX_MS; now += 100) {
    if (unsettled(events.filter((e) => e.t <= now), now, SETTLE) === null) return now;
  }
  return null;
}

/** The metrics that describe the outcome, not the window's length (docs/bench.md, "Early stop"). */
const OUTCOME: (keyof RunMetrics)[] = ['gap_ms', 'concealed_ms', 'recovery_ms', 'direct_ms', 'switch_ms', 'detect_ms', 'base_delay_ms',
  'added_delay_ms', 'handshakes', 'signal_msgs', 'success', 'frames_late', 'frames_lost', 'frames_unsent', 'pre_event_concealed'];
const outcome = (m: RunMetrics) => Object.fromEntries(OUTCOME.map((k) => [k, m[k]]));

/** Scored to the full window and to the stop: the outcome metrics must be equal. */
function assertSameOutcome(events: LogEvent[], stop: number): void {
  const full = computeMetrics(events, { observeEndMs: E + MAX_MS });
  const early = computeMetrics(events.filter((e) => e.t <= stop), { observeEndMs: stop });
  assert.deepEqual(outcome(early), outcome(full));
  assert.ok(full.frames_sent > early.frames_sent, 'the early window is shorter');
}

// A relay-repunch-like run: 500 ms lost after E, relay from frame 520, direct again from 560.
const activity = [
  ev(E + 5, 'mobile', 'netchange.detected', { via: 'netlink' }), ev(E + 10, 'mobile', 'signal.sent', { kind: 'address-change' }),
  ev(E + 20, 'answerer', 'path', { state: 'relay' }), ev(E + 30, 'mobile', 'punch.start', { remote: 'x' }),
  ev(E + 700, 'mobile', 'punch.ok', { remote: 'x' }), ev(E + 710, 'mobile', 'handshake.start', { remote: 'x', with: 'peer' }),
  ev(E + 1200, 'mobile', 'handshake.ok', { remote: 'x', with: 'peer' }), ev(E + 1210, 'answerer', 'path', { state: 'direct' }),
];
const bridged = build({
  extra: activity,
  plan: (n) => (n >= 500 && n < 520 ? null : n >= 520 && n < 560 ? { delay: 45, path: 'relay' } : undefined),
});

test('settle: a recovered run stops once its path and every role have been quiet for the settle time, with the same outcome', () => {
  const stop = stopTime(bridged);
  assert.ok(stop !== null, 'it settles');
  // the last activity (path → direct at E + 1210) and the last relayed frame's deadline bound it from below
  assert.ok(stop >= E + 1210 + SETTLE.settleMs, `stopped at E + ${stop - E}`);
  assert.ok(stop <= E + 1210 + SETTLE.settleMs + 200, `stopped at E + ${stop - E}, long after it settled`);
  assertSameOutcome(bridged, stop);
});

test('settle: a run whose frames are still concealed, or on two paths, is not settled', () => {
  const late = build({ plan: (n) => (n >= 500 ? { delay: 300 } : undefined) });
  assert.equal(stopTime(late), null);
  assert.match(unsettled(late, E + 5000, SETTLE)!, /concealment/);
  const twoPaths = build({ plan: (n) => (n >= 500 ? { delay: 30, path: n % 2 ? 'relay' : 'direct' } : undefined) });
  assert.match(unsettled(twoPaths, E + 5000, SETTLE)!, /more than one path/);
});

test('settle: a punch with no outcome logged keeps the run going until the attempt times out', () => {
  // on the relay, punching, nothing heard back: a punch that succeeded later would change direct_ms
  const punching = build({
    extra: [ev(E + 5, 'mobile', 'netchange.detected', { via: 'netlink' }), ev(E + 30, 'mobile', 'punch.start', { remote: 'x' })],
    plan: (n) => (n >= 495 ? { delay: 45, path: 'relay' } : undefined),
  });
  assert.match(unsettled(punching.filter((e) => e.t <= E + 4000), E + 4000, SETTLE)!, /punch.start under way/);
  const stop = stopTime(punching);
  assert.ok(stop !== null && stop >= E + 30 + ATTEMPT_MS, `stopped at E + ${stop === null ? null : stop - E}`);
  assertSameOutcome(punching, stop);
  // a strategy's own `*.failed` ends the attempt (the failure itself is activity: 2 s more)
  const failed = [...punching, ev(E + 1000, 'mobile', 'repunch.failed', { message: 'punch: no result' })].sort((a, b) => a.t - b.t);
  const afterFailure = stopTime(failed);
  assert.ok(afterFailure !== null && afterFailure >= E + 3000 && afterFailure < E + 30 + ATTEMPT_MS, `stopped at E + ${afterFailure === null ? null : afterFailure - E}`);
});

test('settle: nothing settles before observation began, nor without enough judged frames', () => {
  assert.match(unsettled(bridged, E + 1000, { ...SETTLE, observeFrom: E }) ?? '', /less than the settle time/);
  const silent = build({ plan: (n) => (n >= 495 ? null : undefined) });
  assert.notEqual(unsettled(silent, E + 5000, SETTLE), null);
  const stopped = build({ frames: 600 });   // the sender stopped logging: its schedule's frames count as lost
  assert.notEqual(unsettled(stopped, E + 5000, SETTLE), null);
});

test('settle: any event but bookkeeping, a strategy\'s own type too, restarts the quiet spell', () => {
  const undisturbed = build({ extra: [ev(E + 1500, 'mobile', 'standby.switch', { to: 'cellular' }), ev(E + 1600, 'intermediate', 'relay.bytes', { bytes: 1, packets: 1 })] });
  const stop = stopTime(undisturbed);
  assert.ok(stop !== null && stop >= E + 1500 + SETTLE.settleMs && stop <= E + 1500 + SETTLE.settleMs + 100, `stopped at E + ${stop === null ? null : stop - E}`);
  assertSameOutcome(undisturbed, stop);
});

test('settle: an event with a duration is part of the scenario, so nothing settles before it has passed', () => {
  assert.equal(settleFrom(E + 10, [{ name: 'wifi-to-cellular', t: E }]), E + 10);
  assert.equal(settleFrom(E + 10, [{ name: 'wifi-fade:4', t: E }]), E + 4000);
  assert.equal(settleFrom(E + 10, [{ name: 'handover:800', t: E }]), E + 800);
  assert.equal(settleFrom(E + 10, [{ name: 'blackout:2@cellular', t: E }, { name: 'intermediate-down:3', t: E + 500 }]), E + 3500);
  // a run quiet since early on, settled at 3.5 s after an instant event, is not during a 4 s fade
  assert.equal(unsettled(bridged, E + 3500, SETTLE), null);
  assert.match(unsettled(bridged, E + 3500, { ...SETTLE, observeFrom: settleFrom(E, [{ name: 'wifi-fade:4', t: E }]) }) ?? '', /less than the settle time/);
});
