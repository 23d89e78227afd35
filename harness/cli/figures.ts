// `migbench figures`: the pinned figure configs, then the SVG + PDF + CSV + README (harness/figures.ts).
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { FIGURE_CONFIGS, FIGURES_DIR, writeFigures, type Figure } from '../figures.ts';
import { REPO } from '../paths.ts';
import type { Command } from './flags.ts';
import { benchWithProgress } from './progress.ts';

export const figuresCommand: Command = {
  summary: 'run the pinned figure configs (resumable) and write reports/figures/*.svg + .pdf + CSV + README.md',
  usage: `migbench figures [--only 1|2|3|4] [--render-only]
  --only N         one figure (1: relay-repunch vs ICE restart; 2: QUIC migration vs reconnect against RTT and loss;
                   3: phone-like handovers beside the field; 4: the original's claim against libwebrtc, iroh, nebula)
  --render-only    draw from the results already there, run nothing
  Configs: harness/configs/figure*.json (fixed seeds); results in results/figure*/, like any bench.`,
  options: { only: { type: 'string' }, 'render-only': { type: 'boolean' } },
  async run(v) {
    const only = v.only as Figure | undefined;
    if (only !== undefined && !(only in FIGURE_CONFIGS)) throw new Error(`--only must be one of ${Object.keys(FIGURE_CONFIGS).join(', ')}, got '${only}'`);
    if (!v['render-only']) {
      for (const [fig, files] of Object.entries(FIGURE_CONFIGS)) {
        if (only && fig !== only) continue;
        for (const file of files) {
          process.stderr.write(`figure ${fig}: ${file}\n`);
          const code = await benchWithProgress(await loadConfig(path.join(REPO, 'harness/configs', file)));
          if (code) return code;
        }
      }
    }
    const r = await writeFigures(undefined, FIGURES_DIR, only);
    console.log(r.notes);
    console.log(`wrote ${r.files.map((f) => path.join(FIGURES_DIR, f)).join('\n      ')}`);
    return 0;
  },
};
