// `migbench cli`: attach to the Mininet CLI of a running interactive run.
import { attachCli, newestCliSocket } from '../mininet-cli.ts';
import type { Command } from './flags.ts';

export const cliCommand: Command = {
  summary: 'Mininet\'s CLI of a running interactive run started with --cli',
  usage: `migbench cli [--socket PATH]
  --socket PATH   the run's CLI socket (default: the newest migbench-*/cli.sock in the temp dir)
Commands as in Mininet (\`nodes\`, \`net\`, \`mobile ip -br addr\`, \`natw ip -s link\` …); exit or Ctrl-D leaves.`,
  options: { socket: { type: 'string' } },
  async run(v) {
    const socket = (v.socket as string | undefined) ?? newestCliSocket();
    if (!socket) { console.error('migbench: no run offers a Mininet CLI: start one with `migbench run --interactive --cli` (make run CLI=1)'); return 1; }
    await attachCli(socket);
    return 0;
  },
};
