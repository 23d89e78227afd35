// `--cli`: Mininet's CLI beside the live view. The topology driver's stdio is its JSON channel, so
// the driver serves the CLI on a Unix socket in its run dir (topologies/driver.py `cli`), and
// `migbench cli` joins a terminal to it — in a tmux pane next to the live view when run in tmux.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './paths.ts';

const SOCKET = 'cli.sock';

/** The command that attaches a terminal to the CLI at `socket`. */
export const cliCommand = (socket: string) => `node ${path.join(REPO, 'harness/bin/migbench.js')} cli --socket ${socket}`;

/** Opens the CLI pane if inside tmux; returns the line the live view shows about it. */
export function offerCli(socket: string): string {
  if (process.env.TMUX && spawnSync('tmux', ['split-window', '-h', '-d', cliCommand(socket)]).status === 0) {
    return `Mininet CLI: in the tmux pane beside this one (prefix + arrow to switch)`;
  }
  return `Mininet CLI: \`${cliCommand(socket)}\` in another terminal (exit or Ctrl-D leaves it)`;
}

/** The CLI socket of the most recently started run that offers one, or null. */
export function newestCliSocket(dir = tmpdir()): string | null {
  const socks = readdirSync(dir).filter((d) => d.startsWith('migbench-')).map((d) => path.join(dir, d, SOCKET)).filter(existsSync);
  return socks.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0] ?? null;
}

/** Joins this process's stdin/stdout to the CLI until either side ends. */
export async function attachCli(socket: string, input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout): Promise<void> {
  const conn = net.connect(socket);
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', (e) => reject(new Error(`cannot reach the Mininet CLI at ${socket} (${(e as NodeJS.ErrnoException).code}): ` +
      'is an interactive run with --cli still going?')));
  });
  input.pipe(conn);
  conn.pipe(output, { end: false });
  await new Promise((r) => conn.once('close', r));
  input.unpipe(conn);
  (input as NodeJS.ReadStream).pause?.();
}
