// The path policy (strategies/shared/path-selector.ts) on synthetic path sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PathSelector, type CandidatePath } from '../../strategies/shared/path-selector.ts';

const path = (id: number, up: boolean, rttMs: number | null, osPreferred = false): CandidatePath => ({ id, up, rttMs, osPreferred });
const wifi = (up = true, rtt: number | null = 20) => path(0, up, rtt, true);   // the OS prefers Wi-Fi
const cell = (up = true, rtt: number | null = 60) => path(1, up, rtt);

test('the primary is the OS-preferred uplink\'s path while it is up, even when another is faster', () => {
  assert.deepEqual(new PathSelector().select([wifi(true, 80), cell(true, 30)]), { primary: 0, copy: null });
});

test('without the OS-preferred path: the fastest path up; a path without an RTT yet comes last; none up: the relay', () => {
  const sel = new PathSelector();
  assert.equal(sel.select([wifi(false), cell(true, 60), path(2, true, 40)]).primary, 2);
  assert.equal(sel.select([wifi(false), cell(true, null), path(2, true, 40)]).primary, 2);
  assert.equal(sel.select([wifi(false), cell(true, null)]).primary, 1);
  assert.deepEqual(sel.select([wifi(false), cell(false)]), { primary: null, copy: null });
  assert.deepEqual(sel.select([]), { primary: null, copy: null });
});

test('avoid: a path that just failed is not chosen even if it still looks up', () => {
  assert.equal(new PathSelector().select([wifi(), cell()], { avoid: 0 }).primary, 1);
  assert.equal(new PathSelector().select([wifi()], { avoid: 0 }).primary, null);
});

test('redundancy: always copies onto the best other path; suspect only while suspect; off never', () => {
  const paths = [wifi(), cell(), path(2, true, 40)];
  assert.deepEqual(new PathSelector('always').select(paths), { primary: 0, copy: 2 });
  assert.deepEqual(new PathSelector('suspect').select(paths), { primary: 0, copy: null });
  assert.deepEqual(new PathSelector('suspect').select(paths, { suspect: true }), { primary: 0, copy: 2 });
  assert.deepEqual(new PathSelector('off').select(paths, { suspect: true }), { primary: 0, copy: null });
  assert.deepEqual(new PathSelector('always').select([wifi(), cell(false)]), { primary: 0, copy: null }, 'no other path up: no copy');
  assert.deepEqual(new PathSelector('always').select([wifi(false), cell()]), { primary: 1, copy: null }, 'the copy is never the primary');
});
