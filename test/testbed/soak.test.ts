// Lifecycle (issue 6): 50 consecutive runs through the real CLI, then a bench killed with SIGINT and
// one killed with SIGKILL in the middle of an event. Afterwards: no Mininet shell, wire, coturn or
// role process, no namespace, and runs.csv holds only whole rows (the killed runs run again next time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS } from '../../harness/records.ts';
import { REPO } from '../../harness/paths.ts';
import { leftovers, sleep } from './helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'migbench-soak-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function config(name: string, over: Record<string, unknown>): string {
  const file = path.join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, nat: ['port-restricted'], links: ['lan'], events: ['wifi-to-cellular'], warmupS: 3.2, observeS: 1, ...over }));
  return file;
}
const bench = (file: string): ChildProcess =>
  spawn(process.execPath, ['harness/bin/migbench.js', 'bench', '--config', file, '--results', work], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = (c: ChildProcess) => new Promise<number | null>((r) => c.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));

/** runs.csv parsed strictly: a half-written row (wrong column count, no final newline) throws. */
function rows(name: string): Record<string, string>[] {
  const file = path.join(work, name, 'runs.csv');
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'runs.csv ends mid-row');
  const r = parse(text, { columns: true }) as Record<string, string>[];
  if (r.length) assert.deepEqual(Object.keys(r[0]!), CSV_COLUMNS);
  return r;
}

/** Resolves once some run of the bench has fired its event (and is observing). */
async function midEvent(name: string, ms = 120000): Promise<void> {
  const runs = path.join(work, name, 'runs');
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    for (const id of existsSync(runs) ? readdirSync(runs) : []) {
      const log = path.join(runs, id, 'events.harness.jsonl');
      if (existsSync(log) && readFileSync(log, 'utf8').includes('"event.fired"') && !existsSync(path.join(runs, id, 'meta.json'))) return;
    }
  }
  throw new Error(`${name}: no run reached its event`);
}

async function noLeftovers(ms = 20000): Promise<void> {
  for (const end = Date.now() + ms; leftovers().length && Date.now() < end;) await sleep(250);
  assert.deepEqual(leftovers(), []);
}

test('50 consecutive runs (five strategies, coturn included) leave nothing behind', async () => {
  const file = config('soak', { strategies: ['relay-repunch', 'overlay', 'standby', 'ice-restart', 'ice-restart-werift'], reps: 10 });
  const c = bench(file);
  let err = '';
  c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  assert.equal(await exited(c), 0, err.slice(-2000));
  const r = rows('soak');
  assert.equal(r.length, 50);
  assert.equal(new Set(r.map((x) => x.id)).size, 50);
  await noLeftovers();
});

for (const sig of ['SIGINT', 'SIGKILL'] as const) {
  test(`a bench killed with ${sig} mid-event leaves nothing behind and no half row; the next invocation finishes it`, async () => {
    const name = `killed-${sig.toLowerCase()}`;
    const file = config(name, { strategies: ['relay-repunch', 'ice-restart'], reps: 1, observeS: 4 });
    const c = bench(file);
    await midEvent(name);
    c.kill(sig);
    const code = await exited(c);
    if (sig === 'SIGINT') assert.equal(code, 130);
    await noLeftovers();
    const done = rows(name);
    assert.ok(done.length < 2, 'the killed run must not be recorded');
    assert.ok(done.every((x) => x.status === 'ok'));
    assert.equal(await exited(bench(file)), 0);
    assert.equal(rows(name).length, 2);
    await noLeftovers();
  });
}
