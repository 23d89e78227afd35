// The host's own reaction latencies, measured at the start of every bench invocation (bench.json,
// `invocations[].hostLatency`; docs/bench.md "Host latencies"): a strategy's detection time stands on
// them, so two benches whose hosts differ here can differ in detect_ms with no strategy changed (a
// fresh clone's bench once had detect_ms 27.6 ms against 7.6–9.1 in every snapshot). Each is the
// chain a run depends on:
// - netlink: an address added in a network namespace, timed as the testbed times an event (bash's
//   $EPOCHREALTIME once the command returned: E), to when this process reads the notification from an
//   `ip monitor` in that namespace — the path of the strategies' netlink watch (strategies/shared/
//   netwatch.ts). Negative when the notification is read before the command's end is stamped.
// - fork/exec: a process started and seen to exit (the testbed's event commands, role start-up);
// - timer wake-up: how late a 1 ms timer fires (every strategy's timers, the audio sender's clock).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { quantile } from './stats.ts';

export interface Latency { p50: number; p99: number; n: number }
export interface HostLatency { netlinkMs: Latency | null; forkExecMs: Latency; timerWakeMs: Latency; netlinkError?: string }

const wallMs = () => performance.timeOrigin + performance.now();
const summary = (xs: number[]): Latency => ({ p50: round(quantile(xs, 0.5) ?? NaN), p99: round(quantile(xs, 0.99) ?? NaN), n: xs.length });
const round = (v: number) => Math.round(v * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timerWake(n = 100): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = wallMs();
    await sleep(1);
    out.push(wallMs() - t - 1);
  }
  return out;
}

async function forkExec(n = 20): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = wallMs();
    await new Promise<void>((resolve, reject) => spawn('/bin/true').once('exit', () => resolve()).once('error', reject));
    out.push(wallMs() - t);
  }
  return out;
}

/** Needs root (a network namespace). */
async function netlink(n = 20): Promise<number[]> {
  const monitor = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec ip -o monitor address'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const heard = new Map<number, number>();
  let rest = '';
  monitor.stdout.on('data', (chunk: Buffer) => {
    const at = wallMs();
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) { const m = /inet 10\.9\.0\.(\d+)\/32/.exec(l); if (m && !heard.has(Number(m[1]))) heard.set(Number(m[1]), at); }
  });
  const failed = new Promise<never>((_, reject) => monitor.once('exit', (code) => reject(new Error(`ip monitor in a new network namespace exited (${code})`))));
  try {
    await Promise.race([sleep(300), failed]);   // subscribed before the first change
    const script = Array.from({ length: n }, (_, i) => `ip addr add 10.9.0.${i + 1}/32 dev lo; echo "T1 ${i + 1} $EPOCHREALTIME"; sleep 0.05`).join('\n');
    const change = spawn('nsenter', ['-t', String(monitor.pid), '-n', 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    change.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const code = await Promise.race([new Promise<number | null>((r) => change.once('exit', r)), failed]);
    if (code !== 0) throw new Error(`the address changes in the namespace failed (exit ${code})`);
    await sleep(50);
    const stamps = [...out.matchAll(/^T1 (\d+) (\d+)[.,](\d+)$/gm)].map((m) => ({ i: Number(m[1]), t: Number(m[2]) * 1000 + Number(`0.${m[3]}`) * 1000 }));
    return stamps.flatMap(({ i, t }) => (heard.has(i) ? [heard.get(i)! - t] : []));
  } finally {
    failed.catch(() => {});
    monitor.kill('SIGKILL');
  }
}

export async function measureHostLatency(): Promise<HostLatency> {
  const timer = await timerWake();
  const fork = await forkExec();
  try {
    const nl = await netlink();
    if (!nl.length) throw new Error('no notification read');
    return { netlinkMs: summary(nl), forkExecMs: summary(fork), timerWakeMs: summary(timer) };
  } catch (e) {
    return { netlinkMs: null, netlinkError: (e as Error).message, forkExecMs: summary(fork), timerWakeMs: summary(timer) };
  }
}

/** One line for a progress display or a report. */
export const hostLatencyLine = (h: HostLatency): string =>
  `netlink ${h.netlinkMs ? `${h.netlinkMs.p50} ms (p99 ${h.netlinkMs.p99})` : `not measured (${h.netlinkError})`}, ` +
  `fork/exec ${h.forkExecMs.p50} ms (p99 ${h.forkExecMs.p99}), timer wake-up ${h.timerWakeMs.p50} ms late (p99 ${h.timerWakeMs.p99})`;

/** How far two hosts' latencies may differ before a comparison of their benches warns
 *  (docs/bench.md "Host latencies"): beyond a few ms, a detection time moves with them. */
export const HOST_TOLERANCE_MS = { netlinkMs: 2, forkExecMs: 2, timerWakeMs: 1 } as const;

/** What differs beyond HOST_TOLERANCE_MS between two hosts' latencies (medians); empty when none does. */
export function hostDifferences(a: HostLatency, b: HostLatency): string[] {
  const out: string[] = [];
  for (const k of Object.keys(HOST_TOLERANCE_MS) as (keyof typeof HOST_TOLERANCE_MS)[]) {
    const x = a[k]?.p50, y = b[k]?.p50;
    if (x === undefined || y === undefined) continue;
    if (Math.abs(x - y) > HOST_TOLERANCE_MS[k]) out.push(`${k} ${x} vs ${y} (more than ${HOST_TOLERANCE_MS[k]} ms apart)`);
  }
  return out;
}

/** The newest invocation's host latencies in a bench.json, if it measured them. */
export function benchHostLatency(benchJson: { invocations?: { hostLatency?: HostLatency }[] }): HostLatency | null {
  return [...(benchJson.invocations ?? [])].reverse().find((i) => i.hostLatency)?.hostLatency ?? null;
}
