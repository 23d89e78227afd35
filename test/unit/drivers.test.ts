import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverPool } from '../../harness/run/drivers.ts';

test('DriverPool: the next driver opens while a run has one; teardowns run behind; close leaves nothing open', async () => {
  const opened: { n: number; stopped: boolean }[] = [];
  let finishStop!: () => void;
  const slowStop = new Promise<void>((r) => { finishStop = r; });
  const pool = new DriverPool(async () => {
    const d = { n: opened.length, stopped: false, stop: async () => { if (d.n === 0) await slowStop; d.stopped = true; } };
    opened.push(d);
    return d;
  });
  const first = await pool.take();
  assert.equal(opened.length, 2, 'a spare opens as soon as a run takes one');
  await pool.release(first);   // resolves before the teardown ends: the next run need not wait
  assert.equal(first.stopped, false);
  const second = await pool.take();
  assert.equal(second.n, 1, 'the spare is handed out');
  assert.equal(opened.length, 3);
  await pool.release(second);
  let closed = false;
  const closing = pool.close().then(() => { closed = true; });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(closed, false, 'close waits for every teardown');
  finishStop();
  await closing;
  assert.deepEqual(opened.map((d) => d.stopped), [true, true, true]);
});
