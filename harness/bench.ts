// A bench: every run of a config's matrix, resumable. The run folders (runs/<id>/meta.json) are the
// source of truth; runs.csv is rebuilt from them atomically when a bench starts and gets one row
// appended (a single write) per finished run, so an interrupted bench leaves no half row and a new
// invocation skips what is done. docs/bench.md.
import { checkHost } from './preflight.ts';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { expand, type BenchConfig, type PlannedRun } from './config.ts';
import { commitOf, REPO } from './paths.ts';
import { runOnce, topologyOf } from './run/run.ts';
import { DriverPool } from './run/drivers.ts';
import { csvRow, readRecords, setAsideAttempt, writeCsv, type RunRecord } from './records.ts';
import { shardDir, shardOf, type Shard } from './shards.ts';
import { ParallelLevel } from './parallel.ts';
import { measureHostLatency, type HostLatency } from './host-latency.ts';
import { cpuBetween, sampleCpu, type HostCpu } from './host-cpu.ts';
import { rerunWhileNoisy } from './run/fidelity.ts';

export const RESULTS = path.join(REPO, 'results');

function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try { return JSON.parse(readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version as string; } catch { return 'absent'; }
  };
  const quiche = /quiche = \{ version = "([^"]+)"/.exec(readFileSync(path.join(REPO, 'node_modules/@matrixai/quic/Cargo.toml'), 'utf8'))?.[1];
  const commit = commitOf();
  return {
    commit, node: process.version, kernel: os.release(), '@matrixai/quic': pkg('@matrixai/quic'), quiche: quiche ?? 'unknown',
    'node-datachannel': pkg('node-datachannel'),
  };
}

export interface BenchOptions {
  resultsDir?: string;     // default results/
  shard?: Shard;           // only this shard's runs, into results/<name>.shard-I-of-N (harness/shards.ts)
  retryFailed?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}
export interface Progress {
  done: number; total: number; failed: number; skipped: number; running: string[]; etaS: number | null; last?: RunRecord;
  /** Finished runs per minute so far (the ETA's rate); null before the first. */
  perMin: number | null;
  /** Runs made again because the fidelity guard found them noisy (harness/run/fidelity.ts). */
  noisyReruns: number;
  /** Runs at once now (config.parallel, or where `auto` stands). */
  level: number;
  /** This invocation's host latencies, measured before its first run. */
  hostLatency?: HostLatency;
  /** The newest change of `auto`'s level and why (harness/parallel.ts). */
  levelChange?: string;
}

export async function runBench(config: BenchConfig, opts: BenchOptions = {}): Promise<{ dir: string; records: RunRecord[]; ran: number; cpu: HostCpu }> {
  checkHost();
  const dir = path.join(opts.resultsDir ?? RESULTS, opts.shard ? shardDir(config.name, opts.shard) : config.name);
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  const planned = expand(config).filter((r) => !opts.shard || shardOf(r.id, opts.shard.count) === opts.shard.index);
  const previous = new Map(readRecords(dir).map((r) => [r.id, r]));
  writeCsv(dir, [...previous.values()]);   // repair: exactly the finished runs
  const benchFile = path.join(dir, 'bench.json');
  const prior = existsSync(benchFile) ? JSON.parse(readFileSync(benchFile, 'utf8')) : {};
  const v = versions();   // the newest invocation's; each invocation keeps the commit its runs were made at
  const hostLatency = await measureHostLatency();   // what this host's reactions cost today (harness/host-latency.ts)
  const [cpuAtStart, startedAt] = [sampleCpu(), Date.now()];
  writeFileSync(benchFile, JSON.stringify({
    ...prior, name: config.name, config, host: os.hostname(), versions: v, shard: opts.shard,
    invocations: [...(prior.invocations ?? []), { at: new Date().toISOString(), planned: planned.length, commit: v.commit, hostLatency }],
  }, null, 2));

  const todo = planned.filter((r) => {
    const p = previous.get(r.id);
    return !p || (opts.retryFailed && p.status === 'failed');
  });
  const progress: Progress = { done: 0, total: todo.length, failed: 0, skipped: planned.length - todo.length, running: [], etaS: null, perMin: null, noisyReruns: 0, level: 1, hostLatency };
  const started = Date.now();
  const queue = [...todo];
  const csv = path.join(dir, 'runs.csv');
  const drivers = new DriverPool(() => queue[0] && topologyOf(queue[0].spec));

  /** One attempt at a run, within its deadline; `finished`: runOnce returned, its meta.json is whole. */
  async function attempt(run: PlannedRun): Promise<{ record: RunRecord; finished: boolean }> {
    const deadline = new AbortController();
    // every extra pair: its stagger, and ~3 s more to start its two roles and get its audio going
    const limitS = run.spec.warmupS + run.spec.observeS + config.deadlineS + ((run.spec.pairs ?? 1) - 1) * ((run.spec.staggerMs ?? 0) / 1000 + 3);
    const timer = setTimeout(() => deadline.abort(`deadline: not finished after ${limitS} s`), limitS * 1000);
    const onStop = () => deadline.abort('interrupted');
    opts.signal?.addEventListener('abort', onStop, { once: true });
    try {
      const r = await runOnce(run.spec, dir, { signal: deadline.signal, drivers, capture: config.capture });
      return { finished: true, record: { id: run.id, label: run.label, spec: run.spec, status: r.meta.status as RunRecord['status'], emulation: String(r.meta.emulation), metrics: r.metrics,
        ...(typeof r.meta.error === 'string' ? { error: r.meta.error } : {}),
        ...(typeof r.meta.noisy === 'string' ? { noisy: r.meta.noisy } : {}),
        ...(r.meta.pairs ? { pairs: r.meta.pairs as RunRecord['pairs'] } : {}),
        ...(r.meta.perEvent ? { perEvent: r.meta.perEvent as RunRecord['perEvent'] } : {}) } };
    } catch (e) {
      return { finished: false, record: { id: run.id, label: run.label, spec: run.spec, status: 'failed', error: (e as Error).message.split('\n')[0]!.slice(0, 300) } };
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onStop);
    }
  }

  /** Makes a run (again while noisy) and records it; resolves with whether its first try was noisy. */
  async function one(run: PlannedRun): Promise<boolean> {
    progress.running.push(run.id);
    opts.onProgress?.(progress);
    // --retry-failed runs a failed run again, and a noisy run goes again by itself (up to
    // NOISY_RERUNS times); every earlier attempt stays in meta.json
    // (its folder goes to set-aside/: records.ts setAsideAttempt)
    const prior = previous.get(run.id);
    const earlier: NonNullable<RunRecord['attempts']> = prior ? [...(prior.attempts ?? []), { status: prior.status, error: prior.error, metrics: prior.metrics, ...(prior.noisy ? { noisy: prior.noisy } : {}) }] : [];
    const keep = () => { const folder = setAsideAttempt(dir, run.id, earlier.length); if (folder) earlier[earlier.length - 1]!.folder = folder; };
    if (prior) keep();
    let setAside = 0;
    const { record, finished } = await rerunWhileNoisy(() => attempt(run), (a) => a.record.noisy,
      ({ record: r }) => { setAside++; progress.noisyReruns++; earlier.push({ status: r.status, error: r.error, metrics: r.metrics, noisy: r.noisy }); keep(); },
      () => Boolean(opts.signal?.aborted));
    const firstNoisy = setAside > 0 || Boolean(record.noisy);
    const attempts = earlier.length ? earlier : undefined;
    progress.running = progress.running.filter((x) => x !== run.id);
    if (opts.signal?.aborted) return firstNoisy;   // interrupted: leave no record, it runs again next time
    const runDir = path.join(dir, 'runs', run.id);
    mkdirSync(runDir, { recursive: true });
    const meta = path.join(runDir, 'meta.json');
    const full = existsSync(meta) && finished ? JSON.parse(readFileSync(meta, 'utf8')) : {};
    writeFileSync(`${meta}.tmp`, JSON.stringify({ ...full, ...record, ...(attempts ? { attempts } : {}) }, null, 2));
    renameSync(`${meta}.tmp`, meta);
    if (previous.has(run.id)) writeCsv(dir, [...readRecords(dir)]);   // a retried failure replaces its row
    else appendFileSync(csv, stringify([csvRow(record)]));
    progress.done++;
    if (record.status !== 'ok') progress.failed++;
    progress.last = record;
    const elapsedS = (Date.now() - started) / 1000;
    progress.perMin = (60 * progress.done) / elapsedS;
    progress.etaS = (elapsedS / progress.done) * (progress.total - progress.done);
    opts.onProgress?.(progress);
    return firstNoisy;
  }

  // every worker takes the next run while fewer than `level` are running
  const level = new ParallelLevel(config.parallel, os.availableParallelism());
  progress.level = level.level;
  let active = 0;
  const workers = Array.from({ length: Math.min(config.parallel === 'auto' ? level.max : config.parallel, Math.max(1, queue.length)) }, async () => {
    while (queue.length && !opts.signal?.aborted) {
      if (active >= level.level) { await new Promise((r) => setTimeout(r, 100)); continue; }
      active++;
      const run = queue.shift()!;
      const atLevel = level.level;
      const noisy = await one(run);
      active--;
      const change = atLevel === level.level ? level.finished(noisy) : null;
      if (change) progress.levelChange = change;
      progress.level = level.level;
    }
  });
  try { await Promise.all(workers); } finally { await drivers.close(); }
  // the invocation's runs, its wall time and the machine's CPU over it (docs/bench.md "Results")
  const cpu = cpuBetween(cpuAtStart, sampleCpu(), (Date.now() - startedAt) / 1000);
  const now = JSON.parse(readFileSync(benchFile, 'utf8'));
  const invocations = now.invocations as Record<string, unknown>[];
  Object.assign(invocations[invocations.length - 1]!, { ran: progress.done, cpu }, config.parallel === 'auto' ? { parallel: level.summary() } : {});
  writeFileSync(benchFile, JSON.stringify(now, null, 2));
  return { dir, records: readRecords(dir), ran: progress.done, cpu };
}
