// The external-program helper (strategies/shared/external.ts) with a fake program: a shell script that
// says when it is ready, writes output, and exits on SIGTERM, or ignores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventLogger } from '../../core/events.ts';
import { startExternal } from '../../strategies/shared/external.ts';
import { REPO } from '../../harness/paths.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'migbench-external-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const errors: string[] = [];
const ctx = { runDir: dir, signal: new AbortController().signal, log: { log: (_t: string, f: { message: string }) => errors.push(f.message) } as unknown as EventLogger };
/** A fake program: prints a line, says ready after `wait` s, then ticks; on SIGTERM `onTerm`. */
const fake = (name: string, opts: { wait?: number; onTerm?: string; exitAfter?: number } = {}) => ({
  name, command: 'bash',
  args: ['-c', `trap '${opts.onTerm ?? 'echo bye; exit 0'}' TERM; echo starting $$; sleep ${opts.wait ?? 0.1}; echo ready; ` +
    `${opts.exitAfter !== undefined ? `sleep ${opts.exitAfter}; exit 3` : 'while true; do sleep 0.05; done'}`],
  readyLine: /^ready$/m,
});
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

test('starts, is ready when it says so, writes its output to the run folder, hands over whole lines, stops on SIGTERM', async () => {
  const lines: string[] = [];
  const p = await startExternal(ctx, { ...fake('good'), onLine: (l) => lines.push(l) });
  assert.ok(alive(p.pid));
  await p.stop();
  assert.equal(await p.exited, 0);
  assert.match(readFileSync(path.join(dir, 'good.log'), 'utf8'), /starting \d+\nready\n(.|\n)*bye/);
  assert.deepEqual(lines.filter((l) => !l.startsWith('starting')), ['ready', 'bye']);
  assert.deepEqual(errors, []);
});

test('a program that ignores SIGTERM is killed after the grace', async () => {
  const p = await startExternal(ctx, { ...fake('stubborn', { onTerm: 'echo no' }), graceMs: 300 });
  const t = Date.now();
  await p.stop();
  assert.ok(Date.now() - t >= 250, 'SIGKILL only after the grace');
  assert.equal(await p.exited, null, 'killed by a signal');
  assert.ok(!alive(p.pid));
});

test('not ready: an early exit and a timeout are errors naming the program, and nothing is left running', async () => {
  await assert.rejects(startExternal(ctx, { ...fake('quitter'), args: ['-c', 'echo oops; exit 7'] }), /quitter exited \(7\) before it was ready; see quitter\.log/);
  await assert.rejects(startExternal(ctx, { ...fake('slow', { wait: 5 }), readyTimeoutMs: 200 }), /slow not ready within 200 ms/);
  const slowPid = Number(/starting (\d+)/.exec(readFileSync(path.join(dir, 'slow.log'), 'utf8'))?.[1]);
  assert.ok(slowPid > 0 && !alive(slowPid), 'the program that was not ready was stopped');
  await assert.rejects(startExternal(ctx, { ...fake('missing'), command: '/nonexistent/prog' }), /missing exited/);
});

test('an exit after it was ready is logged as an error', async () => {
  errors.length = 0;
  const p = await startExternal(ctx, fake('crasher', { exitAfter: 0.1 }));
  assert.equal(await p.exited, 3);
  assert.deepEqual(errors, ['crasher exited (3)']);
  await p.stop();   // stopping what already exited is harmless
});

test('when its role is SIGKILLed, the program dies too (PR_SET_PDEATHSIG)', async () => {
  const role = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    import { startExternal } from ${JSON.stringify(path.join(REPO, 'strategies/shared/external.ts'))};
    const p = await startExternal({ runDir: ${JSON.stringify(dir)}, signal: new AbortController().signal, log: { log() {} } },
      { name: 'orphan', command: 'sleep', args: ['30'], ready: async () => {} });
    console.log(p.pid); setInterval(() => {}, 1000);`], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve) => role.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))));
  assert.ok(alive(pid));
  role.kill('SIGKILL');
  const gone = Date.now() + 3000;
  while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!alive(pid), `the program ${pid} outlived its role`);
});
