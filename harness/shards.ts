// A bench beyond one machine: deterministic shards and their merge. A run belongs to shard
// hash(run id) mod N — the id derives from the run's parameters and repetition only, so shards
// partition the matrix whatever the order or the machine. Each shard is an ordinary, resumable
// bench folder (`results/<name>.shard-I-of-N`); `merge` makes one bench folder of them whose
// runs.csv has exactly the rows a single-machine bench of the same config would have. docs/bench.md.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readRecords, writeCsv, type RunRecord } from './records.ts';
import { expand, validateConfig, type BenchConfig } from './config.ts';
import { median } from './stats.ts';

export interface Shard { index: number; count: number }

/** "I/N" with 0 ≤ I < N (I is SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX as they are: 0-based). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > 10000 || index >= count) {
    throw new Error(`--shard ${text}: expected I/N with 0 <= I < N <= 10000 (e.g. 0/3, 1/3, 2/3)`);
  }
  return { index, count };
}

export const shardOf = (id: string, count: number): number =>
  createHash('sha256').update(id).digest().readUInt32BE(0) % count;

export const shardDir = (name: string, s: Shard) => `${name}.shard-${s.index}-of-${s.count}`;

export class MergeError extends Error {}

interface BenchJson {
  name: string; config: BenchConfig; host?: string; versions?: Record<string, string>; shard?: Shard;
  invocations?: unknown[]; merged?: unknown;
}

export interface MergeResult { dir: string; runs: number; duplicates: string[]; conflicts: string[]; missing: string[] }

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : x));

/** What a run recorded: two copies of one run folder compare equal; two executions of the same
 *  run never do (their timings differ), so they are a conflict to report. */
const outcome = (r: RunRecord) => canonical({ status: r.status, error: r.error, metrics: r.metrics });

function readBench(dir: string): BenchJson {
  const file = path.join(dir, 'bench.json');
  if (!existsSync(file)) throw new MergeError(`${dir}: not a bench folder (no bench.json)`);
  return JSON.parse(readFileSync(file, 'utf8')) as BenchJson;
}

/** Every difference between two benches that makes their runs incomparable. */
function differences(a: BenchJson, b: BenchJson): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a.config), ...Object.keys(b.config)])) {
    const x = (a.config as unknown as Record<string, unknown>)[k], y = (b.config as unknown as Record<string, unknown>)[k];
    if (canonical(x) !== canonical(y)) out.push(`config.${k}: ${canonical(x)} vs ${canonical(y)}`);
  }
  for (const k of ['commit', '@matrixai/quic', 'quiche', 'node-datachannel', 'node']) {
    const x = a.versions?.[k], y = b.versions?.[k];
    if (x !== y) out.push(`versions.${k}: ${x} vs ${y}`);
  }
  return out;
}

/** Merges shard (or any bench) folders of one config into `out`. Refuses folders of another config
 *  or code version (naming each difference), conflicting duplicates and runs missing from the
 *  matrix, unless `force`; what `force` let through is recorded in bench.json. */
export async function mergeBenches(dirs: string[], out: string, force = false): Promise<MergeResult> {
  if (!dirs.length) throw new MergeError('merge: name at least one bench folder');
  const benches = dirs.map((d) => ({ dir: d, json: readBench(d) }));
  const base = benches[0]!;
  const problems: string[] = [];
  for (const b of benches.slice(1)) {
    const diff = differences(base.json, b.json);
    if (diff.length) problems.push(`${b.dir} differs from ${base.dir}:\n    ${diff.join('\n    ')}`);
  }
  const config = await validateConfig(base.json.config, `${base.dir}/bench.json`);
  const planned = new Set(expand(config).map((r) => r.id));

  const chosen = new Map<string, { record: RunRecord; dir: string }>();
  const duplicates: string[] = [], conflicts: string[] = [];
  for (const b of benches) {
    for (const r of readRecords(b.dir)) {
      if (!planned.has(r.id)) { problems.push(`${b.dir}: run ${r.id} is not in the config's matrix`); continue; }
      const prev = chosen.get(r.id);
      if (!prev) { chosen.set(r.id, { record: r, dir: b.dir }); continue; }
      if (outcome(prev.record) === outcome(r)) { duplicates.push(r.id); continue; }
      conflicts.push(`${r.id}: ${prev.dir} says ${prev.record.status} gap_ms=${prev.record.metrics?.gap_ms ?? '-'}, ` +
        `${b.dir} says ${r.status} gap_ms=${r.metrics?.gap_ms ?? '-'}`);
      // with --force an ok run wins over a failed one; between two ok runs the first folder given wins
      if (prev.record.status === 'failed' && r.status === 'ok') chosen.set(r.id, { record: r, dir: b.dir });
    }
  }
  if (conflicts.length) problems.push(`${conflicts.length} run(s) recorded differently in two folders:\n    ${conflicts.join('\n    ')}`);
  const missing = [...planned].filter((id) => !chosen.has(id));
  if (missing.length) problems.push(`${missing.length} of ${planned.size} planned run(s) in no folder (a shard not run or not finished?): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  if (problems.length && !force) throw new MergeError(`merge refused (--force overrides):\n  ${problems.join('\n  ')}`);

  mkdirSync(path.join(out, 'runs'), { recursive: true });
  for (const [id, c] of chosen) {
    const target = path.join(out, 'runs', id);
    if (path.resolve(c.dir) === path.resolve(out)) continue;
    cpSync(path.join(c.dir, 'runs', id), target, { recursive: true });
    const setAside = path.join(c.dir, 'set-aside', id);   // its earlier attempts (records.ts setAsideAttempt)
    if (existsSync(setAside)) cpSync(setAside, path.join(out, 'set-aside', id), { recursive: true });
  }
  const records = [...chosen.values()].map((c) => c.record).sort((a, b) => a.id.localeCompare(b.id));
  writeCsv(out, records);
  const rttMedian = (dir: string, records: RunRecord[], key: string) => median(records.flatMap((r) => {
    try {
      const meta = JSON.parse(readFileSync(path.join(dir, 'runs', r.id, 'meta.json'), 'utf8')) as { rtts?: Record<string, number> };
      return meta.rtts?.[key] !== undefined ? [meta.rtts[key]!] : [];
    } catch { return []; }
  }));
  writeFileSync(path.join(out, 'bench.json'), JSON.stringify({
    name: config.name, config, versions: base.json.versions,
    merged: {
      at: new Date().toISOString(), forced: force && problems.length ? problems : undefined,
      from: benches.map((b) => {
        const rs = readRecords(b.dir);
        return {
          dir: path.resolve(b.dir), host: b.json.host, shard: b.json.shard, versions: b.json.versions, runs: rs.length,
          calibration: { rttMobileIntermediateMsMedian: rttMedian(b.dir, rs, 'mobileIntermediate'),
            rttIntermediateAnswererMsMedian: rttMedian(b.dir, rs, 'intermediateAnswerer') },
        };
      }),
    },
  }, null, 2));
  return { dir: out, runs: records.length, duplicates, conflicts, missing };
}
