// `migbench merge`: shard folders of one config into one bench folder (harness/shards.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../paths.ts';
import { MergeError, mergeBenches } from '../shards.ts';
import type { Command } from './flags.ts';

export const mergeCommand: Command = {
  summary: 'merge shard folders of one config into one bench folder (refuses other configs or code versions)',
  usage: `migbench merge [--out DIR] [--force] DIR…
  DIR…          bench folders, e.g. results/NAME.shard-0-of-3 … (any bench folders of one config)
  --out DIR     the merged bench folder (default results/<config name>)
  --force       merge despite other configs/versions, conflicting duplicates or missing runs (recorded in bench.json)`,
  options: { out: { type: 'string' }, force: { type: 'boolean' } },
  async run(v, dirs) {
    if (!dirs.length) throw new Error('merge: name the bench folders to merge (see --help)');
    try {
      const name = JSON.parse(readFileSync(path.join(dirs[0]!, 'bench.json'), 'utf8')).name as string;
      const r = await mergeBenches(dirs, (v.out as string | undefined) ?? path.join(REPO, 'results', name), Boolean(v.force));
      if (r.duplicates.length) console.error(`${r.duplicates.length} identical duplicate(s) kept once: ${r.duplicates.join(', ')}`);
      if (r.conflicts.length) console.error(`--force: ${r.conflicts.length} conflict(s) recorded in bench.json:\n  ${r.conflicts.join('\n  ')}`);
      console.log(`${r.runs} run(s) merged into ${path.join(r.dir, 'runs.csv')}`);
      return 0;
    } catch (e) {
      if (e instanceof MergeError || (e as NodeJS.ErrnoException).code === 'ENOENT') { console.error(`migbench: ${(e as Error).message}`); return 1; }
      throw e;
    }
  },
};
