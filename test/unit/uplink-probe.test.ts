import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseUplink, FAILS_TO_LEAVE, STABLE_MS, type UplinkHealth } from '../../strategies/shared/uplink-probe.ts';

const answering = (since: number): UplinkHealth => ({ fails: 0, answeringSince: since });
const failing = (fails: number): UplinkHealth => ({ fails, answeringSince: null });

test('chooseUplink: stays while the uplink in use answers, or has failed fewer than FAILS_TO_LEAVE probes', () => {
  assert.equal(chooseUplink([answering(0), answering(0)], 0, 10_000), 0);
  assert.equal(chooseUplink([failing(FAILS_TO_LEAVE - 1), answering(0)], 0, 10_000), 0, 'one lost probe moves nothing');
  assert.equal(chooseUplink([answering(0), answering(0)], 1, 1000), 1, 'a preferred uplink must first answer for STABLE_MS');
});

test('chooseUplink: leaves a failing uplink for the most preferred one that answers, or stays if none does', () => {
  assert.equal(chooseUplink([failing(FAILS_TO_LEAVE), answering(9000)], 0, 10_000), 1, 'a fresh answer is enough to leave a dead uplink');
  assert.equal(chooseUplink([failing(FAILS_TO_LEAVE), failing(1), answering(0)], 0, 10_000), 2);
  assert.equal(chooseUplink([answering(0), failing(5), answering(0)], 1, 10_000), 0);
  assert.equal(chooseUplink([failing(FAILS_TO_LEAVE), failing(3)], 0, 10_000), 0, 'nothing answers: stay');
});

test('chooseUplink: takes a more preferred uplink back once it has answered for STABLE_MS (arriving home)', () => {
  assert.equal(chooseUplink([answering(1000), answering(0)], 1, 1000 + STABLE_MS - 1), 1);
  assert.equal(chooseUplink([answering(1000), answering(0)], 1, 1000 + STABLE_MS), 0);
  assert.equal(chooseUplink([failing(1), answering(0)], 1, 1000 + STABLE_MS), 1, 'its last probe failed: not yet');
});
