// `migbench soak` / `make soak`: stamina — N pairs, one intermediate, switching for an hour (harness/soak/soak.ts).
import path from 'node:path';
import { REPO } from '../paths.ts';
import { MAX_PAIRS } from '../spec.ts';
import { MAX_SOAK_MINUTES, runSoak, SETTLE_IN_S, SOAK_DEFAULTS, soakReport } from '../soak/soak.ts';
import { strategyNames } from '../../strategies/registry.ts';
import { parseOpts, type Command } from './flags.ts';

const d = SOAK_DEFAULTS;
export const soakCommand: Command = {
  summary: 'N pairs through one intermediate for a long time, switching uplinks: do memory, descriptors and relay state stay flat?',
  usage: `migbench soak [options]   (docs/hardening.md "Soak")
  --strategy NAME     default ${d.strategy}; one of ${strategyNames().join(', ')}
  --pairs N           answerer/mobile pairs through one intermediate (default ${d.pairs}, at most ${MAX_PAIRS})
  --minutes M         the judged minutes, after --settle-in (default ${d.minutes}, at most ${MAX_SOAK_MINUTES})
  --settle-in S       before the judged minutes, the same switching, not judged: Node's heap reaching its
                      working size (default ${SETTLE_IN_S}; docs/hardening.md "Soak")
  --switch-every S    each mobile switches Wi-Fi → cellular, back, … every S seconds (default ${d.switchEveryS})
  --sample-every S    every role process's RSS and open descriptors, and the intermediate's state (default 60;
                      a soak under 12 minutes: twelve samples over it)
  --link PROFILE      every slot's link (default lan)
  --opt KEY=VALUE     a strategy option (repeatable)
  --bench NAME        results/<NAME>/runs/<run id>/ (default soak); the samples and verdict go to its soak.json
Prints a line per sample, then per role process and quantity the fitted line's rise over the judged
minutes against its tolerance: flat or GROWING. Exit 0 when the run happened as scheduled (every switch
checked from the testbed, no role died) and every series is flat; 1 otherwise.`,
  options: {
    strategy: { type: 'string', default: d.strategy }, pairs: { type: 'string', default: String(d.pairs) },
    minutes: { type: 'string', default: String(d.minutes) }, 'switch-every': { type: 'string', default: String(d.switchEveryS) },
    'sample-every': { type: 'string' }, 'settle-in': { type: 'string' }, link: { type: 'string' },
    opt: { type: 'string', multiple: true }, bench: { type: 'string', default: 'soak' },
  },
  async run(v) {
    const num = (k: string) => {
      const n = Number(v[k]);
      if (!Number.isFinite(n)) throw new Error(`--${k} must be a number, got '${String(v[k])}'`);
      return n;
    };
    const pairs = num('pairs');
    if (!Number.isInteger(pairs) || pairs < 1 || pairs > MAX_PAIRS) throw new Error(`--pairs must be an integer in 1..${MAX_PAIRS}, got ${pairs}`);
    const options = parseOpts(v.opt);
    const link = v.link as string | undefined;
    const r = await runSoak({
      strategy: String(v.strategy), pairs, minutes: num('minutes'), switchEveryS: num('switch-every'),
      ...(v['sample-every'] !== undefined ? { sampleEveryS: num('sample-every') } : {}),
      ...(v['settle-in'] !== undefined ? { settleInS: num('settle-in') } : {}),
      options, ...(link ? { links: { answerer: link, wifi: link, cellular: link } } : {}),
    }, path.join(REPO, 'results', String(v.bench)), (m) => process.stderr.write(`${m}\n`));
    for (const line of soakReport(r)) console.log(line);
    return r.pass ? 0 : 1;
  },
};
