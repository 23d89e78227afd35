// `migbench compare`: the fidelity check of a fast bench against a slow one (harness/fidelity-compare.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { benchHostLatency, hostDifferences } from '../host-latency.ts';
import { compareBenches, comparisonLines } from '../fidelity-compare.ts';
import { REPO } from '../paths.ts';
import { benchRecords } from '../records.ts';
import type { Command } from './flags.ts';

export const compareCommand: Command = {
  summary: 'compare two benches of the same cells cell by cell (fast vs slow: the fidelity check)',
  usage: `migbench compare --fast NAME --slow NAME [--results DIR]
  --fast NAME, --slow NAME   bench folders under results/ (or snapshots under docs/data with --results docs/data)
  Prints, per cell and metric (gap_ms, recovery_ms, direct_ms), both medians and whether they agree
  within 10 % or one frame (20 ms); exits 1 if any does not. make fidelity runs both benches and this.
  Warns when the two benches' hosts reacted differently (bench.json hostLatency beyond its tolerance:
  docs/bench.md "Host latencies").`,
  options: { fast: { type: 'string' }, slow: { type: 'string' }, results: { type: 'string', default: path.join(REPO, 'results') } },
  async run(v) {
    if (typeof v.fast !== 'string' || typeof v.slow !== 'string') throw new Error('compare: --fast NAME and --slow NAME are required');
    const rows = compareBenches(benchRecords(path.join(v.results as string, v.fast)), benchRecords(path.join(v.results as string, v.slow)));
    if (!rows.length) throw new Error(`compare: ${v.fast} and ${v.slow} share no cell`);
    console.log(comparisonLines(rows).join('\n'));
    const host = (name: string) => {
      const file = path.join(v.results as string, name, 'bench.json');
      return existsSync(file) ? benchHostLatency(JSON.parse(readFileSync(file, 'utf8'))) : null;
    };
    const [fast, slow] = [host(v.fast), host(v.slow)];
    const differ = fast && slow ? hostDifferences(fast, slow) : [];
    if (differ.length) console.error(`warning: the two benches' hosts react differently (harness/host-latency.ts): ${differ.join('; ')} — detect_ms and what follows from it can differ for that alone`);
    return rows.every((r) => r.same) ? 0 : 1;
  },
};
