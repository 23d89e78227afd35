import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '../../harness/config.ts';
import { runBench } from '../../harness/bench.ts';
import { CSV_COLUMNS } from '../../harness/records.ts';

const resultsDir = mkdtempSync(path.join(tmpdir(), 'migbench-bench-'));
test.after(() => rmSync(resultsDir, { recursive: true, force: true }));

const rows = (dir: string) => parse(readFileSync(path.join(dir, 'runs.csv'), 'utf8'), { columns: true }) as Record<string, string>[];

test('bench: an interrupted matrix resumes, finishes with one row per run, and a second invocation runs nothing', async () => {
  const config = { ...(await loadConfig('harness/configs/smoke.json')), name: 'smoke-test' };
  const stop = new AbortController();
  const first = await runBench(config, { resultsDir, signal: stop.signal, onProgress: (p) => { if (p.done === 1) stop.abort(); } });
  assert.equal(first.ran, 1, 'Ctrl-C after the first run');
  assert.equal(rows(first.dir).length, 1);

  const second = await runBench(config, { resultsDir });
  assert.equal(second.ran, 3);
  const csv = rows(second.dir);
  assert.equal(csv.length, 4);
  assert.deepEqual(Object.keys(csv[0]!), CSV_COLUMNS);
  assert.equal(new Set(csv.map((r) => r.id)).size, 4);
  for (const r of csv) {
    assert.equal(r.status, 'ok', `${r.id}: ${r.error}`);
    for (const k of ['gap_ms', 'concealed_ms', 'recovery_ms', 'direct_ms', 'limit_ms', 'detect_ms', 'relay_bytes', 'handshakes', 'cpu_mobile_s']) {
      assert.notEqual(r[k], '', `${r.id}: ${k} is empty`);
    }
  }
  const bench = JSON.parse(readFileSync(path.join(second.dir, 'bench.json'), 'utf8'));
  assert.equal(bench.versions.quiche, '0.18.0');
  assert.equal(bench.invocations.length, 2);
  // each invocation says what it ran and what the machine spent on it
  assert.deepEqual(bench.invocations.map((i: { ran: number }) => i.ran), [1, 3]);
  const cpu = bench.invocations[1].cpu;
  assert.ok(cpu.busyS > 0 && cpu.wallS > 0 && cpu.stealS >= 0, JSON.stringify(cpu));
  assert.deepEqual(second.cpu, cpu);

  const third = await runBench(config, { resultsDir });
  assert.equal(third.ran, 0);
  assert.equal(rows(third.dir).length, 4);
});
