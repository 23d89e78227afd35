import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverPool } from '../../harness/run/drivers.ts';
import { TopologyDriver } from '../../harness/driver.ts';

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

// A driver that answers `start` and, in the same write, the process's first line and its exit: what
// a quick process (tcpdump saying "listening on") looks like when it outruns start()'s reply.
const FAST_DRIVER = `
process.stdout.write(JSON.stringify({ event: 'ready' }) + '\\n');
require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const { id, cmd } = JSON.parse(l);
  const lines = [{ id, ok: true, result: cmd === 'start' ? { proc: 7, pid: 1 } : null }];
  if (cmd === 'start') lines.push({ event: 'proc.output', proc: 7, stream: 'stderr', line: 'listening on e0' }, { event: 'proc.exit', proc: 7, code: 0 });
  process.stdout.write(lines.map((x) => JSON.stringify(x)).join('\\n') + '\\n');
  if (cmd === 'stop') process.exit(0);
});`;

test('TopologyDriver: output and exit a process sends before start() returns are kept for it, not lost', async () => {
  const d = await TopologyDriver.open([process.execPath, '-e', FAST_DRIVER]);
  try {
    const p = await d.start('h1', ['tcpdump']);
    assert.equal(await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('never'), 2000))]), 0, 'its exit');
    const seen: string[] = [];
    p.lines('stderr', (line) => seen.push(line));
    assert.deepEqual(seen, ['listening on e0'], 'its first line, to a listener that came after it');
  } finally {
    await d.stop();
  }
});
