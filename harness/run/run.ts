// One run as a straight data path (docs/bench.md, docs/metrics.md): scenario → topology → roles →
// events → metrics → record. Build the topology, measure its RTTs, start the intermediate, answerer
// and mobile roles, wait for audio, drive the events, check the scenario happened, stop, compute
// the metrics from the merged event logs, write meta.json.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildInfo, BuildOptions, Calibration, EventResult, HostProcess, TopologyDriver } from '../driver.ts';
import { OWN_DRIVER, type Drivers } from './drivers.ts';
import { keylogFile, startCaptures } from './capture.ts';
import { captureChecks } from './capture-checks.ts';
import { writeQlogs } from '../qlog.ts';
import type { RunMetrics } from '../metrics.ts';
import { checkHandlers, parseEvent, routeAfter, startOnFor, uplinksAfter } from '../network-events.ts';
import { ipv4Failure, withIpv4Context } from '../ip-plan.ts';
import { loadStrategy } from '../../strategies/registry.ts';
import { resolveOptions } from '../../strategies/contract.ts';
import { checkHost } from '../preflight.ts';
import { invalidReason, lateOnly, verifyScenario } from '../scenario.ts';
import { eventNames } from '../schedule.ts';
import { scheduled, sleep, type Drive } from './drive.ts';
import { IntermediateFault } from './faults.ts';
import { fidelityOf } from './fidelity.ts';
import { HarnessLog } from './logs.ts';
import { mergeLogs } from '../event-logs.ts';
import { planPairs } from '../pairs.ts';
import { scoreRun } from '../score.ts';
import { settleFrom, settleWatch } from './settle.ts';
import { milestone, RoleProcesses, roleConfig, SAMPLE } from './roles.ts';
import { DEFAULT_START_S, runId, validateSpec, type RunSpec } from '../spec.ts';

export interface RunResult { id: string; dir: string; metrics: RunMetrics; meta: Record<string, unknown> }

export interface RunOptions {
  progress?: (msg: string) => void;
  /** Deadline, Ctrl-C: tears the run down at once and rejects with its reason. */
  signal?: AbortSignal;
  /** What happens between audio and the end: the schedule (default) or a live session. */
  drive?: Drive;
  /** Where the run's topology driver comes from and goes (a bench's DriverPool); default: opened
   *  for the run and stopped before it returns. */
  drivers?: Drivers;
  /** Packet captures and TLS key logs in the run folder (harness/run/capture.ts). */
  capture?: boolean;
}

/** Runs one spec. */
export async function runOnce(spec: RunSpec, benchDir: string, opts: RunOptions = {}): Promise<RunResult> {
  const { progress = () => {}, signal, drive = scheduled, drivers = OWN_DRIVER, capture = false } = opts;
  await validateSpec(spec);
  checkHost();
  const dir = path.join(benchDir, 'runs', runId(spec));
  rmSync(dir, { recursive: true, force: true });   // a run that did not finish starts over
  mkdirSync(dir, { recursive: true });
  if (!existsSync(SAMPLE)) throw new Error(`${SAMPLE} is missing: run \`make setup\``);

  const t0 = Date.now();
  progress('building topology');
  const { driver, info } = await drivers.take(topologyOf(spec));
  const body = runBody(spec, dir, driver, info, t0, progress, drive, capture);
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
    await drivers.release(driver);
  }
}

/** Whether the run's events give the mobile a new public endpoint: another uplink, or its NAT's new
 *  ports (the capture's new-address check). */
const newEndpoint = (event: string) => eventNames(event).some((e) => e !== 'none' && (parseEvent(e).kind.switchTo !== undefined || parseEvent(e).kind.remaps === true));

/** The floors' RTTs (docs/metrics.md): on the uplinks that carry traffic after the first event. */
export function rttsFor(cal: Calibration[], event: string): { mobileIntermediate?: number; intermediateAnswerer?: number; standby?: number } {
  const median = (p: string) => cal.find((c) => c.path === p)?.median;
  const { route, surviving } = uplinksAfter(event);
  return { mobileIntermediate: median(`${route}+intermediate`), intermediateAnswerer: median('answerer+intermediate'), standby: median(`${surviving}+answerer`) };
}

/** The topology a run needs: a bench builds the next one ahead (harness/run/drivers.ts). */
export function topologyOf(spec: RunSpec): BuildOptions {
  return { topology: (spec.pairs ?? 1) > 1 ? `pairs:${spec.pairs}` : 'mobile', nat: spec.nat, links: spec.links, seed: spec.seed, startOn: startOnFor(eventNames(spec.event)), ...(spec.ip ? { ip: spec.ip } : {}) };
}

/** `t0`: when the run asked for its topology (phases.build; a bench has it built ahead). */
async function runBody(spec: RunSpec, dir: string, driver: TopologyDriver, info: BuildInfo, t0: number,
  progress: (msg: string) => void, drive: Drive, capture: boolean): Promise<RunResult> {
  const id = path.basename(dir);
  const phases: Record<string, number> = { build: 0 };   // ms since the run began, where each phase began
  const phase = (name: string, say = name) => { phases[name] = Date.now() - t0; progress(say); };
  const log = new HarnessLog(dir);

  checkHandlers(info.events);
  const captures = capture ? await startCaptures(driver, info, dir) : null;
  // the RTTs are measured while the roles start (a few pings every 20 ms per path, beside their
  // handshakes: the medians do not notice); they are needed once audio flows. Not when the mobile
  // starts on cellular: calibration lifts its Wi-Fi for a moment, which the roles must not see.
  const calibrating = driver.calibrate(10);
  calibrating.catch(() => {});
  if (info.startOn !== 'wifi') await calibrating;

  // roles: the intermediate serves every pairing
  const pairs = planPairs(spec, dir);
  const roles = new RoleProcesses(driver, capture ? (c) => ({ SSLKEYLOGFILE: keylogFile(c.runDir, c.role) }) : undefined);
  const interConfig = () => roleConfig(spec, info, 'intermediate', pairs[0]!.pairing, dir, { pairings: pairs.map((p) => p.pairing) });
  // the peers' processes start with the intermediate's and wait, loaded, until it serves: a
  // Node start (≈ 0.3 s, more on a loaded machine) is not paid twice in a row
  phase('roles', 'starting roles');
  const intermediate = await roles.start('intermediate', interConfig());
  const peers: HostProcess[] = [];
  for (const p of pairs) {
    mkdirSync(p.dir, { recursive: true });
    for (const role of ['answerer', 'mobile'] as const) peers.push(await roles.start(p.key(role), roleConfig(spec, info, role, p.pairing, p.dir, { host: p[role] }), p[role], true));
  }
  await milestone(intermediate, 'ready', 20000);
  await Promise.all(peers.map((p) => roles.go(p)));
  const strategy = await loadStrategy(spec.strategy);
  const needsIpv4 = strategy.needsIpv4?.(resolveOptions(strategy, spec.options)) ?? undefined;
  for (const p of pairs) {
    await milestone(roles.byName.get(p.key('mobile'))!, 'audio', (spec.startS ?? DEFAULT_START_S) * 1000, 'startS')
      .catch((e: Error) => { throw withIpv4Context(e, needsIpv4, spec.ip); });
  }
  const calibration = await calibrating;
  phase('audio', 'audio flowing');
  await driver.lateness();   // the link emulators' lateness window starts with the audio

  // events: testbed events for every pair (staggered), process faults once
  driver.on('event.restored', (m: { t: number; tIssued: number; name: string }) => log.append({ t: m.t, type: 'event.restored', name: m.name, tIssued: m.tIssued }));
  driver.on('event.step', (m: { t: number; tIssued: number; name: string; step: string; stamp?: string; tCommandDone?: number }) =>
    log.append({ t: m.t, type: 'event.step', name: m.name, step: m.step, tIssued: m.tIssued, ...(m.stamp ? { stamp: m.stamp, tCommandDone: m.tCommandDone } : {}) }));
  const fault = new IntermediateFault(roles, interConfig, log);
  const fired: EventResult[] = [];   // every event of every pair, for the scenario checks
  let eventT: number | null = null;
  const fire = async (name: string): Promise<EventResult> => {
    const ev = parseEvent(name);
    const byHarness = ev.kind.by === 'harness';
    let first: EventResult | null = null;
    for (const p of byHarness ? [pairs[0]!] : pairs) {
      if (p.k > 1) await sleep(spec.staggerMs ?? 0);
      const r = byHarness ? await fault.down(name, ev.seconds!)
        : await driver.fire(name, pairs.length > 1 ? (ev.kind.host === 'answerer' ? p.answerer : p.mobile) : undefined);
      log.append({ t: r.t, type: 'event.fired', name, tIssued: r.tIssued, ...(r.stamp ? { stamp: r.stamp, tCommandDone: r.tCommandDone } : {}), ...(pairs.length > 1 && !byHarness ? { host: r.host } : {}) });
      fired.push(r);
      first ??= r;
    }
    eventT ??= first!.t;
    return first!;
  };
  let settledAt: number | null = null;
  const observe = async (maxMs: number): Promise<void> => {
    if (!spec.settleS) { await sleep(maxMs); return; }
    const done = new AbortController();
    const settle = { settleMs: spec.settleS * 1000, jitterBufferMs: spec.jitterBufferMs, observeFrom: settleFrom(Date.now(), fired) };
    let timer!: NodeJS.Timeout;
    const max = new Promise<null>((r) => { timer = setTimeout(() => r(null), maxMs); });
    settledAt = await Promise.race([settleWatch(pairs.map((p) => p.dir), settle, done.signal), max]);
    clearTimeout(timer);   // else it holds `migbench run` open for the rest of the window
    done.abort();
  };
  await drive({ spec, dir, info, calibration, fire, phase, observe, cli: () => driver.cli(), driver });
  const observeEnd = Date.now();
  const died = roles.diedBefore(observeEnd);
  const wires = await driver.lateness();

  // did the scenario happen? Judged from the testbed before the roles stop (a blackout or an
  // intermediate restart still in progress must not be cut short by the teardown)
  const checks = await verifyScenario(driver, fired, log.read(), observeEnd);
  const invalid = invalidReason(checks);
  fault.cancel();
  await roles.stop((role, code) => log.append({ t: Date.now(), type: 'role.exit', of: role, code }));
  phases.stopped = Date.now() - t0;
  const captured = await captures?.stop();
  writeQlogs(dir, mergeLogs(dir));

  // metrics and record
  const rtts = rttsFor(calibration, eventNames(spec.event)[0]!);
  const { metrics, perEvent, pairs: perPair } = scoreRun(dir, spec, observeEnd, rtts, fired.length > pairs.length);
  const fidelity = fidelityOf(mergeLogs(dir), t0 + phases.audio!, observeEnd, wires);
  const noisy = [fidelity.noisy, lateOnly(checks)].filter(Boolean).join('; ') || null;
  const cannot = ipv4Failure(needsIpv4, spec.ip, routeAfter(eventNames(spec.event)), metrics.success);
  const status = invalid ? 'invalid' : died.length || cannot ? 'failed' : 'ok';
  const error = invalid ? `scenario did not happen: ${invalid}` : died.length ? `role ${died.map((x) => `${x.name} exited at ${((x.exitedAt - (eventT ?? observeEnd)) / 1000).toFixed(1)} s after the event`).join(', ')}, before the observe window ended` : cannot ?? undefined;
  // settledAt: observation stopped early, the outcome settled (null: observed to the maximum)
  const meta = { id, label: spec.strategy, status, ...(error ? { error } : {}), spec, eventT, observeEnd, ...(spec.settleS ? { settledAt } : {}), fidelity, ...(noisy ? { noisy } : {}), phases, checks, perEvent, emulation: info.emulation,
    buildMs: info.buildMs, calibration, rtts, topology: info, pairs: perPair,
    ...(captured ? { capture: captured, captureChecks: captureChecks(dir, info, metrics, eventT, newEndpoint(spec.event)) } : {}) };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ ...meta, metrics }, null, 2));
  return { id, dir, metrics, meta };
}
