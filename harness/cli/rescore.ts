// `migbench rescore`: a bench's metrics computed again from its event logs (harness/rescore.ts).
import path from 'node:path';
import { REPO } from '../paths.ts';
import { rescoreBench } from '../rescore.ts';
import type { Command } from './flags.ts';

export const rescoreCommand: Command = {
  summary: 'compute a bench\'s metrics again from its event logs with the current definitions (after a metric changed)',
  usage: `migbench rescore --bench NAME [--results DIR]
  --bench NAME   a folder under results/ with its run folders (a runs.csv snapshot has no event logs)
  --results DIR  where the bench folder is (default results/)
  Each changed run's meta.json keeps its earlier metrics under \`rescored\` (when, at which commit); runs.csv is rewritten.`,
  options: { bench: { type: 'string' }, results: { type: 'string', default: path.join(REPO, 'results') } },
  async run(v) {
    if (typeof v.bench !== 'string') throw new Error('rescore: --bench NAME is required');
    const dir = path.join(v.results as string, v.bench);
    const r = rescoreBench(dir);
    console.log(`${r.runs} run(s) re-scored, ${r.changed} changed; ${path.join(dir, 'runs.csv')} rewritten`);
    return 0;
  },
};
