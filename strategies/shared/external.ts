// A program a strategy's role runs beside itself (coturn today; the deployed stacks next: nebula, a
// browser): started so that it dies with the role even on SIGKILL (PR_SET_PDEATHSIG through setpriv),
// its output in the run folder (<name>.log), ready when a probe says so, an unexpected exit logged
// as an error, and stopped with SIGTERM, then SIGKILL after a grace, and reaped before the role
// stops, so that its CPU time is in the role's (run-role.ts). docs/strategies.md "Shared pieces".
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { RoleContext } from '../contract.ts';

export interface ExternalSpec {
  /** Names the log file (<runDir>/<name>.log) and the errors. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Ready when this line appears in its output (stdout or stderr)... */
  readyLine?: RegExp;
  /** ...and/or when this resolves (e.g. it answers on its port). */
  ready?: () => Promise<void>;
  readyTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL. */
  graceMs?: number;
  /** Every whole line of its output (stdout or stderr), for a strategy that reads the program's state
   *  from its log (nebula's tunnels). */
  onLine?: (line: string) => void;
}

export interface External {
  pid: number;
  /** Its exit code (null: killed by a signal), once it has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const DEFAULT_READY_MS = 5000;
const DEFAULT_GRACE_MS = 2000;

type Ctx = Pick<RoleContext, 'runDir' | 'log' | 'signal'>;

/** Starts the program and resolves once it is ready; rejects (with it stopped) if it exits or is not
 *  ready in time. */
export async function startExternal(ctx: Ctx, spec: ExternalSpec): Promise<External> {
  const out = createWriteStream(path.join(ctx.runDir, `${spec.name}.log`), { flags: 'a' });
  const proc = spawn('setpriv', ['--pdeathsig', 'KILL', spec.command, ...spec.args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: spec.env ?? process.env });
  let stopping = false;
  let seen = '';
  let sawLine: (() => void) | null = null;
  for (const stream of [proc.stdout, proc.stderr]) {
    let partial = '';
    stream.on('data', (d: Buffer) => {
      out.write(d);
      if (spec.onLine) {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) spec.onLine(line);
      }
      if (!spec.readyLine || !sawLine) return;
      seen = (seen + d.toString()).slice(-4096);   // a line may come in pieces
      if (spec.readyLine.test(seen)) sawLine();
    });
  }
  // Resolved once its log file is flushed too: a reader after the exit sees the whole output.
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => out.end(() => resolve(code))));
  proc.once('exit', (code, sig) => {
    if (!stopping && !ctx.signal.aborted) ctx.log.log('error', { message: `${spec.name} exited (${code ?? sig})` });
  });
  const stop = async () => {
    stopping = true;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), spec.graceMs ?? DEFAULT_GRACE_MS);
      await exited;
      clearTimeout(kill);
    } else await exited;
  };
  const spawned = new Promise<void>((resolve, reject) => { proc.once('spawn', resolve); proc.once('error', reject); });
  const line = spec.readyLine ? new Promise<void>((resolve) => { sawLine = resolve; }) : Promise.resolve();
  const timeoutMs = spec.readyTimeoutMs ?? DEFAULT_READY_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    await spawned;
    const died = exited.then((code) => Promise.reject(new Error(`${spec.name} exited (${code}) before it was ready; see ${spec.name}.log`)));
    died.catch(() => {});   // once it is ready, a later exit is the exit handler's to report
    await Promise.race([
      Promise.all([line, spec.ready?.()]),
      died,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${spec.name} not ready within ${timeoutMs} ms; see ${spec.name}.log`)), timeoutMs); }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { pid: proc.pid!, exited, stop };
}
