import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParallelLevel, WINDOW } from '../../harness/parallel.ts';

const feed = (l: ParallelLevel, runs: number, noisyEvery = 0) => {
  for (let i = 1; i <= runs; i++) l.finished(noisyEvery > 0 && i % noisyEvery === 0);
};

test('parallel auto: starts at the core count and climbs while a window of runs is clean', () => {
  const l = new ParallelLevel('auto', 2, 4);
  assert.equal(l.level, 2);
  feed(l, WINDOW);
  assert.equal(l.level, 3);
  feed(l, WINDOW);
  assert.equal(l.level, 4);
  feed(l, 3 * WINDOW);
  assert.equal(l.level, 4, 'never above its maximum');
});

test('parallel auto: a level with a noisy run steps back down and stays', () => {
  const l = new ParallelLevel('auto', 2, 8);
  feed(l, WINDOW);            // 2 is clean
  feed(l, 10, 10);            // 3: the 10th run is noisy, 2 % of a window
  assert.equal(l.level, 2);
  feed(l, 3 * WINDOW);
  assert.equal(l.level, 2, 'frozen at the last clean level');
  assert.deepEqual(l.summary().map((s) => [s.level, s.noisy]), [[2, 0], [3, 1], [2, 0]]);
});

test('parallel auto: noisy even at the core count goes down to one at a time; a number is kept', () => {
  const l = new ParallelLevel('auto', 2);
  feed(l, 5, 5);
  assert.equal(l.level, 1);
  const fixed = new ParallelLevel(3, 2);
  feed(fixed, 5 * WINDOW, 2);
  assert.equal(fixed.level, 3);
});
