// One run = one straight data path (docs/bench.md, docs/metrics.md): build the topology, measure its RTTs, start the
// intermediate, answerer and mobile roles, wait for audio, fire the event at a fixed time,
// observe, stop, merge the event logs, compute the metrics, write the run folder.
import { checkHost } from './preflight.ts';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RoleConfig, Strategy, StrategyRole } from '../strategies/contract.ts';
import type { LogEvent } from '../strategies/shared/events.ts';
import { loadStrategy } from '../strategies/registry.ts';
import { TopologyDriver, type BuildInfo, type Calibration, type EventResult, type HostProcess, type LinkProfile, type LinkSlot, type NatSlot } from './driver.ts';
import { REPO } from './paths.ts';
import { computeMetrics, eventSegments, type RunMetrics } from './metrics.ts';
import { natBehaviour, checkLinkProfile } from './presets.ts';
import { invalidReason, scheduleProblem, startOnFor, verifyScenario, type HarnessLine } from './scenario.ts';
import { eventNames, parseSchedule } from './schedule.ts';

export const EVENTS = ['wifi-to-cellular', 'cellular-to-wifi', 'nat-rebind', 'mapping-timeout', 'answerer-rebind', 'blackout:<s>',
  'intermediate-down:<s>', 'none'];
/** A process fault, fired by the harness rather than the topology: the intermediate is killed
 *  (SIGKILL: no goodbye to anyone) and started again s seconds later. */
const INTERMEDIATE_DOWN = /^intermediate-down:(\d+(\.\d+)?)$/;

export interface RunSpec {
  strategy: string;
  nat: Record<NatSlot, string>;
  links: Partial<Record<LinkSlot, LinkProfile>>;
  event: string;
  seed: number;
  rep: number;
  audio: 'answerer-to-mobile' | 'both';
  jitterBufferMs: number;
  warmupS: number;      // audio flowing before the event (the pre-event window needs 3 s)
  observeS: number;     // after the event
  options: Record<string, string>;
  /** N answerer/mobile pairs through one intermediate (topology pairs:N); absent = 1. */
  pairs?: number;
  /** With pairs: pair k's event fires (k - 1) · staggerMs after pair 1's. */
  staggerMs?: number;
}
/** Each pair is two role processes (~80 MB, a few % of a core each): more would measure the machine. */
export const MAX_PAIRS = 32;

export const DEFAULT_SPEC: Omit<RunSpec, 'strategy'> = {
  nat: { answerer: 'port-restricted', wifi: 'port-restricted', cellular: 'port-restricted' },
  links: {}, event: 'wifi-to-cellular', seed: 1, rep: 0, audio: 'answerer-to-mobile',
  jitterBufferMs: 80, warmupS: 4, observeS: 8, options: {},
};

/** Stable id from the run's parameters and repetition (never from order): the same run always
 *  has the same id, on any machine and in any shard. */
export function runId(spec: RunSpec): string {
  const hash = createHash('sha256').update(JSON.stringify(spec, sortedReplacer)).digest('hex').slice(0, 10);
  return `${spec.strategy}-${spec.event.replace(/[^a-z0-9]+/gi, '').slice(0, 40)}-r${spec.rep}-${hash}`;
}
function sortedReplacer(_k: string, v: unknown): unknown {
  return v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v;
}

/** Checks one event or a schedule of them (harness/schedule.ts), and refuses one that would change nothing. */
export function checkEvent(event: string): void {
  const names = eventNames(event);
  for (const name of names) checkOneEvent(name);
  if (names.length > 1 && names.includes('none')) throw new Error(`'none' cannot be part of a schedule (${event})`);
  const noOp = scheduleProblem(names);
  if (noOp) throw new Error(noOp);
}

function checkOneEvent(event: string): void {
  // nat-rebind, mapping-timeout and blackout act on the current uplink, or on the one after `@`
  const [name, uplink, extra] = event.split('@');
  if (uplink !== undefined && (extra !== undefined || !['wifi', 'cellular'].includes(uplink) || !/^(nat-rebind|mapping-timeout|blackout:.*)$/.test(name!))) {
    throw new Error(`bad event '${event}': only nat-rebind, mapping-timeout and blackout:<s> take @wifi or @cellular`);
  }
  if (name === 'none' || EVENTS.includes(name!)) return;
  if (/^blackout:\d+(\.\d+)?$/.test(name!) || INTERMEDIATE_DOWN.test(name!)) return;
  throw new Error(`unknown event '${event}' (one of ${EVENTS.join(', ')}; nat-rebind, mapping-timeout and blackout:<s> may end in @wifi or @cellular)`);
}

/** Validates everything that can be checked before building a network. */
export async function validateSpec(spec: RunSpec): Promise<void> {
  const strategy = await loadStrategy(spec.strategy);
  for (const v of Object.values(spec.nat)) natBehaviour(v);
  for (const v of Object.values(spec.links)) if (typeof v === 'string') checkLinkProfile(v);
  checkEvent(spec.event);
  const pairs = spec.pairs ?? 1;
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > MAX_PAIRS) throw new Error(`pairs must be an integer from 1 to ${MAX_PAIRS}, got ${spec.pairs}`);
  for (const [k, v] of Object.entries(spec.options)) {
    const problem = optionProblem(strategy, k, v);
    if (problem) throw new Error(problem);
  }
}

/** What is wrong with strategy option k=v, or null. */
export function optionProblem(strategy: Strategy, k: string, v: unknown): string | null {
  const opt = strategy.options?.[k];
  if (!opt) return `strategy ${strategy.name} has no option '${k}' (${Object.keys(strategy.options ?? {}).join(', ') || 'it takes none'})`;
  if (typeof v !== 'string') return `option ${k} of ${strategy.name} must be a string`;
  if (opt.values && !opt.values.includes(v)) return `option ${k} of ${strategy.name}: '${v}' is not one of ${opt.values.join(', ')}`;
  // an option whose default is a number takes numbers (ms, counts)
  if (!opt.values && Number.isFinite(Number(opt.default)) && !(Number(v) >= 0 && v.trim() !== '')) {
    return `option ${k} of ${strategy.name}: '${v}' is not a non-negative number`;
  }
  return null;
}

export interface RunResult { id: string; dir: string; metrics: RunMetrics; meta: Record<string, unknown> }

const ROLES: StrategyRole[] = ['intermediate', 'answerer', 'mobile'];
const SAMPLE = path.join(REPO, 'static/sample.wav');
const CONTROL_PORT = 4433;

/** Every milestone a role process has reported, recorded from its start (startRole), so that
 *  waiting for one that came already resolves at once. */
const reported = new WeakMap<HostProcess, Map<string, Record<string, unknown>>>();

export function milestone(p: HostProcess, what: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const seen = reported.get(p)?.get(what);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${p.host}: no '${what}' after ${timeoutMs} ms`)), timeoutMs);
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

/** The uplinks after the event: the one the mobile's default route uses (the relay floor's
 *  mobile-intermediate RTT), and the one a make-before-break strategy can still use (the standby
 *  floor's direct path): after a Wi-Fi rebind or blackout that is cellular, whose path was warm. */
export function uplinksAfter(event: string): { route: 'wifi' | 'cellular'; surviving: 'wifi' | 'cellular' } {
  const [name, target] = event.split('@');
  if (name === 'wifi-to-cellular') return { route: 'cellular', surviving: 'cellular' };
  if (name === 'cellular-to-wifi') return { route: 'wifi', surviving: 'wifi' };
  const onMobileUplink = /^(nat-rebind|mapping-timeout|blackout:.*)$/.test(name!);
  if (onMobileUplink) return { route: 'wifi', surviving: target === 'cellular' ? 'wifi' : 'cellular' };
  return { route: 'wifi', surviving: 'wifi' };   // answerer-rebind, intermediate-down, none: the mobile's uplinks are untouched
}

export function rttsFor(cal: Calibration[], event: string): { mobileIntermediate?: number; intermediateAnswerer?: number; standby?: number } {
  const median = (p: string) => cal.find((c) => c.path === p)?.median;
  const { route, surviving } = uplinksAfter(event);
  return { mobileIntermediate: median(`${route}+intermediate`), intermediateAnswerer: median('answerer+intermediate'), standby: median(`${surviving}+answerer`) };
}

/** Runs one spec. `signal` (deadline, Ctrl-C) tears the run down at once and rejects with its reason. */
export async function runOnce(spec: RunSpec, benchDir: string, progress: (msg: string) => void = () => {},
  signal?: AbortSignal, drive: Drive = scheduled): Promise<RunResult> {
  await validateSpec(spec);
  checkHost();
  const id = runId(spec);
  const dir = path.join(benchDir, 'runs', id);
  rmSync(dir, { recursive: true, force: true });   // a run that did not finish starts over
  mkdirSync(dir, { recursive: true });
  const harnessLog = path.join(dir, 'events.harness.jsonl');
  writeFileSync(harnessLog, '');
  if (!existsSync(SAMPLE)) throw new Error(`${SAMPLE} is missing: run \`make setup\``);

  const driver = await TopologyDriver.open();
  const procs = new Map<string, HostProcess>();   // by process name: intermediate, answerer, mobile, answerer2, …
  const body = runBody(spec, dir, harnessLog, driver, procs, progress, drive);
  body.catch(() => {});   // after an abort its pending steps fail against a stopped driver
  try {
    if (!signal) return await body;
    if (signal.aborted) throw new Error(String(signal.reason));
    let onAbort!: () => void;
    const abort = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error(String(signal.reason ?? 'aborted')));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try { return await Promise.race([body, abort]); } finally { signal.removeEventListener('abort', onAbort); }
  } finally {
    await driver.stop();
  }
}

/** What happens between "audio flows" and "stop": the fixed schedule of a bench run, or a person
 *  at the keyboard (harness/live.ts). `fire` logs event.fired; the first one is the run's E. */
export interface DriveContext {
  spec: RunSpec; dir: string; info: BuildInfo; calibration: Calibration[];
  fire(name: string): Promise<EventResult>;
  /** Opens Mininet's CLI on a Unix socket; resolves with its path. */
  cli(): Promise<string>;
  /** The run's topology, for drives that do more than fire events (tests: exec, start in a host). */
  driver: TopologyDriver;
  phase(name: string, say?: string): void;
}
export type Drive = (ctx: DriveContext) => Promise<void>;

/** The bench schedule: warm up, fire the event (or each event of a schedule at its offset), observe. */
export const scheduled: Drive = async ({ spec, fire, phase }) => {
  await sleep(spec.warmupS * 1000);
  const start = Date.now();
  const plan = parseSchedule(spec.event);
  for (const [i, e] of plan.entries()) {
    await sleep(start + e.atS * 1000 - Date.now());
    if (e.name !== 'none') await fire(e.name);
    if (i === 0) phase('event', `${plan.length > 1 ? `${plan.length} events` : 'event'} fired; observing ${spec.observeS} s after the last`);
  }
  await sleep(spec.observeS * 1000);
};

async function runBody(spec: RunSpec, dir: string, harnessLog: string, driver: TopologyDriver,
  procs: Map<string, HostProcess>, progress: (msg: string) => void, drive: Drive): Promise<RunResult> {
  const id = path.basename(dir);
  const t0 = Date.now();
  const phases: Record<string, number> = {};   // ms since the run began, where each phase began
  const phase = (name: string, say = name) => { phases[name] = Date.now() - t0; progress(say); };
  {
    phase('build', 'building topology');
    const info: BuildInfo = await driver.build({ topology: (spec.pairs ?? 1) > 1 ? `pairs:${spec.pairs}` : 'mobile', nat: spec.nat, links: spec.links, seed: spec.seed, startOn: startOnFor(eventNames(spec.event)) });
    phase('calibrate', 'measuring RTTs');
    const calibration = await driver.calibrate(10);
    // One pair, or N (topology pairs:N): pair 1 logs into the run folder as always, pair k > 1
    // into pair-k/; the intermediate serves every pairing.
    const n = spec.pairs ?? 1;
    const pairs = Array.from({ length: n }, (_, i) => ({
      k: i + 1,
      answerer: n > 1 ? `answerer${i + 1}` : 'answerer',
      mobile: n > 1 ? `mobile${i + 1}` : 'mobile',
      key: (role: StrategyRole) => (i === 0 ? role : `${role}${i + 1}`),   // its processes' names in `procs`
      dir: i === 0 ? dir : path.join(dir, `pair-${i + 1}`),
      pairing: { id: `pair-${spec.seed}${n > 1 ? `-${i + 1}` : ''}`, secret: randomBytes(16).toString('hex') },
    }));
    const allPairings = pairs.map((p) => p.pairing);
    const interConfig = () => roleConfig(spec, info, 'intermediate', allPairings[0]!, dir, { pairings: allPairings });
    // Every role process ever started, and when it exited: a role that dies inside the observe
    // window fails the run (its frames would otherwise just stop counting).
    const started: { name: string; p: HostProcess; exitedAt?: number; killed?: boolean }[] = [];
    const start = async (name: string, config: RoleConfig, host?: string) => {
      const p = await startRole(driver, config, host);
      const entry: (typeof started)[number] = { name, p };
      started.push(entry);
      void p.exited.then(() => { entry.exitedAt = Date.now(); });
      procs.set(name, p);
      return p;
    };
    await start('intermediate', interConfig());
    phase('roles', 'starting roles');
    await milestone(procs.get('intermediate')!, 'ready', 20000);
    for (const p of pairs) {
      mkdirSync(p.dir, { recursive: true });
      for (const role of ['answerer', 'mobile'] as const) {
        await start(p.key(role), roleConfig(spec, info, role, p.pairing, p.dir, { host: p[role] }), p[role]);
      }
    }
    for (const p of pairs) await milestone(procs.get(p.key('mobile'))!, 'audio', 30000);
    phase('audio', 'audio flowing');
    driver.on('event.restored', (m: { t: number; tIssued: number; name: string }) =>
      appendFileSync(harnessLog, JSON.stringify({ t: m.t, role: 'harness', type: 'event.restored', name: m.name, tIssued: m.tIssued }) + '\n'));
    const logHarness = (e: Record<string, unknown>) => appendFileSync(harnessLog, JSON.stringify({ role: 'harness', ...e }) + '\n');
    const restarts: NodeJS.Timeout[] = [];
    /** intermediate-down:<s>: kill it now, start it again (same config, its log appended) after s seconds. */
    const intermediateDown = async (name: string, seconds: number): Promise<EventResult> => {
      const old = procs.get('intermediate')!;
      started.find((x) => x.p === old)!.killed = true;
      const tIssued = Date.now();
      await old.signal('KILL');
      const code = await old.exited;
      const t = Date.now();
      logHarness({ t, type: 'role.exit', of: 'intermediate', code });
      restarts.push(setTimeout(() => void (async () => {
        const tRestart = Date.now();
        const p = await start('intermediate', interConfig());
        await milestone(p, 'ready', 20000);
        logHarness({ t: Date.now(), type: 'event.restored', name, tIssued: tRestart });
      })().catch((e: Error) => logHarness({ t: Date.now(), type: 'error', message: `restarting the intermediate: ${e.message}` })), seconds * 1000));
      return { name, host: 'intermediate', t, tIssued };
    };
    /** Fires `name` (for every pair, staggered, when there are several); resolves with pair 1's. */
    const fire = async (name: string) => {
      const down = INTERMEDIATE_DOWN.exec(name);
      let first: EventResult | null = null;
      for (const p of down ? [pairs[0]!] : pairs) {
        if (p.k > 1) await sleep(spec.staggerMs ?? 0);
        const ev = down ? await intermediateDown(name, Number(down[1]))
          : await driver.fire(name, n > 1 ? (name === 'answerer-rebind' ? p.answerer : p.mobile) : undefined);
        logHarness({ t: ev.t, type: 'event.fired', name, tIssued: ev.tIssued, ...(n > 1 && !down ? { host: ev.host } : {}) });
        fired.push(ev);
        first ??= ev;
      }
      eventT ??= first!.t;
      return first!;
    };
    let eventT: number | null = null;
    const fired: EventResult[] = [];   // every event of every pair, for the scenario checks
    await drive({ spec, dir, info, calibration, fire, phase, cli: () => driver.cli(), driver });
    const observeEnd = Date.now();
    const died = started.filter((x) => !x.killed && x.exitedAt !== undefined && x.exitedAt < observeEnd);
    // Did the scenario happen? Judged from the testbed before the roles stop (a blackout or an
    // intermediate restart still in progress must not be cut short by the teardown).
    const harnessLines = readFileSync(harnessLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as HarnessLine);
    const checks = await verifyScenario(driver, fired, harnessLines, observeEnd);
    const invalid = invalidReason(checks);
    for (const r of restarts) clearTimeout(r);
    for (const [, p] of [...procs].reverse()) await p.signal('TERM');   // mobiles first, the intermediate last
    let grace: NodeJS.Timeout | undefined;   // roles get 8 s to flush and exit; the driver kills the rest
    await Promise.race([Promise.all([...procs.values()].map((p) => p.exited)), new Promise((r) => { grace = setTimeout(r, 8000); })]);
    clearTimeout(grace);
    for (const [role, p] of procs) {   // how each role ended: a crash or a hang at exit is worth knowing
      const code = await Promise.race([p.exited, Promise.resolve('still running: killed')]);
      logHarness({ t: Date.now(), type: 'role.exit', of: role, code });
    }
    phases.stopped = Date.now() - t0;
    const rtts = rttsFor(calibration, eventNames(spec.event)[0]!);
    const params = {
      jitterBufferMs: spec.jitterBufferMs, observeEndMs: observeEnd,
      rttMobileIntermediateMs: rtts.mobileIntermediate, rttIntermediateAnswererMs: rtts.intermediateAnswerer, rttStandbyMs: rtts.standby,
    };
    const metrics = computeMetrics(mergeLogs(dir), params);
    // a schedule of several events: what each one cost (pair 1's)
    const perEvent = fired.length > 1 && n === 1 ? eventSegments(mergeLogs(dir), params) : undefined;
    // Pair k > 1: its own roles' logs, the intermediate's, and the harness's with only its own event.
    const pairMetrics = n > 1 ? pairs.map((p) => ({
      pair: p.k,
      metrics: p.k === 1 ? metrics : computeMetrics([
        ...mergeLogs(dir).filter((e) => e.role === 'intermediate' || (e.role === 'harness' && (e.type !== 'event.fired' || !e.host || e.host === p.mobile || e.host === p.answerer))),
        ...mergeLogs(p.dir).filter((e) => e.role === 'answerer' || e.role === 'mobile'),
      ].sort((a, b) => a.t - b.t), params),
    })) : undefined;
    const status = invalid ? 'invalid' : died.length ? 'failed' : 'ok';
    const error = invalid ? `scenario did not happen: ${invalid}` : died.length ? `role ${died.map((x) => `${x.name} exited at ${((x.exitedAt! - (eventT ?? observeEnd)) / 1000).toFixed(1)} s after the event`).join(', ')}, before the observe window ended` : undefined;
    const meta = { id, label: spec.strategy, status, ...(error ? { error } : {}), spec, eventT, observeEnd, phases, checks, perEvent, emulation: info.emulation, buildMs: info.buildMs, calibration, rtts, topology: info, pairs: pairMetrics };
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ ...meta, metrics }, null, 2));
    return { id, dir, metrics, meta };
  }
}

/** A role's context. `host`: the host it runs in when that is not named after the role (pairs:N);
 *  `pairings`: every pairing, for the intermediate of several pairs. */
export function roleConfig(spec: RunSpec, info: BuildInfo, role: StrategyRole, pairing: { id: string; secret: string },
  dir: string, opts: { host?: string; pairings?: { id: string; secret: string }[] } = {}): RoleConfig {
  return {
    strategy: spec.strategy, role, runDir: dir,
    intermediate: { addrs: info.intermediate, controlPort: CONTROL_PORT },
    pairings: opts.pairings ?? [pairing],
    uplinks: role === 'intermediate' ? [] : info.hosts[opts.host ?? role]!.map((u) => ({ name: u.name, dev: u.dev, addr: u.addr, gateway: u.gateway })),
    audio: { direction: spec.audio, sample: SAMPLE, jitterBufferMs: spec.jitterBufferMs },
    options: spec.options, seed: spec.seed,
  };
}

/** Starts a role process in its host; its stderr goes to stderr.<role>.log in its run folder. */
export async function startRole(driver: TopologyDriver, config: RoleConfig, host: string = config.role): Promise<HostProcess> {
  const file = path.join(config.runDir, `context.${config.role}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const argv = [process.execPath, '--import', 'tsx', path.join(REPO, 'strategies/run-role.ts'), config.strategy, config.role, file];
  const p = await driver.start(host, argv, { cwd: REPO });
  const seen = new Map<string, Record<string, unknown>>();
  reported.set(p, seen);
  p.on('stdout', (line: string) => {
    try { const m = JSON.parse(line); if (typeof m.milestone === 'string' && !seen.has(m.milestone)) seen.set(m.milestone, m); } catch { /* not a milestone */ }
  });
  p.on('stderr', (line: string) => appendFileSync(path.join(config.runDir, `stderr.${config.role}.log`), line + '\n'));
  return p;
}

export function mergeLogs(dir: string): LogEvent[] {
  const events: LogEvent[] = [];
  for (const role of ['harness', ...ROLES]) {
    const file = path.join(dir, `events.${role}.jsonl`);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try { events.push(JSON.parse(line) as LogEvent); } catch { /* a line cut by a kill: skip it */ }
    }
  }
  return events.sort((a, b) => a.t - b.t);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
