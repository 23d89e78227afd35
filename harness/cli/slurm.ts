// `migbench slurm`: a bench as a Slurm job array plus a merge job (harness/slurm.ts).
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { REPO } from '../paths.ts';
import { submit } from '../slurm.ts';
import type { Command } from './flags.ts';

export const slurmCommand: Command = {
  summary: 'submit a bench as a Slurm job array (one task per shard) plus a merge job',
  usage: `migbench slurm --config FILE --shards N [--cpus C] [--partition P] [--time MIN] [--results DIR] [--out DIR] [--dry-run]
  --shards N      array tasks; task I runs \`migbench bench --shard I/N\`
  --cpus C        CPUs per task (default 2: one run at a time, with room for its emulators)
  --results DIR   shard folders (default results/; must be shared by the nodes)
  --out DIR       merged bench (default <results>/<config name>)
  --dry-run       write the sbatch scripts, submit nothing
  Resubmit a failed shard: sbatch --array=I <results>/<name>.slurm/array.sbatch, then sbatch <…>/merge.sbatch.`,
  options: { config: { type: 'string' }, shards: { type: 'string' }, cpus: { type: 'string', default: '2' }, partition: { type: 'string' },
    time: { type: 'string' }, results: { type: 'string', default: path.join(REPO, 'results') }, out: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(v) {
    if (!v.config) throw new Error('slurm: --config FILE is required');
    const int = (flag: string, lo: number, hi: number) => {
      const n = Number(v[flag]);
      if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${flag} must be an integer from ${lo} to ${hi}, got '${v[flag]}'`);
      return n;
    };
    const configFile = path.resolve(v.config as string);
    const config = await loadConfig(configFile);
    const resultsDir = path.resolve(v.results as string);
    const r = submit({
      config: configFile, name: config.name, shards: int('shards', 1, 10000), cpus: int('cpus', 1, 1024),
      partition: v.partition as string | undefined, timeMin: v.time === undefined ? undefined : int('time', 1, 100000),
      resultsDir, out: path.resolve((v.out as string | undefined) ?? path.join(resultsDir, config.name)),
    }, Boolean(v['dry-run']));
    console.log(`scripts: ${r.arrayFile}\n         ${r.mergeFile}`);
    if (r.arrayJob) console.log(`submitted array job ${r.arrayJob}, merge job ${r.mergeJob} (afterok)`);
    return 0;
  },
};
