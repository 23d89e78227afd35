// `migbench bench`: a config's whole matrix, resumable, optionally one shard of it.
import path from 'node:path';
import { loadConfig, withCodec } from '../config.ts';
import { REPO } from '../paths.ts';
import { parseShard } from '../shards.ts';
import type { Command } from './flags.ts';
import { benchWithProgress } from './progress.ts';

export const benchCommand: Command = {
  summary: 'run a config\'s whole matrix (resumable; Ctrl-C stops cleanly)',
  usage: `migbench bench [--config FILE] [--retry-failed] [--parallel N] [--codec opus|pcm] [--shard I/N] [--results DIR]
  --config FILE    a bench config (default harness/configs/default.json; docs/bench.md lists the fields)
  --retry-failed   run again the runs recorded as failed (finished runs are always skipped)
  --parallel N     runs at once, or auto: one above the core count, one lower while more than 1/N of a window are noisy
                   (docs/bench.md "Parallel runs"; overrides the config)
  --codec C        the config's matrix with frames of codec C (opus: the bench's default; pcm: as before Opus), into <name>-<C>/,
                   so that a codec's effect is measured on the same day and cells (docs/audio.md)
  --shard I/N      only shard I (0-based) of N: the runs whose id hashes to I; into <name>.shard-I-of-N/
  --results DIR    where bench folders go (default results/)
  Writes results/<name>/runs.csv, runs/<id>/…, bench.json.`,
  options: { config: { type: 'string', default: path.join(REPO, 'harness/configs/default.json') },
    'retry-failed': { type: 'boolean' }, parallel: { type: 'string' }, codec: { type: 'string' }, shard: { type: 'string' },
    results: { type: 'string', default: path.join(REPO, 'results') } },
  async run(v) {
    const config = await loadConfig(v.config as string);
    const shard = v.shard === undefined ? undefined : parseShard(v.shard as string);
    if (v.parallel === 'auto') config.parallel = 'auto';
    else if (v.parallel !== undefined) {
      const n = Number(v.parallel);
      if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`--parallel must be an integer from 1 to 16, got '${v.parallel}'`);
      config.parallel = n;
    }
    return benchWithProgress(v.codec === undefined ? config : withCodec(config, v.codec as string), { retryFailed: Boolean(v['retry-failed']), shard, resultsDir: v.results as string });
  },
};
