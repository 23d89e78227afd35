import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIntermediateDown, invalidReason, lateOnly, type HarnessLine } from '../../harness/scenario.ts';
import { eventProblem, scheduleProblem, startOnFor } from '../../harness/network-events.ts';

test('startOnFor: cellular only when the first uplink switch brings Wi-Fi up', () => {
  assert.equal(startOnFor(['cellular-to-wifi']), 'cellular');
  assert.equal(startOnFor(['nat-rebind', 'cellular-to-wifi', 'wifi-to-cellular']), 'cellular');
  assert.equal(startOnFor(['wifi-to-cellular', 'cellular-to-wifi']), 'wifi');
  assert.equal(startOnFor(['blackout:2']), 'wifi');
});

test('eventProblem / scheduleProblem refuse events that would change nothing', () => {
  for (const e of ['wifi-to-cellular', 'cellular-to-wifi', 'nat-rebind@wifi', 'blackout:2@cellular', 'mapping-timeout', 'answerer-rebind', 'intermediate-down:2', 'none']) {
    assert.equal(eventProblem(e), null, e);
  }
  assert.match(eventProblem('wifi-to-cellular', 'cellular')!, /already on cellular/);
  assert.match(eventProblem('cellular-to-wifi', 'wifi')!, /already on Wi-Fi/);
  assert.match(eventProblem('nat-rebind@wifi', 'cellular')!, /Wi-Fi is down then/);
  assert.equal(scheduleProblem(['cellular-to-wifi', 'wifi-to-cellular', 'cellular-to-wifi', 'nat-rebind@wifi']), null);
  assert.match(scheduleProblem(['wifi-to-cellular', 'blackout:1@wifi'])!, /'blackout:1@wifi' would change nothing/);
  assert.match(scheduleProblem(['wifi-to-cellular', 'wifi-to-cellular'])!, /already on cellular/);
});

test('checkIntermediateDown: exited, then ready again (or still down at the end); invalidReason lists failures', () => {
  const fired = { name: 'intermediate-down:2', host: 'intermediate', t: 1010, tIssued: 1000 };
  const exit: HarnessLine = { t: 1010, type: 'role.exit', of: 'intermediate', code: -9 };
  const ready: HarnessLine = { t: 3400, type: 'event.restored', name: 'intermediate-down:2' };
  assert.equal(checkIntermediateDown(fired, [exit, ready], 9000).ok, true);
  assert.equal(checkIntermediateDown(fired, [exit], 2500).ok, true, 'restart due after the window');
  const failed = checkIntermediateDown(fired, [exit, { t: 3100, type: 'error', message: 'restarting the intermediate: boom' }], 9000);
  assert.deepEqual([failed.ok, failed.reason], [false, 'no new intermediate reported ready: restarting the intermediate: boom']);
  const never = checkIntermediateDown(fired, [{ ...exit, t: 9500 }], 9000);   // the exit at the end of the run is not the kill's
  assert.equal(never.ok, false);
  assert.equal(invalidReason([{ name: 'intermediate-down:2', host: 'intermediate', t: 1010, ...never }]),
    'intermediate-down:2 (intermediate): the intermediate never exited after the kill');
  assert.equal(invalidReason([]), null);
});

test('an invalid run is noisy (made again by a bench) only when every failed check found its event late, not missing', () => {
  const check = (ok: boolean, late?: boolean) => ({ name: 'blackout:2', host: 'mobile', t: 1, ok, reason: ok ? 'fine' : 'the blackout lasted 2316 ms, not 2000', evidence: {}, ...(late ? { late } : {}) });
  assert.match(lateOnly([check(true), check(false, true)]) ?? '', /^the scenario ran late: blackout:2 \(mobile\): the blackout lasted 2316 ms/);
  assert.equal(lateOnly([check(false, true), check(false)]), null, 'one event that did not happen: invalid, not noisy');
  assert.equal(lateOnly([check(true)]), null);
});
