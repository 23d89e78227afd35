// The interactive run, driven by a test through a pseudo-terminal (util-linux `script`): it shows
// the live view, `w` fires Wi-Fi -> cellular, `q` quits cleanly and prints the run's metrics; with
// --cli, Mininet's CLI answers on the run's socket (what `migbench cli` attaches a terminal to).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import { leftovers, sleep } from './helpers.ts';

/** Runs Mininet CLI commands on `socket`, then `exit`; resolves with everything it printed. */
async function cliSession(socket: string, commands: string[]): Promise<string> {
  const conn = net.connect(socket);
  let out = '';
  conn.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((r, j) => { conn.once('connect', r); conn.once('error', j); });
  conn.write([...commands, 'exit', ''].join('\n'));
  await new Promise((r) => conn.once('close', r));
  return out;
}

test('interactive run through a pty: w fires wifi-to-cellular, q quits and prints the metrics; --cli serves Mininet\'s CLI', async () => {
  const bench = `live-test-${process.pid}`;
  const cmd = `node harness/bin/migbench.js run --interactive --strategy relay-repunch --link broadband --cli --bench ${bench}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const until = async (re: RegExp, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (re.test(out)) return;
    throw new Error(`no ${re} in:\n${out.slice(-2000)}`);
  };
  try {
    await until(/keys: w wifi-to-cellular/, 40000);
    await until(/path in use +direct/, 10000);
    const socket = /cli --socket ([^\s`]+)/.exec(out)![1]!;
    const cliOut = await cliSession(socket, ['mobile ip -br addr show mobile-wifi', 'nodes']);
    assert.match(cliOut, /mobile-wifi\S*\s+UP\s+10\.2\.0\.2\//, cliOut);
    assert.match(cliOut, /available nodes are:\s*\n[^\n]*\bmobile\b/, cliOut);
    await sleep(3500);
    child.stdin.write('w');
    await until(/event\.fired name=wifi-to-cellular/, 10000);
    await until(/netchange\.detected/, 10000);
    await sleep(3000);
    child.stdin.write('q');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0, out.slice(-2000));
    assert.match(out, /gap_ms +\d/);
    assert.match(out, /success +true/);
    assert.match(out, /received audio +\S+received\.wav/);
  } finally {
    child.kill('SIGKILL');
    rmSync(path.join(REPO, 'results', bench), { recursive: true, force: true });
  }
  await sleep(1000);
  assert.deepEqual(leftovers(), []);
});
