// migbench: the command line of the bench. Every command answers --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { withTestbed } from './driver.ts';
import { classifyPresets, DEFAULT_CLASSIFY, linkOptions, SLOTS } from './testbed/commands.ts';

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const linkFlags = Object.fromEntries([['link', { type: 'string' as const }],
  ...SLOTS.map((s) => [`link-${s}`, { type: 'string' as const }])]);

const COMMANDS: Record<string, Command> = {
  'testbed classify': {
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
  },
  'testbed calibrate': {
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
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `migbench — P2P connection-migration bench\n\nusage: migbench <command> [options]   (migbench <command> --help)\n\n` +
    Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = [2, 1].map((n) => words.slice(0, n).join(' ')).find((n) => n in COMMANDS);
  if (!name) {
    const asked = argv.length === 0 || argv.includes('--help') || argv.includes('-h');
    (asked ? console.log : console.error)(help());
    if (!asked) console.error(`\nunknown command: ${words.join(' ') || argv.join(' ')}`);
    return asked ? 0 : 2;
  }
  const cmd = COMMANDS[name]!;
  const rest = argv.slice(argv.indexOf(name.split(' ').pop()!) + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${cmd.usage}`);
    return 2;
  }
  if (parsed.values.help) { console.log(cmd.usage); return 0; }
  return cmd.run(parsed.values, parsed.positionals);
}

// Ctrl-C / kill: exit through the normal path so every open testbed is torn down.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
  console.error(`migbench: ${e.message}`);
  process.exitCode = 1;
});
