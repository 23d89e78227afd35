// `migbench strategies`: the registered strategies and their options.
import { loadStrategy, strategyNames } from '../../strategies/registry.ts';
import type { Command } from './flags.ts';

export const strategiesCommand: Command = {
  summary: 'list the strategies and their options',
  usage: 'migbench strategies',
  options: {},
  async run() {
    for (const name of strategyNames()) {
      const s = await loadStrategy(name);
      console.log(`${name}\n  ${s.describe}`);
      for (const [k, o] of Object.entries(s.options ?? {})) console.log(`  --opt ${k}=…  ${o.describe} (default ${o.default})`);
    }
    return 0;
  },
};
