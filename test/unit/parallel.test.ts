import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overBreakEven, ParallelLevel, WINDOW } from '../../harness/parallel.ts';

const feed = (l: ParallelLevel, runs: number, noisyEvery = 0): string[] => {
  const changes: string[] = [];
  for (let i = 1; i <= runs; i++) { const c = l.finished(noisyEvery > 0 && i % noisyEvery === 0); if (c) changes.push(c); }
  return changes;
};

test('parallel auto: starts at one above the core count and stays there while its noisy runs cost less than it saves', () => {
  const l = new ParallelLevel('auto', 2);
  assert.deepEqual([l.level, l.max], [3, 3]);
  assert.deepEqual(feed(l, 10 * WINDOW, 5), [], '20 % noisy: made again, still faster than two at once');
  assert.equal(l.level, 3);
  assert.deepEqual(l.summary().map((s) => [s.level, s.runs, s.noisy]), [[3, 10 * WINDOW, 2 * WINDOW]]);
});

test('parallel auto: the break-even share is 1/level of a window; over it steps down at once, a window below goes back up', () => {
  assert.equal(overBreakEven(3, WINDOW / 3), false);
  assert.equal(overBreakEven(3, WINDOW / 3 + 1), true);
  assert.equal(overBreakEven(1, WINDOW), false, 'one at a time is the floor');
  const l = new ParallelLevel('auto', 2);
  const down = feed(l, 11, 1);   // every run noisy: 11 of 11 is over 10 of 30
  assert.equal(l.level, 2);
  assert.match(down[0]!, /^3 → 2 at once: 11 of 11 runs noisy at 3 at once: over 1\/3 of a window of 30/);
  feed(l, WINDOW - 1);
  assert.equal(l.level, 2, 'not before a whole window');
  const up = feed(l, 1);
  assert.equal(l.level, 3);
  assert.match(up[0]!, /^2 → 3 at once: a window of 30 at 2 at once \(0 noisy\): 3 again/);
  assert.deepEqual(l.summary().map((s) => [s.level, s.noisy]), [[3, 11], [2, 0]]);
  assert.match(l.summary()[0]!.why, /the top/);
  assert.match(l.summary()[1]!.why, /11 of 11 runs noisy/);
});

test('parallel auto: noisy at every level goes down to one at a time, and back up after a window (the noise is not the level\'s); a number is kept; a higher top is honoured', () => {
  const l = new ParallelLevel('auto', 2);
  feed(l, 11 + 16, 1);
  assert.equal(l.level, 1);
  feed(l, WINDOW, 1);
  assert.equal(l.level, 2);
  const fixed = new ParallelLevel(3, 2);
  feed(fixed, 5 * WINDOW, 1);
  assert.equal(fixed.level, 3);
  const wide = new ParallelLevel('auto', 2, 5);
  assert.equal(wide.level, 5);
});
