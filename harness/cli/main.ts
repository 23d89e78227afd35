// migbench: the command line of the bench, one module per command; every command answers --help.
// Importing this does nothing: harness/bin/migbench.js calls main().
import { parseArgs } from 'node:util';
import { benchCommand } from './bench.ts';
import { compareCommand } from './compare.ts';
import type { Command } from './flags.ts';
import { figuresCommand } from './figures.ts';
import { mergeCommand } from './merge.ts';
import { cliCommand } from './mininet.ts';
import { relayLoadCommand } from './relay-load.ts';
import { reportCommand } from './report.ts';
import { rescoreCommand } from './rescore.ts';
import { runCommand } from './run.ts';
import { slurmCommand } from './slurm.ts';
import { soakCommand } from './soak.ts';
import { strategiesCommand } from './strategies.ts';
import { calibrateCommand, classifyCommand } from './testbed.ts';

const COMMANDS: Record<string, Command> = {
  run: runCommand, cli: cliCommand, 'relay-load': relayLoadCommand, bench: benchCommand, figures: figuresCommand,
  merge: mergeCommand, slurm: slurmCommand, report: reportCommand, rescore: rescoreCommand, compare: compareCommand, strategies: strategiesCommand, soak: soakCommand,
  'testbed classify': classifyCommand, 'testbed calibrate': calibrateCommand,
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
