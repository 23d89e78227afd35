// `migbench testbed classify|calibrate`: the NAT presets' behaviour, the links' RTTs.
import { withTestbed } from '../driver.ts';
import { classifyPresets, DEFAULT_CLASSIFY, linkOptions, SLOTS } from '../testbed/commands.ts';
import { linkFlags, type Command } from './flags.ts';

export const classifyCommand: Command = {
  summary: 'measure each NAT preset\'s mapping and filtering (RFC 5780 probe)',
  usage: `migbench testbed classify [--presets a,b,…] [--json]
  Builds the mobile topology with the presets in its three NAT slots and probes each from the host
  behind it, using the intermediate's two addresses. Prints: preset  mapping  filtering  (configured).`,
  options: { presets: { type: 'string' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean' } },
  async run(v) {
    const presets = typeof v.presets === 'string' ? v.presets.split(',') : DEFAULT_CLASSIFY;
    const rows = await classifyPresets(presets, Number(v.seed));
    if (v.json) console.log(JSON.stringify(rows));
    let bad = 0;
    for (const r of rows) {
      const same = r.mapping === r.expected.mapping && r.filtering === r.expected.filtering;
      if (!same) bad++;
      if (!v.json) {
        console.log(`${r.preset.padEnd(16)} ${r.mapping.padEnd(5)} ${r.filtering.padEnd(5)}` +
          (same ? '' : `  (configured ${r.expected.mapping} ${r.expected.filtering})`));
      }
    }
    return bad ? 1 : 0;
  },
};

export const calibrateCommand: Command = {
  summary: 'configured vs measured RTT on every path of a topology',
  usage: `migbench testbed calibrate [--link PROFILE] [--link-<slot> PROFILE] [--count N] [--json]
  slots: ${SLOTS.join(', ')}; --link sets answerer, wifi and cellular.
  PROFILE: a name from topologies/presets.json or custom:delay=MS,jitter=MS,loss=PCT,rate=KBIT,…`,
  options: { ...linkFlags, count: { type: 'string', default: '20' }, topology: { type: 'string', default: 'mobile' },
    json: { type: 'boolean' } },
  async run(v) {
    const links = linkOptions(v);
    const rows = await withTestbed({ topology: v.topology as string, links }, async (d, info) => {
      if (!v.json) console.log(`emulation: ${info.emulation}, build ${info.buildMs.toFixed(0)} ms`);
      return d.calibrate(Number(v.count));
    });
    if (v.json) { console.log(JSON.stringify(rows)); return 0; }
    console.log('path                    from            configured  median   error     avg/min/max/mdev');
    for (const r of rows) {
      if (r.median === undefined) { console.log(`${r.path.padEnd(23)} ${(r.source ?? r.host).padEnd(15)} no reply`); continue; }
      const err = r.median - r.configured;
      console.log(`${r.path.padEnd(23)} ${(r.source ?? r.host).padEnd(15)} ${r.configured.toFixed(1).padStart(10)}  ` +
        `${r.median.toFixed(2).padStart(6)}  ${(err >= 0 ? '+' : '') + err.toFixed(2)}    ` +
        `${r.avg!.toFixed(2)}/${r.min!.toFixed(2)}/${r.max!.toFixed(2)}/${r.mdev!.toFixed(2)}`);
    }
    return 0;
  },
};
