// harness/timeline.ts: the marks a run's timeline draws besides its frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFrames } from '../../harness/timeline.ts';
import { build, E } from './synthetic.ts';

test('a peer finding the intermediate gone, and its control connection back, are marked on the timeline', () => {
  const events = build({ frames: 600, extra: [
    { t: E + 1200, role: 'answerer', type: 'control.unreachable', silentMs: 1010 },
    { t: E + 2700, role: 'answerer', type: 'control.restored' },
  ] });
  const { marks } = computeFrames(events, 80);
  assert.deepEqual(marks.filter((m) => m.what.includes('intermediate')), [
    { t: 1200, what: 'answerer: intermediate unreachable' }, { t: 2700, what: 'answerer: intermediate back' }]);
});
