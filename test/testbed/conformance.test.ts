// Conformance and lifecycle (issues 6 and 15; Pantheon's test_schemes is the model): every registered
// strategy, found by folder, runs through the real CLI — 3 runs each, two runs at once — and each run streams,
// recovers after wifi-to-cellular and stops with every role exiting 0. Then a bench killed with SIGINT
// and two killed with SIGKILL in the middle of an event (of a nebula run, of a chromium run). Afterwards:
// no Mininet shell, wire, coturn, nebula, browser or role process, no namespace (nor the TUNs in them),
// and runs.csv holds only whole rows (the killed runs run again next time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS } from '../../harness/records.ts';
import { REPO } from '../../harness/paths.ts';
import { strategyNames } from '../../strategies/registry.ts';
import { leftovers, sleep } from './helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'migbench-conformance-'));
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

/** Resolves once some run of the bench (of `strategy`, if given) has fired its event (and is observing). */
async function midEvent(name: string, strategy?: string, ms = 120000): Promise<void> {
  const runs = path.join(work, name, 'runs');
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    for (const id of existsSync(runs) ? readdirSync(runs) : []) {
      if (strategy && !id.startsWith(`${strategy}-`)) continue;
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

test('every registered strategy, 3 runs each, two at once: each streams, recovers after wifi-to-cellular, every role exits 0; nothing is left behind', async () => {
  // A full-cone answerer NAT, so that every strategy can get through (quic-migration migrates, reconnect
  // punches); 7 s after the event covers the slowest recovery (nebula: up to 4.8 s, until its mobile next
  // sends a packet of its own; libwebrtc's answerer keeps its old pair until it stops receiving, 2.5 s,
  // plus its 1 s switching delay: 3.5–3.6 s; docs/strategies.md) and 10 clean frames after it; faster
  // strategies stop early once recovered. Three runs each (39 with 13 strategies; it was 44 with 11, 50
  // with 10): a new strategy must not make the suite longer — so two run at once, as a bench runs them
  // (the noisy-run guard makes a disturbed run again: docs/bench.md "Parallel runs"); what is asserted is
  // behaviour, not timing.
  const strategies = strategyNames();
  const reps = 3;
  const file = config('conformance', { strategies, nat: [{ answerer: 'full-cone', wifi: 'port-restricted', cellular: 'port-restricted' }], reps, observeS: 7, parallel: 2 });
  const c = bench(file);
  let err = '';
  c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  assert.equal(await exited(c), 0, err.slice(-2000));
  const r = rows('conformance');
  assert.equal(r.length, strategies.length * reps);
  assert.equal(new Set(r.map((x) => x.id)).size, r.length);
  for (const name of strategies) {
    const mine = r.filter((x) => x.strategy === name);
    assert.equal(mine.length, reps, `${name}: runs`);
    for (const x of mine) {
      assert.equal(x.status, 'ok', `${name} ${x.id}: ${x.error}`);
      assert.equal(x.success, '1', `${name} ${x.id}: no recovery after wifi-to-cellular (gap ${x.gap_ms} ms)`);
      const exits = readFileSync(path.join(work, 'conformance', 'runs', x.id!, 'events.harness.jsonl'), 'utf8').split('\n')
        .filter(Boolean).map((l) => JSON.parse(l) as { type: string; of?: string; code?: unknown }).filter((e) => e.type === 'role.exit');
      assert.deepEqual(exits.map((e) => `${e.of} ${String(e.code)}`).sort(), ['answerer 0', 'intermediate 0', 'mobile 0'], `${name} ${x.id}`);
    }
  }
  await noLeftovers();
});

// killed by SIGKILL in the middle of a nebula run (its nebula processes and their TUN devices must go
// too) and of a chromium run (both browsers and every process they started)
for (const [sig, killed] of [['SIGINT', 'relay-repunch'], ['SIGKILL', 'nebula'], ['SIGKILL', 'chromium']] as const) {
  test(`a bench killed with ${sig} mid-event (in a ${killed} run) leaves nothing behind and no half row; the next invocation finishes it`, async () => {
    const name = `killed-${sig.toLowerCase()}-${killed}`;
    const file = config(name, { strategies: [killed, 'ice-restart'], reps: 1, observeS: 4 });
    const c = bench(file);
    await midEvent(name, killed);
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
