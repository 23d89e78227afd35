import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOISY_SHARE, ParallelLevel, WINDOW } from '../../harness/parallel.ts';

const feed = (l: ParallelLevel, runs: number, noisyEvery = 0) => {
  for (let i = 1; i <= runs; i++) l.finished(noisyEvery > 0 && i % noisyEvery === 0);
};
const TOO_NOISY = NOISY_SHARE * WINDOW;   // noisy runs in a window that make a level too noisy

test('parallel auto: starts one above the core count and climbs while a window of runs is clean', () => {
  const l = new ParallelLevel('auto', 2, 5);
  assert.equal(l.level, 3);
  feed(l, WINDOW);
  assert.equal(l.level, 4);
  feed(l, WINDOW, WINDOW);   // one noisy run in a window: fewer than 2 %
  assert.equal(l.level, 5);
  feed(l, 3 * WINDOW);
  assert.equal(l.level, 5, 'never above its maximum');
});

test('parallel auto: 2 % of a window noisy steps one down at once; a clean window below tries it again', () => {
  const l = new ParallelLevel('auto', 2, 8);
  feed(l, WINDOW);                 // 3 is clean
  feed(l, 20, 20 / TOO_NOISY);     // 4: too noisy within 20 runs
  assert.equal(l.level, 3);
  feed(l, WINDOW - 1);
  assert.equal(l.level, 3, 'not before a whole clean window');
  feed(l, 1);
  assert.equal(l.level, 4, 'a clean window at 3 tries 4 again');
  feed(l, WINDOW, WINDOW);         // 4 is clean now, but for one noisy run
  assert.equal(l.level, 5);
  feed(l, 10, 10 / TOO_NOISY);     // 5 too noisy
  feed(l, 50, 50 / TOO_NOISY);     // and 4 too, this time
  assert.equal(l.level, 3);
  assert.deepEqual(l.summary().map((s) => [s.level, s.runs, s.noisy]),
    [[3, WINDOW, 0], [4, 20, TOO_NOISY], [3, WINDOW, 0], [4, WINDOW, 1], [5, 10, TOO_NOISY], [4, 50, TOO_NOISY]]);
});

test('parallel auto: never above one over the core count unless told', () => {
  const l = new ParallelLevel('auto', 2);
  assert.deepEqual([l.level, l.max], [3, 3]);
  feed(l, 3 * WINDOW);
  assert.equal(l.level, 3);
  feed(l, 20, 20 / TOO_NOISY);
  assert.equal(l.level, 2);
  feed(l, WINDOW);
  assert.equal(l.level, 3, 'back to the top after a clean window');
});

test('parallel auto: noisy at every level goes down to one at a time and stays; a number is kept', () => {
  const l = new ParallelLevel('auto', 2);
  feed(l, 10 * WINDOW, 2);
  assert.equal(l.level, 1);
  const fixed = new ParallelLevel(3, 2);
  feed(fixed, 5 * WINDOW, 2);
  assert.equal(fixed.level, 3);
});
