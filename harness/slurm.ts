// `migbench slurm`: a bench as a Slurm job array — one task per shard (SLURM_ARRAY_TASK_ID is the
// shard index) — plus a merge job that runs once every task succeeded. Slurm does the scheduling;
// the bench only knows shards (harness/shards.ts). docs/bench.md, "On a cluster".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.ts';
import { shardDir } from './shards.ts';

export interface SlurmPlan {
  config: string;        // absolute path of the bench config
  name: string;          // the config's name
  shards: number;
  cpus: number;          // per task: what one run at a time needs to measure honestly
  resultsDir: string;    // shard folders go here
  out: string;           // the merged bench folder
  partition?: string;
  timeMin?: number;      // per task
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const migbench = `node ${q(path.join(REPO, 'harness/bin/migbench.js'))}`;

export function arrayScript(p: SlurmPlan): string {
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=migbench-${p.name}`,
    `#SBATCH --array=0-${p.shards - 1}`,
    `#SBATCH --cpus-per-task=${p.cpus}`,
    '#SBATCH --ntasks=1',
    ...(p.partition ? [`#SBATCH --partition=${p.partition}`] : []),
    ...(p.timeMin ? [`#SBATCH --time=${p.timeMin}`] : []),
    `#SBATCH --output=${path.join(p.resultsDir, `${p.name}.slurm`, 'shard-%a.log')}`,
    '# One shard per array task; a resubmitted task resumes its shard (finished runs are skipped).',
    'set -euo pipefail',
    `cd ${q(REPO)}`,
    `exec ${migbench} bench --config ${q(p.config)} --shard "$SLURM_ARRAY_TASK_ID/${p.shards}" --results ${q(p.resultsDir)}`,
    '',
  ].join('\n');
}

export function mergeScript(p: SlurmPlan): string {
  const shards = Array.from({ length: p.shards }, (_, i) => q(path.join(p.resultsDir, shardDir(p.name, { index: i, count: p.shards }))));
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=migbench-${p.name}-merge`,
    '#SBATCH --cpus-per-task=1',
    '#SBATCH --ntasks=1',
    ...(p.partition ? [`#SBATCH --partition=${p.partition}`] : []),
    `#SBATCH --output=${path.join(p.resultsDir, `${p.name}.slurm`, 'merge.log')}`,
    'set -euo pipefail',
    `cd ${q(REPO)}`,
    `exec ${migbench} merge --out ${q(p.out)} ${shards.join(' ')}`,
    '',
  ].join('\n');
}

/** Writes both scripts into results/<name>.slurm/ and, unless `dryRun`, submits them: the array,
 *  then the merge with `--dependency=afterok:<array job>`. */
export function submit(p: SlurmPlan, dryRun = false, env: NodeJS.ProcessEnv = process.env) {
  const dir = path.join(p.resultsDir, `${p.name}.slurm`);
  mkdirSync(dir, { recursive: true });
  const arrayFile = path.join(dir, 'array.sbatch'), mergeFile = path.join(dir, 'merge.sbatch');
  writeFileSync(arrayFile, arrayScript(p), { mode: 0o755 });
  writeFileSync(mergeFile, mergeScript(p), { mode: 0o755 });
  if (dryRun) return { dir, arrayFile, mergeFile, arrayJob: null, mergeJob: null };
  const sbatch = (args: string[]) => {
    try {
      return execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', env }).trim().split(';')[0]!;
    } catch (e) {
      const err = e as { code?: string; stderr?: string };
      throw new Error(err.code === 'ENOENT' ? 'sbatch not found: this host is not a Slurm submit host (install slurm-client, or use --dry-run)'
        : `sbatch failed: ${String(err.stderr ?? e).trim()}`);
    }
  };
  const arrayJob = sbatch([arrayFile]);
  const mergeJob = sbatch([`--dependency=afterok:${arrayJob}`, mergeFile]);
  return { dir, arrayFile, mergeFile, arrayJob, mergeJob };
}
