// Measurements of the testbed itself, built on harness/testbed/probe.ts running inside its hosts:
// NAT classification (RFC 5780), hole punching between two hosts, and timed address flows.
import path from 'node:path';
import { type BuildInfo, type HostProcess, type TopologyDriver } from '../driver.ts';
import { REPO } from '../paths.ts';

export const PROBE_PORTS = [3478, 3479] as const;
const PROBE = path.join(REPO, 'harness/testbed/probe.ts');

/** argv that runs a TypeScript file of this repo with node inside a host. */
export function nodeArgv(file: string, args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', file, ...args];
}
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** Runs a probe mode to completion in a host and returns its last JSON line. */
async function probeOnce<T>(d: TopologyDriver, host: string, args: string[]): Promise<T> {
  const r = await d.exec(host, nodeArgv(PROBE, args).map(quote).join(' '), 60);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`probe ${args[0]} in ${host} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
}

/** Waits for a started process to print a JSON line with `ready`. */
export function untilReady(p: HostProcess, what: string, timeoutMs = 10000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after ${timeoutMs} ms`)), timeoutMs);
    const stop = p.lines('stdout', (line) => {
      // stop() later: a line from the history is seen before `stop` is assigned
      if (line.includes('"ready"')) { clearTimeout(timer); setImmediate(() => stop()); resolve(); }
    });
    void p.exited.then((code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}) before ready`)); });
  });
}

export async function startProbeServer(d: TopologyDriver, info: BuildInfo): Promise<HostProcess> {
  const p = await d.start('intermediate', nodeArgv(PROBE, ['server', '--addrs', [...info.intermediate, ...info.intermediate6].join(','),
    '--ports', PROBE_PORTS.join(',')]), { cwd: REPO });
  await untilReady(p, 'probe server');
  return p;
}

export interface Behaviour { mapping: string; filtering: string; mapped?: string[] }

/** RFC 5780 behaviour of the NAT(s) or firewall between `host` and the intermediate; `local` picks an
 *  uplink (and its family); `server` the intermediate's addresses as `host` reaches them. */
export function classifyHost(d: TopologyDriver, info: BuildInfo, host: string, local?: string,
  server: string[] = info.intermediate): Promise<Behaviour> {
  return probeOnce(d, host, ['classify', '--server-addrs', server.join(','),
    '--ports', PROBE_PORTS.join(','), ...(local ? ['--local', local] : [])]);
}

export interface PunchEnd { host: string; local?: string }
export interface PunchResult { ok: boolean; got: boolean; heardUs: boolean; firstMs?: number }

/** Both ends register with the rendezvous, then send to each other (learning peer-reflexive
 *  sources, as ICE does); ok when each side heard the other and knows it was heard. */
export async function punch(d: TopologyDriver, info: BuildInfo, a: PunchEnd, b: PunchEnd, pair: string,
  timeoutMs = 2000): Promise<{ ok: boolean; a: PunchResult; b: PunchResult }> {
  const server = `${info.intermediate[0]}:${PROBE_PORTS[0]}`;
  const run = (me: PunchEnd, name: string, peer: string) => probeOnce<PunchResult>(d, me.host, ['punch',
    '--server', server, '--pair', pair, '--name', name, '--peer', peer, '--timeout', String(timeoutMs),
    ...(me.local ? ['--local', me.local] : [])]);
  const [ra, rb] = await Promise.all([run(a, 'a', 'b'), run(b, 'b', 'a')]);
  return { ok: ra.ok && rb.ok, a: ra, b: rb };
}

/** Textbook outcome of hole punching with peer-reflexive learning between two behaviours: a
 *  mapping that depends on the destination (ADM, APDM) shows the peer a port it never learned, so
 *  it gets through only filtering that ignores the port (EIF, ADF). */
export function punchExpected(x: Behaviour, y: Behaviour): boolean {
  const blocks = (m: Behaviour, f: Behaviour) => m.mapping !== 'EIM' && f.filtering === 'APDF';
  return !blocks(x, y) && !blocks(y, x);
}
