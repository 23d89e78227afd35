// Typed client of the topology driver (topologies/driver.py): one Python process that holds one
// Mininet network and speaks JSON lines on stdio. Protocol: docs/testbed.md.
import type { IpPlan } from './ip-plan.ts';
import type { TestbedHandlers } from './network-events.ts';
import { checkHost } from './preflight.ts';
import { PYTHON, REPO } from './paths.ts';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { createInterface } from 'node:readline';

export type NatSlot = 'answerer' | 'wifi' | 'cellular';
export type LinkSlot = 'intermediate' | 'answerer' | 'wifi' | 'cellular';
/** The dual-homed hosts' uplink at the start: `cellular` builds them with the Wi-Fi link down. */
export type StartOn = 'wifi' | 'cellular';

export interface DirectionSetting {
  delay?: number; jitter?: number; loss?: number; burst?: { p: number; r: number };
  rate?: number; queue?: number;
  /** A mahimahi delivery trace replacing `rate`: a file in topologies/traces/ or a path (wire only). */
  trace?: string;
  /** `<ms> <delay_ms> <loss_pct>` lines replacing delay and loss over time (wire only). */
  schedule?: string;
}
export interface LinkSpec extends DirectionSetting { up?: DirectionSetting; down?: DirectionSetting }
/** A profile name from topologies/presets.json, `custom:delay=10,…`, or the fields themselves. */
export type LinkProfile = string | LinkSpec;

export interface BuildOptions {
  topology?: string;                                 // mobile | same-nat | pairs:N
  nat?: Partial<Record<NatSlot, string>>;            // preset name or MAPPING/FILTERING
  links?: Partial<Record<LinkSlot, LinkProfile>>;
  seed?: number;
  udpTimeout?: number;                               // NAT UDP mapping timeout, s
  sourceRouting?: boolean;                           // per-uplink routing tables on the mobile (default true)
  startOn?: StartOn;                                 // default wifi; cellular: Wi-Fi down until cellular-to-wifi
  ip?: IpPlan;                                       // address families (harness/ip-plan.ts); default IPv4 everywhere
}

export interface Uplink {
  name: string; dev: string; addr: string; gateway: string; table: number; nats: string[]; slot: string;
  /** topologies/ipv6.py: an IPv6-only uplink's `dev`/`addr` are its CLAT's (IPv4), `link` its own device. */
  family: 'ipv4' | 'dual-stack' | 'ipv6-only'; addr6: string; gateway6: string; link: string; nat_src: string;
}
export interface ResolvedDirection {
  delay: number; jitter: number; loss: number; burst_p: number; burst_r: number; rate: number; queue: number;
  trace: string; schedule: string;                   // absolute paths, '' = none
}
export interface BuildInfo {
  shape: string;
  intermediate: [string, string];
  /** The intermediate's IPv6 addresses when any site has IPv6, else empty. */
  intermediate6: string[];
  /** The sites' families as built (topologies/ipv6.py AddressPlan.describe). */
  ip: { families: Record<string, string>; firewall: Record<string, string>; clat: boolean; nat64Prefix: string | null };
  hosts: Record<string, Uplink[]>;
  nat: Record<string, string>;
  links: Record<string, { name: string; up: ResolvedDirection; down: ResolvedDirection }>;
  /** Every link's host-side end (its node and interface), and the emulated slot it belongs to. */
  linkEnds: { node: string; dev: string; peer: string; slot: string | null }[];
  emulation: 'wire' | 'netem';
  buildMs: number;
  driverPid: number;
  nodePids: Record<string, number>;
  runDir: string;
  startOn: StartOn;
  /** The testbed's event handlers (topologies/events.py HANDLERS), checked against harness/network-events.ts. */
  events: TestbedHandlers;
}
/** `seq` numbers the topology's events (verify finds the event by it); `evidence`: what its
 *  scenario check saw at the event. Both absent for the harness's own faults (intermediate-down).
 *  `stamp`: where `t` was taken — at the host's netlink notification of the change, or once its command
 *  returned (docs/testbed.md "When E is"). */
export interface EventResult {
  name: string; host: string; t: number; tIssued: number; seq?: number; evidence?: Record<string, unknown>;
  stamp?: 'netlink' | 'command'; tCommandDone?: number;
  [k: string]: unknown;
}
/** Did the event do to the network what it claims (docs/testbed.md, "Scenario checks")? */
/** `late`: the event happened, only not on time (topologies/scenario.py verdict). */
export interface ScenarioCheck { ok: boolean; reason: string; evidence: Record<string, unknown>; late?: boolean }
export interface RttResult {
  host: string; dst: string; source?: string | null; count: number; received: number; loss: number;
  min?: number; avg?: number; max?: number; mdev?: number; median?: number; p90?: number;
}
export interface Calibration extends RttResult { path: string; configured: number }
/** One traced wire direction (`slot.up`/`slot.down`) under a flood: the rate it delivered against its
 *  trace's over the same window of the trace's clock, kbit/s; `unusedPct`: the trace's opportunities
 *  that found the queue empty (> 0: the flood did not keep up, so the figure is a lower bound);
 *  `error` instead if the wire did not answer. */
export interface TraceCalibration {
  link: string; wire: string; trace: string; floodKbit: number;
  seconds?: number; expectedKbit?: number; deliveredKbit?: number; errorPct?: number | null;
  arrivedPps?: number; dropped?: number; unusedPct?: number; lateMeanUs?: number; error?: string;
}
export interface ExecResult { code: number; stdout: string; stderr: string }
/** One link emulator's stats line: per direction (its interface names), packets and lateness in µs. */
export type WireLateness = Record<string, { sent: number; late_mean_us: number; late_max_us: number }>;

export interface StartOptions { env?: Record<string, string>; cwd?: string }

/** A process running in a host; output lines and exit arrive from the driver. */
const OUTPUT_HISTORY = 50;

export class HostProcess extends EventEmitter {
  readonly exited: Promise<number>;
  private resolveExit!: (code: number) => void;
  constructor(readonly driver: TopologyDriver, readonly id: number, readonly pid: number, readonly host: string) {
    super();
    this.exited = new Promise((r) => { this.resolveExit = r; });
  }
  /** Its last lines of output (OUTPUT_HISTORY), for a caller that listens only once start() returned:
   *  a quick process (tcpdump's "listening on") may have printed by then. */
  readonly history: { stream: string; line: string }[] = [];
  /** @internal */ deliver(msg: Record<string, unknown>): void {
    if (msg.event === 'proc.output') {
      this.history.push({ stream: msg.stream as string, line: msg.line as string });
      if (this.history.length > OUTPUT_HISTORY) this.history.shift();
      this.emit(msg.stream as string, msg.line as string);
    } else if (msg.event === 'proc.exit') this.resolveExit(msg.code as number);
  }
  signal(sig = 'TERM'): Promise<unknown> { return this.driver.request('signal', { proc: this.id, sig }); }
  /** Calls `fn` with every line of `stream`: those already printed (history), then each new one.
   *  Returns what stops it. */
  lines(stream: 'stdout' | 'stderr', fn: (line: string) => void): () => void {
    for (const h of this.history) if (h.stream === stream) fn(h.line);
    this.on(stream, fn);
    return () => { this.off(stream, fn); };
  }
}

export class DriverError extends Error {}

export class TopologyDriver extends EventEmitter {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }>();
  private procs = new Map<number, HostProcess>();
  private early = new Map<number, Record<string, unknown>[]>();
  private stderrTail: string[] = [];
  private closed = false;
  private readonly onExit = () => { if (!this.closed) this.child.kill('SIGTERM'); };
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super();
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      this.closed = true;
      process.off('exit', this.onExit);
      const err = new DriverError(`topology driver exited (${code}): ${this.stderrTail.join('\n')}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      resolve(code);
    }));
    // If this process exits without stop(), the driver still tears down (it also does on stdin EOF).
    process.on('exit', this.onExit);
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
      this.emit('stderr', line);
    });
  }

  /** Starts a driver process and waits until it is ready. `command`: another program that speaks the
   *  protocol (the driver's own unit test). The driver starts at the lowest CPU priority and serves a
   *  built topology at the normal one (topologies/priority.py). */
  static async open(command: readonly string[] = ['nice', '-n', '19', PYTHON, '-m', 'topologies.driver']): Promise<TopologyDriver> {
    checkHost();
    if (process.getuid?.() !== 0) throw new DriverError('the testbed needs root (Mininet creates network namespaces)');
    // SETUPTOOLS_USE_DISTUTILS=stdlib: Mininet imports distutils, which setuptools' shim would answer by
    // loading pkg_resources: the driver's start took 0.23 CPU s with it, 0.07 without (docs/bench-speed.md).
    const env = { ...process.env, SETUPTOOLS_USE_DISTUTILS: 'stdlib' };
    const child = spawn(command[0]!, command.slice(1), { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const d = new TopologyDriver(child);
    await new Promise<void>((resolve, reject) => {
      d.once('ready', () => resolve());
      child.once('error', (e) => reject(new DriverError(`cannot start ${command.join(" ")}: ${e.message}`)));
      void d.exited.then((code) => reject(new DriverError(`topology driver exited (${code}) before ready: ${d.stderrTail.join('\n')}`)));
    });
    return d;
  }

  get pid(): number | undefined { return this.child.pid; }
  /** A run now waits for this driver's build: the rest of it at the normal CPU priority (its main
   *  thread, and so what it starts from now on; topologies/priority.py). */
  hurry(): void {
    try { if (this.child.pid && !this.closed) os.setPriority(this.child.pid, 0); } catch { /* it has just exited */ }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try { msg = JSON.parse(line); } catch { this.emit('stderr', line); return; }
    if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new DriverError(`${p.cmd}: ${msg.error as string}`));
    } else if (msg.event === 'proc.output' || msg.event === 'proc.exit') {
      const proc = this.procs.get(msg.proc as number);
      // a process's first output can come in the same read as the reply to its start, before
      // start() has registered it: kept until it does
      if (proc) proc.deliver(msg);
      else this.early.set(msg.proc as number, [...(this.early.get(msg.proc as number) ?? []), msg].slice(-OUTPUT_HISTORY));
    } else if (typeof msg.event === 'string') {
      this.emit(msg.event, msg);
    }
  }

  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.closed) return Promise.reject(new DriverError(`${cmd}: topology driver is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, cmd });
      this.child.stdin.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    });
  }

  build(opts: BuildOptions = {}): Promise<BuildInfo> { return this.request('build', { ...opts }); }

  async start(host: string, argv: string[], opts: StartOptions = {}): Promise<HostProcess> {
    const r = await this.request<{ proc: number; pid: number }>('start', { host, argv, ...opts });
    const p = new HostProcess(this, r.proc, r.pid, host);
    this.procs.set(r.proc, p);
    for (const msg of this.early.get(r.proc) ?? []) p.deliver(msg);
    this.early.delete(r.proc);
    return p;
  }

  exec(host: string, script: string, timeout = 30): Promise<ExecResult> {
    return this.request('exec', { host, script, timeout });
  }
  /** Fires a network event; resolves with the time it took effect. */
  fire(name: string, host?: string): Promise<EventResult> { return this.request('event', { name, host }); }
  /** The scenario check of an event this topology fired, from what the network shows now. */
  verify(fired: EventResult): Promise<ScenarioCheck> { return this.request('verify', { fired }); }
  setLink(slot: LinkSlot, profile: LinkProfile): Promise<unknown> { return this.request('link', { slot, profile }); }
  rtt(host: string, dst: string, opts: { count?: number; interval?: number; source?: string } = {}): Promise<RttResult> {
    return this.request('rtt', { host, dst, ...opts });
  }
  calibrate(count = 20): Promise<Calibration[]> { return this.request('calibrate', { count }); }
  /** Floods every traced link direction for `seconds` (+1 s to fill its queue) and compares the rate the
   *  wire delivered with its trace's; leaves the queues full. For `testbed calibrate`, not for runs. */
  calibrateTraces(seconds = 5): Promise<TraceCalibration[]> { return this.request('calibrate_traces', { seconds }); }
  /** Each link emulator's scheduling lateness since the previous call (which starts a new window);
   *  empty under netem. */
  lateness(): Promise<Record<string, WireLateness | null>> { return this.request('lateness', {}); }
  /** Serves Mininet's CLI on a Unix socket (`migbench cli` connects); resolves with its path. */
  async cli(): Promise<string> { return (await this.request<{ socket: string }>('cli')).socket; }

  /** Tears the topology down and waits for the driver to exit. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.closed) return;
    try { await this.request('stop'); } catch { /* it may already be going */ }
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Opens a driver, builds, runs `fn`, and always tears down. */
export async function withTestbed<T>(opts: BuildOptions, fn: (d: TopologyDriver, info: BuildInfo) => Promise<T>): Promise<T> {
  const d = await TopologyDriver.open();
  try {
    const info = await d.build(opts);
    return await fn(d, info);
  } finally {
    await d.stop();
  }
}
