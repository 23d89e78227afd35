import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverPool } from '../../harness/run/drivers.ts';
import { TopologyDriver, type BuildInfo, type BuildOptions } from '../../harness/driver.ts';

// A stand-in driver: records what it was built to, and whether it was stopped.
function fakeDrivers(slowStopOf = -1) {
  const opened: { n: number; built?: string; stopped: boolean; hurried: boolean }[] = [];
  let finishStop!: () => void;
  const slowStop = new Promise<void>((r) => { finishStop = r; });
  const open = async () => {
    const d = {
      n: opened.length, built: undefined as string | undefined, stopped: false, hurried: false,
      hurry: () => { d.hurried = true; },
      build: async (o: BuildOptions) => { d.built = o.nat?.wifi; return { shape: o.nat?.wifi } as unknown as BuildInfo; },
      stop: async () => { if (d.n === slowStopOf) await slowStop; d.stopped = true; },
    };
    opened.push(d);
    return d;
  };
  return { opened, open, finishStop };
}
const nat = (wifi: string, keysReversed = false): BuildOptions =>
  ({ seed: 1, nat: keysReversed ? { cellular: 'symmetric', wifi } : { wifi, cellular: 'symmetric' } });

test('DriverPool: the next run\'s topology is built while a run goes; teardowns run behind; close leaves nothing open', async () => {
  const { opened, open, finishStop } = fakeDrivers(0);
  const queue = ['b', 'c'];
  const pool = new DriverPool(() => queue[0] === undefined ? undefined : nat(queue[0]), open);
  const first = await pool.take(nat('a'));
  assert.deepEqual(opened.map((d) => d.built), ['a', 'b'], 'the next one is built as soon as a run takes its own');
  await pool.release(first.driver);   // resolves before the teardown ends: the next run need not wait
  assert.equal(first.driver.stopped, false);
  queue.shift();
  const second = await pool.take(nat('b', true));
  assert.equal(second.driver.n, 1, 'the spare built ahead is handed out (the same options in another key order)');
  assert.deepEqual(opened.map((d) => d.hurried), [false, true, false], 'and told a run waits for it');
  assert.equal(second.info.shape, 'b');
  assert.equal(opened.length, 3, 'and the one after it is building');
  queue.shift();
  await pool.release(second.driver);
  let closed = false;
  const closing = pool.close().then(() => { closed = true; });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(closed, false, 'close waits for every teardown');
  finishStop();
  await closing;
  assert.deepEqual(opened.map((d) => d.stopped), [true, true, true]);
});

test('DriverPool: a spare built to other options is torn down, not handed out (a noisy run made again)', async () => {
  const { opened, open } = fakeDrivers();
  const pool = new DriverPool(() => nat('next'), open);
  await pool.take(nat('a'));
  const again = await pool.take(nat('a'));
  assert.equal(again.info.shape, 'a');
  assert.equal(again.driver.n, 2, 'built for it now');
  await pool.close();
  assert.deepEqual(opened.map((d) => [d.built, d.stopped]), [['a', false], ['next', true], ['a', false], ['next', true]]);
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
