// Re-scoring a bench after a metric definition changed (docs/bench.md "Re-scoring"): the event logs
// are the measurement and the metrics a function of them, so every finished run's metrics are
// computed again from its run folder with the current harness/metrics.ts and the parameters the run
// recorded. meta.json keeps the metrics it had (`rescored`: when, at which commit, what before);
// runs.csv is written again, and bench.json lists the re-scoring (`rescores`). Runs without event
// logs (a snapshot of runs.csv only) cannot be re-scored.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitOf } from './paths.ts';
import { readRecords, writeCsv } from './records.ts';
import { scoreRun, type Rtts } from './score.ts';
import type { RunSpec } from './spec.ts';

interface Meta {
  status: string; spec: RunSpec; observeEnd: number; rtts?: Rtts; perEvent?: unknown;
  metrics?: unknown; rescored?: { at: string; commit: string; before: unknown }[];
}

/** Re-scores every run folder of `dir` that has metrics; returns how many, and how many changed. */
export function rescoreBench(dir: string): { runs: number; changed: number } {
  const runs = path.join(dir, 'runs');
  if (!existsSync(runs)) throw new Error(`${dir} has no run folders (runs/): a runs.csv snapshot cannot be re-scored`);
  let n = 0, changed = 0;
  const commit = commitOf();
  for (const id of readdirSync(runs).sort()) {
    const file = path.join(runs, id, 'meta.json');
    if (!existsSync(file)) continue;
    const meta = JSON.parse(readFileSync(file, 'utf8')) as Meta;
    if (!meta.metrics || !existsSync(path.join(runs, id, 'events.harness.jsonl'))) continue;
    const scored = scoreRun(path.join(runs, id), meta.spec, meta.observeEnd, meta.rtts ?? {}, meta.perEvent !== undefined);
    n++;
    if (JSON.stringify(scored.metrics) === JSON.stringify(meta.metrics)) continue;
    changed++;
    const next = { ...meta, ...scored, rescored: [...(meta.rescored ?? []), { at: new Date().toISOString(), commit, before: meta.metrics }] };
    writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 2));
    renameSync(`${file}.tmp`, file);
  }
  writeCsv(dir, readRecords(dir));
  const benchFile = path.join(dir, 'bench.json');
  if (existsSync(benchFile)) {   // the bench says it was re-scored, and at which commit
    const bench = JSON.parse(readFileSync(benchFile, 'utf8'));
    bench.rescores = [...(bench.rescores ?? []), { at: new Date().toISOString(), commit, runs: n, changed }];
    writeFileSync(benchFile, JSON.stringify(bench, null, 2));
  }
  return { runs: n, changed };
}
