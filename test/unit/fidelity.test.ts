import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fidelityOf, NOISY_LOOP_MS, NOISY_RERUNS, NOISY_WIRE_MS, rerunWhileNoisy } from '../../harness/run/fidelity.ts';
import { sameMedian } from '../../harness/fidelity-compare.ts';
import { ev } from './synthetic.ts';

const T = 1_700_000_000_000;
const loop = (dt: number, role: 'mobile' | 'answerer', maxMs: number, waitMaxMs = maxMs) => ev(T + dt, role, 'loop.delay', { maxMs, p99Ms: 1, waitMaxMs });
const stall = (dt: number, role: 'mobile' | 'answerer', lateMs: number, waitMs = lateMs) => ev(T + dt, role, 'loop.stall', { lateMs, waitMs });
const wire = (lateMs: number) => ({ w1: { ab: { sent: 10, late_mean_us: 5, late_max_us: lateMs * 1000 }, ba: { sent: 10, late_mean_us: 5, late_max_us: 3 } } });

test('fidelity: a role\'s event loop or a link emulator late beyond its threshold makes the run noisy, and says which', () => {
  const quiet = fidelityOf([loop(1000, 'mobile', 4), loop(1000, 'answerer', 6)], T, T + 5000, wire(0.2));
  assert.deepEqual(quiet, { loopMaxMs: 6, loopWaitMaxMs: 6, loopRole: 'answerer', wireLateMaxMs: 0.2, wireLateMs: { w1: 0.2 }, noisy: null });
  const slowLoop = fidelityOf([loop(2000, 'mobile', NOISY_LOOP_MS + 1)], T, T + 5000, wire(0.2));
  assert.match(slowLoop.noisy!, /mobile's event loop/);
  const slowWire = fidelityOf([], T, T + 5000, wire(NOISY_WIRE_MS + 1));
  assert.match(slowWire.noisy!, /link emulator/);
  assert.equal(fidelityOf([], T, T + 5000, {}).wireLateMaxMs, null, 'no wires (netem): no figure');
});

test('fidelity: only the part of a delay the role spent waiting for the machine counts; its own work does not', () => {
  const working = fidelityOf([loop(2000, 'answerer', 150, 20), stall(3000, 'answerer', 130, 10)], T, T + 5000, {});
  assert.deepEqual([working.noisy, working.loopMaxMs, working.loopWaitMaxMs], [null, 150, 20]);
  const waiting = fidelityOf([loop(2000, 'answerer', 150, 20), stall(3000, 'mobile', 130, NOISY_LOOP_MS + 1)], T, T + 5000, {});
  assert.match(waiting.noisy!, /mobile's event loop 81 ms late for want of a CPU/);
  const older = fidelityOf([ev(T + 2000, 'mobile', 'loop.delay', { maxMs: 150, p99Ms: 1 })], T, T + 5000, {});
  assert.equal(older.loopWaitMaxMs, 150, 'a log without the split: all of the delay counts');
});

test('fidelity: only the measured window counts: a sample whose second lies inside it, a stall that overlaps it', () => {
  // samples cover the second before them: the one at +500 is mostly a role's start-up, the one at +5500 after the end
  const samples = [loop(-500, 'mobile', 500), loop(500, 'mobile', 300), loop(2000, 'mobile', 4), loop(5500, 'mobile', 500)];
  const judge = (...more: ReturnType<typeof stall>[]) => fidelityOf([...samples, ...more], T, T + 5000, {});
  assert.deepEqual([judge().noisy, judge().loopMaxMs], [null, 4]);
  assert.equal(judge(stall(-20, 'mobile', 300)).noisy, null, 'a stall that ended before the window');
  assert.deepEqual([judge(stall(100, 'answerer', 90)).loopMaxMs, judge(stall(100, 'answerer', 90)).loopRole], [90, 'answerer'], 'one that ended inside it');
  assert.match(judge(stall(5050, 'mobile', 100)).noisy!, /mobile's event loop 100 ms late/, 'one that began inside it');
  assert.equal(judge(stall(5200, 'mobile', 150)).noisy, null, 'one that began after it');
});

test('compare: medians agree within 10 % or one frame; a censored one only with a censored one', () => {
  const v = (value: number, censored = false) => ({ value, censored });
  assert.equal(sameMedian(v(100), v(120)), true, 'one frame');
  assert.equal(sameMedian(v(100), v(121)), false);
  assert.equal(sameMedian(v(2000), v(2190)), true, '10 %');
  assert.equal(sameMedian(v(2000), v(2300)), false);
  assert.equal(sameMedian(v(8000, true), v(8000, true)), true);
  assert.equal(sameMedian(v(8000, true), v(7990)), false);
  assert.equal(sameMedian(null, null), true);
  assert.equal(sameMedian(v(1), null), false);
});

test('rerunWhileNoisy: a noisy run is made again up to NOISY_RERUNS times; a quiet one, or a stop, ends it', async () => {
  const runs = (noisy: boolean[]) => {
    let n = 0;
    return () => { const i = n++; return Promise.resolve({ i, noisy: noisy[Math.min(i, noisy.length - 1)] ? 'late' : null }); };
  };
  const setAside: number[] = [];
  const quietSecond = await rerunWhileNoisy(runs([true, false, true]), (r) => r.noisy, (r) => setAside.push(r.i));
  assert.deepEqual([quietSecond.i, setAside], [1, [0]]);
  const always = await rerunWhileNoisy(runs([true]), (r) => r.noisy);
  assert.equal(always.i, NOISY_RERUNS, 'still noisy after the reruns: the last one is kept');
  assert.equal((await rerunWhileNoisy(runs([false]), (r) => r.noisy)).i, 0);
  assert.equal((await rerunWhileNoisy(runs([true]), (r) => r.noisy, () => {}, () => true)).i, 0, 'a stop ends the retries');
});
