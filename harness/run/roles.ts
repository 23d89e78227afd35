// Role processes: the context each role reads (RoleConfig), starting one in its host, and the
// milestones it prints on stdout (`{"milestone": "ready"}`, `"audio"`) that the run waits for.
import { appendFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PCM } from '../../core/codec.ts';
import type { RoleConfig, StrategyRole } from '../../strategies/contract.ts';
import type { BuildInfo, HostProcess, TopologyDriver } from '../driver.ts';
import { REPO } from '../paths.ts';
import type { RunSpec } from '../spec.ts';

export const SAMPLE = path.join(REPO, 'static/sample.wav');
const BUILD = path.join(REPO, '.build');
export const BUILD_STAMP = path.join(BUILD, 'stamp');

/** The newest mtime of the files the compiled roles come from. */
function newestSource(): number {
  let newest = Math.max(...['tsconfig.json', 'Makefile'].map((f) => statSync(path.join(REPO, f)).mtimeMs));
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const dir of ['strategies', 'core']) walk(path.join(REPO, dir));
  return newest;
}

/** How a role process starts: from the bundle `make setup` makes in .build/roles/ while it is newer
 *  than every source file (neither transpiling nor Node's module loader at each process start:
 *  docs/bench.md, "Phases"), else from the TypeScript through tsx — never from a stale copy. */
export function roleArgv(): string[] {
  const fresh = existsSync(BUILD_STAMP) && statSync(BUILD_STAMP).mtimeMs >= newestSource();
  return fresh ? [process.execPath, path.join(BUILD, 'roles/run-role.js')]
    : [process.execPath, '--import', 'tsx', path.join(REPO, 'strategies/run-role.ts')];
}
const CONTROL_PORT = 4433;

/** Every milestone a role process has reported, recorded from its start (startRole), so that
 *  waiting for one that came already resolves at once. */
const reported = new WeakMap<HostProcess, Map<string, Record<string, unknown>>>();

/** `limit`: the setting that bounds the wait, named in the error so that a researcher knows what to raise. */
export function milestone(p: HostProcess, what: string, timeoutMs: number, limit?: string): Promise<Record<string, unknown>> {
  const seen = reported.get(p)?.get(what);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${p.host}: no '${what}' after ${timeoutMs} ms${limit ? ` (${limit})` : ''}`)), timeoutMs);
    const onLine = (line: string) => {
      try {
        const m = JSON.parse(line);
        if (m.milestone === what) { clearTimeout(timer); p.off('stdout', onLine); resolve(m); }
      } catch { /* not ours */ }
    };
    p.on('stdout', onLine);
    void p.exited.then((code) => { clearTimeout(timer); reject(new Error(`${p.host} role exited (${code}) before '${what}'`)); });
  });
}

/** A role's context. `host`: the host it runs in when that is not named after the role (pairs:N);
 *  `pairings`: every pairing, for the intermediate of several pairs. */
export function roleConfig(spec: RunSpec, info: BuildInfo, role: StrategyRole, pairing: { id: string; secret: string },
  dir: string, opts: { host?: string; pairings?: { id: string; secret: string }[] } = {}): RoleConfig {
  return {
    strategy: spec.strategy, role, runDir: dir,
    intermediate: { addrs: info.intermediate, addrs6: info.intermediate6, controlPort: CONTROL_PORT },
    pairings: opts.pairings ?? [pairing],
    uplinks: role === 'intermediate' ? [] : info.hosts[opts.host ?? role]!.map((u) => ({ name: u.name, dev: u.dev, addr: u.addr, gateway: u.gateway })),
    audio: { direction: spec.audio, sample: SAMPLE, jitterBufferMs: spec.jitterBufferMs, codec: spec.codec ?? PCM, playout: spec.playout ?? 'fixed' },
    options: spec.options, seed: spec.seed,
  };
}

/** Starts a role process in its host; its stderr goes to stderr.<role>.log in its run folder. */
export async function startRole(driver: TopologyDriver, config: RoleConfig, host: string = config.role,
  env: Record<string, string> = {}): Promise<HostProcess> {
  const file = path.join(config.runDir, `context.${config.role}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const argv = [...roleArgv(), config.strategy, config.role, file];
  const p = await driver.start(host, argv, { cwd: REPO, env });
  const seen = new Map<string, Record<string, unknown>>();
  reported.set(p, seen);
  p.lines('stdout', (line) => {
    try { const m = JSON.parse(line); if (typeof m.milestone === 'string' && !seen.has(m.milestone)) seen.set(m.milestone, m); } catch { /* not a milestone */ }
  });
  p.lines('stderr', (line) => appendFileSync(path.join(config.runDir, `stderr.${config.role}.log`), line + '\n'));
  return p;
}

/** Every role process a run started, by name (intermediate, answerer, mobile, answerer2, …), and
 *  when each exited: a role that dies inside the observe window fails the run (its frames would
 *  otherwise just stop counting). */
export class RoleProcesses {
  private readonly started: { name: string; p: HostProcess; exitedAt?: number; killed?: boolean }[] = [];
  /** The newest process of each name. */
  readonly byName = new Map<string, HostProcess>();
  /** `envOf`: what a role's environment gets besides the driver's (a captured run's key log). */
  constructor(private readonly driver: TopologyDriver, private readonly envOf: (c: RoleConfig) => Record<string, string> = () => ({})) {}

  /** `hold`: the process loads and waits ('loaded') until `go` (strategies/run-role.ts). */
  async start(name: string, config: RoleConfig, host?: string, hold = false): Promise<HostProcess> {
    const p = await startRole(this.driver, config, host, { ...this.envOf(config), ...(hold ? { MIGBENCH_HOLD: '1' } : {}) });
    const entry: (typeof this.started)[number] = { name, p };
    this.started.push(entry);
    void p.exited.then(() => { entry.exitedAt = Date.now(); });
    this.byName.set(name, p);
    return p;
  }

  /** A held role goes on once it has loaded. */
  async go(p: HostProcess): Promise<void> {
    await milestone(p, 'loaded', 20000);
    await p.signal('USR2');
  }

  /** Kills `name` on purpose (a fault): its exit does not fail the run. Resolves with the exit code. */
  async kill(name: string): Promise<number> {
    const p = this.byName.get(name)!;
    this.started.find((x) => x.p === p)!.killed = true;
    await p.signal('KILL');
    return p.exited;
  }

  /** Roles that exited by themselves before `t`. */
  diedBefore(t: number): { name: string; exitedAt: number }[] {
    return this.started.filter((x) => !x.killed && x.exitedAt !== undefined && x.exitedAt < t).map((x) => ({ name: x.name, exitedAt: x.exitedAt! }));
  }

  /** SIGTERM to every role (mobiles first, the intermediate last), 8 s to flush and exit (the
   *  driver kills the rest); `exited` hears how each ended: a crash or a hang at exit is worth knowing. */
  async stop(exited: (role: string, code: number | string) => void): Promise<void> {
    const procs = [...this.byName];
    for (const [, p] of [...procs].reverse()) await p.signal('TERM');
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(procs.map(([, p]) => p.exited)), new Promise((r) => { grace = setTimeout(r, 8000); })]);
    clearTimeout(grace);
    for (const [role, p] of procs) exited(role, await Promise.race([p.exited, Promise.resolve('still running: killed')]));
  }
}
