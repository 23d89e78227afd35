// `migbench report`: the self-contained HTML report, or the summary as markdown (harness/report.ts).
import path from 'node:path';
import { REPO } from '../paths.ts';
import { benchRecords } from '../records.ts';
import { existsSync, readFileSync } from 'node:fs';
import { pivotMarkdown, summaryMarkdown, writeReport } from '../report.ts';
import { columnsMarkdown } from '../report-columns.ts';
import { heardMarkdown } from '../report-heard.ts';
import { inaudibleMarkdown } from '../report-inaudible.ts';
import type { Command } from './flags.ts';

export const reportCommand: Command = {
  summary: 'write reports/<bench>/index.html (self-contained, works offline)',
  usage: `migbench report [--bench NAME] [--results DIR] [--markdown [--pivot | --heard | --inaudible | --columns A,B,…]]
  --bench NAME   a folder under results/ (default: default): its run folders, or only runs.csv + bench.json
  --results DIR  where the bench folder is (default results/; docs/data holds the snapshots behind docs' tables)
  --markdown     print the summary table as markdown (the tables in docs/ are made so) instead of writing HTML
  --pivot        with --markdown: a row per strategy, a column per NAT × event (ok/N · gap / recovery / switch / direct medians)
  --heard        with --markdown: per event, per strategy × NAT: gap, audible_ms, MOS before and through the event, media bytes and overheads in % of them
  --inaudible    with --markdown: per event, per strategy × NAT: runs a listener heard the change in (x/N), the MOS drop through it, extra_pct (issue 29's goal)
  --columns A,B  with --markdown: medians of these runs.csv columns per group (what varies: strategy, NATs, links, event, pairs)`,
  options: { bench: { type: 'string', default: 'default' }, results: { type: 'string', default: path.join(REPO, 'results') }, markdown: { type: 'boolean' }, pivot: { type: 'boolean' }, heard: { type: 'boolean' }, inaudible: { type: 'boolean' }, columns: { type: 'string' } },
  async run(v) {
    if ((v.pivot || v.columns || v.heard || v.inaudible) && !v.markdown) throw new Error('--pivot, --heard, --inaudible and --columns go with --markdown');
    if ([v.pivot, v.columns, v.heard, v.inaudible].filter(Boolean).length > 1) throw new Error('one of --pivot, --heard, --inaudible, --columns');
    if (v.markdown) {
      const dir = path.join(v.results as string, v.bench as string);
      if (typeof v.columns === 'string') {
        const csv = path.join(dir, 'runs.csv');
        if (!existsSync(csv)) throw new Error(`no ${csv}`);
        console.log(columnsMarkdown(readFileSync(csv, 'utf8'), v.columns.split(',').filter(Boolean)));
        return 0;
      }
      const records = benchRecords(dir);
      if (!records.length) throw new Error(`no runs in ${dir} (neither run folders nor runs.csv)`);
      console.log(v.pivot ? pivotMarkdown(records) : v.heard ? heardMarkdown(records) : v.inaudible ? inaudibleMarkdown(records) : summaryMarkdown(records));
      return 0;
    }
    const file = await writeReport(v.bench as string, v.results as string);
    console.log(file);
    return 0;
  },
};
