import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TopologyDriver } from '../../harness/driver.ts';
import { REPO } from '../../harness/paths.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { leftovers, sleep } from './helpers.ts';
import { failingProbes, KERNEL_PROBES } from '../../harness/preflight.ts';

test('two identical topologies run side by side without colliding', async () => {
  const [a, b] = await Promise.all([TopologyDriver.open(), TopologyDriver.open()]);
  try {
    const [ia, ib] = await Promise.all([a.build({ nat: { wifi: 'full-cone' } }), b.build({ nat: { wifi: 'symmetric' } })]);
    assert.deepEqual(ia.intermediate, ib.intermediate);
    const [ra, rb] = await Promise.all([a.rtt('mobile', ia.intermediate[0], { count: 5 }), b.rtt('mobile', ib.intermediate[0], { count: 5 })]);
    assert.equal(ra.loss, 0);
    assert.equal(rb.loss, 0);
    assert.notDeepEqual(ia.nodePids, ib.nodePids);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  assert.deepEqual(leftovers(), []);
});

/** A process's nice value: field 19 of /proc/PID/stat (its name, field 2, may hold spaces). */
const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);

test('a driver starts and builds at the lowest CPU priority; a built topology serves its run at the normal one', async () => {
  const d = await TopologyDriver.open();
  try {
    assert.equal(niceOf(d.pid!), 19);
    const info = await d.build({ links: { wifi: 'broadband' } });
    const wires = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${info.runDir}/`); } catch { return false; }
    }).map(Number);
    assert.ok(wires.length >= 1, `the emulated slot's wire: ${wires}`);
    const role = await d.start('mobile', ['sleep', '60']);
    assert.deepEqual([info.driverPid, ...Object.values(info.nodePids), ...wires, role.pid].map(niceOf).filter((n) => n !== 0), []);
  } finally {
    await d.stop();
  }
});

test('a bad request is refused with a message naming it, and the driver keeps serving', async () => {
  const d = await TopologyDriver.open();
  try {
    await assert.rejects(d.build({ nat: { answerer: 'no-such-nat' } }), /unknown NAT preset 'no-such-nat'/);
    await assert.rejects(d.build({ topology: 'ring' }), /unknown topology 'ring'/);
    await assert.rejects(d.build({ links: { wifi: 'dialup' } }), /unknown link profile 'dialup'/);
    const info = await d.build({});
    await assert.rejects(d.fire('earthquake'), /unknown event 'earthquake'/);
    await assert.rejects(d.fire('blackout:x'), /'blackout:x': needs a duration/);
    await assert.rejects(d.setLink('wifi', 'broadband'), /not emulated in this build/);
    assert.equal(info.shape, 'mobile');
  } finally {
    await d.stop();
  }
});

test('a harness killed with SIGKILL leaves nothing behind 5 s later', async () => {
  const script = `
    import { TopologyDriver } from './harness/driver.ts';
    const d = await TopologyDriver.open();
    const info = await d.build({ links: { wifi: 'broadband', cellular: 'cellular' } });
    await d.start('mobile', ['sleep', '600']);
    console.log(JSON.stringify(info.nodePids));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    assert.ok(Object.keys(JSON.parse(line)).includes('mobile'));
    assert.ok(leftovers().length > 0, 'the topology was not running');
  } finally {
    child.kill('SIGKILL');
  }
  await sleep(5000);
  assert.deepEqual(leftovers(), []);
});

test('preflight: every kernel probe passes on this host, and leaves nothing', () => {
  assert.deepEqual(failingProbes(KERNEL_PROBES).map((p) => p.what), []);
  assert.deepEqual(leftovers(), []);
});

test('not root: one clear error, exit 1, nothing created', async () => {
  const bench = `nonroot-${process.pid}`;
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp', process.execPath,
    `${REPO}/harness/bin/migbench.js`, 'run', '--strategy', 'relay-repunch', '--bench', bench], { cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 1, err);
  assert.match(err, /needs root/);
  assert.equal(existsSync(`${REPO}/results/${bench}`), false);
});
