// Bad configuration (issue 6): every mistake a researcher can make on the command line or in a
// bench config gives one clear error naming the field or the missing thing, exit code != 0, and
// leaves nothing: no results folder, no namespace, no process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import { leftovers } from './helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'migbench-bad-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const BENCH = `bad-${process.pid}`;
function migbench(args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'harness/bin/migbench.js'), ...args], { cwd: REPO, encoding: 'utf8', env, timeout: 60000 });
  return { code: r.status, err: r.stderr + r.stdout };
}
function refused(args: string[], why: RegExp, env?: NodeJS.ProcessEnv): void {
  const r = migbench(args, env);
  assert.notEqual(r.code, 0, `${args.join(' ')} exited 0`);
  assert.match(r.err, why, args.join(' '));
  assert.equal(r.err.split('\n').filter((l) => /at .*\.ts:\d+/.test(l)).length, 0, `a stack trace instead of a message:\n${r.err}`);
  assert.equal(existsSync(path.join(REPO, 'results', BENCH)), false, `${args.join(' ')} created a results folder`);
}
const run = (...more: string[]) => ['run', '--bench', BENCH, ...more];

test('a bad run names what is wrong and builds nothing', () => {
  refused(run(), /--strategy is required/);
  refused(run('--strategy', 'teleport'), /unknown strategy 'teleport'/);
  refused(run('--strategy', 'relay-repunch', '--nat', 'moon'), /unknown NAT preset 'moon'/);
  refused(run('--strategy', 'relay-repunch', '--nat-wifi', 'EIM/XYZ'), /XYZ/);
  refused(run('--strategy', 'relay-repunch', '--event', 'earthquake'), /unknown event 'earthquake'/);
  refused(run('--strategy', 'relay-repunch', '--event', 'blackout:x'), /unknown event 'blackout:x'/);
  refused(run('--strategy', 'relay-repunch', '--link', 'dialup'), /unknown link profile 'dialup'/);
  refused(run('--strategy', 'relay-repunch', '--warmup', 'soon'), /--warmup must be a non-negative number/);
  refused(run('--strategy', 'relay-repunch', '--opt', 'colour=red'), /has no option 'colour'/);
  refused(run('--strategy', 'standby', '--opt', 'redundancy=sometimes'), /'sometimes' is not one of off, always, suspect/);
  refused(run('--strategy', 'relay-repunch', '--cli'), /--cli needs --interactive/);
  refused(['frobnicate'], /unknown command: frobnicate/);
  assert.deepEqual(leftovers(), []);
});

test('a bad bench config names every bad field; unreadable or non-JSON files are named', () => {
  const bad = path.join(work, 'bad.json');
  writeFileSync(bad, JSON.stringify({ name: BENCH, strategies: ['teleport'], nat: ['moon'], events: ['earthquake'], reps: 0, pairs: [99], colour: 'red' }));
  const r = migbench(['bench', '--config', bad]);
  assert.notEqual(r.code, 0);
  for (const field of ['strategies[0]', 'nat[0]', 'events[0]', 'reps', 'pairs[0]', 'colour']) assert.match(r.err, new RegExp(`${field.replace(/[[\]]/g, '\\$&')}: `), field);
  const notJson = path.join(work, 'not.json');
  writeFileSync(notJson, '{ name: ');
  refused(['bench', '--config', notJson], /not\.json: 1 problem\s+not JSON/);
  refused(['bench', '--config', path.join(work, 'absent.json')], /absent\.json: 1 problem\s+cannot read/);
  assert.equal(existsSync(path.join(REPO, 'results', BENCH)), false);
});

test('missing tools are all named at once, before anything is built', () => {
  // a PATH with everything the bench needs except nft and conntrack
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['sh', 'ip', 'tc', 'mnexec', 'setpriv', 'unshare', 'python3']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, path.join(bin, tool));
  }
  refused(run('--strategy', 'relay-repunch'), /cannot build the testbed; missing:\s+the nft command \(apt install nftables[^\n]*\n\s+the conntrack command/, { ...process.env, PATH: bin });
  assert.deepEqual(leftovers(), []);
});
