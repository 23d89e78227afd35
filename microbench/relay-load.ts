// `migbench relay-load`: how many concurrent 50 pkt/s audio streams the intermediate's relay data
// path carries on one core. The real intermediate runs as its own process (as in a run); this
// process plays N answerer/mobile pairs with the real peer code (ControlClient: an authenticated
// QUIC control connection each, relay grants, sealed UDP), on loopback so that nothing but the
// relay is measured. Each answerer sends a 660 B packet (an audio frame's size) every 20 ms
// through the relay to its mobile; the table gives delivery, latency and both processes' CPU.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_CODEC } from '../core/codec.ts';
import type { RoleConfig, RoleContext } from '../strategies/contract.ts';
import { EventLogger } from '../core/events.ts';
import { PeerSocket } from '../strategies/shared/peer.ts';
import { ControlClient } from '../strategies/shared/control.ts';
import { installQuicShims } from '../strategies/shared/quic.ts';
import { REPO } from '../harness/paths.ts';
import { DEFAULT_JITTER_BUFFER_MS, FRAME_MS } from '../core/playout.ts';

export interface LoadResult {
  streams: number; sent: number; delivered: number; p50Ms: number; p99Ms: number;
  intermediateCpu: number;   // share of one core over the measured window
  generatorCpu: number;
}

const PAYLOAD = 660;
const TICKS_PER_S = 100;   // /proc/<pid>/stat clock ticks (USER_HZ)

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);   // utime + stime
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Runs `streams` one-way streams for `seconds` after a 1 s warm-up; `say` reports progress. */
export async function relayLoad(streams: number, seconds: number, say: (m: string) => void = () => {}): Promise<LoadResult> {
  installQuicShims();   // its peers' control connections run in this process
  const dir = mkdtempSync(path.join(tmpdir(), 'migbench-relayload-'));
  const controlPort = 30000 + Math.floor(Math.random() * 20000);
  const pairings = Array.from({ length: streams }, (_, i) => ({ id: `load-${i}`, secret: `secret-${i}-${controlPort}` }));
  const base: RoleConfig = {
    strategy: 'relay-only', role: 'intermediate', runDir: dir, intermediate: { addrs: ['127.0.0.1', '127.0.0.1'], addrs6: [], controlPort },
    pairings, uplinks: [], audio: { direction: 'answerer-to-mobile', sample: '', jitterBufferMs: DEFAULT_JITTER_BUFFER_MS, codec: DEFAULT_CODEC, playout: 'fixed' }, options: {}, seed: 1,
  };
  writeFileSync(path.join(dir, 'context.json'), JSON.stringify(base));
  const inter = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'strategies/run-role.ts'), 'relay-only', 'intermediate', path.join(dir, 'context.json')],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = new AbortController();
  const clients: { control: ControlClient; ps: PeerSocket }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: inter.stdout! }).on('line', (l) => { if (l.includes('"ready"')) resolve(); });
      inter.once('exit', (c) => reject(new Error(`the intermediate exited (${c}) before it was ready`)));
    });
    const log = new EventLogger('mobile', path.join(dir, 'events.peers.jsonl'));
    const arrivals: number[] = [];
    let sent = 0, delivered = 0, measuring = false;
    const pairs: ControlClient[] = [];
    for (const [i, pairing] of pairings.entries()) {
      for (const role of ['answerer', 'mobile'] as const) {
        const ps = new PeerSocket();
        await ps.start();
        const ctx: RoleContext = { ...base, role, pairings: [pairing], log, signal: stop.signal, report: () => {},
          option: (k) => { throw new Error(`the relay-load clients take no options ('${k}')`); } };
        const control = await ControlClient.connect(ctx, ps, role);
        clients.push({ control, ps });
        if (role === 'answerer') pairs.push(control);
        else control.on('relay', (p: Buffer) => {
          if (p[8] !== 1) return;   // sent outside the measured window
          delivered++;
          arrivals.push(performance.now() - p.readDoubleBE(0));
        });
      }
      if ((i + 1) % 25 === 0) say(`${i + 1}/${streams} pairs connected`);
    }
    await new Promise((r) => setTimeout(r, 500));   // every pairing told, every relay latch bound
    // Stream k sends at phase k·(20 ms / N): the relay sees an even load, not one burst per 20 ms.
    const payload = Buffer.alloc(PAYLOAD, 1);
    const t0 = performance.now();
    let next = pairs.map((_, k) => t0 + (k * FRAME_MS) / pairs.length);
    const ticker = setInterval(() => {
      const t = performance.now();
      next = next.map((due, k) => {
        if (due > t) return due;
        payload.writeDoubleBE(performance.now(), 0);
        payload[8] = measuring ? 1 : 0;
        pairs[k]!.relay(payload);
        if (measuring) sent++;
        return due + FRAME_MS;
      });
    }, 1);
    await new Promise((r) => setTimeout(r, 1000));
    say(`measuring ${streams} streams for ${seconds} s`);
    const c0 = cpuTicks(inter.pid!), g0 = process.cpuUsage(), w0 = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    const wall = (performance.now() - w0) / 1000;
    const inCpu = (cpuTicks(inter.pid!) - c0) / TICKS_PER_S / wall;
    const g = process.cpuUsage(g0);
    clearInterval(ticker);
    await new Promise((r) => setTimeout(r, 300));   // the last packets in flight
    return {
      streams, sent, delivered, p50Ms: quantile(arrivals, 0.5), p99Ms: quantile(arrivals, 0.99),
      intermediateCpu: inCpu, generatorCpu: (g.user + g.system) / 1e6 / wall,
    };
  } finally {
    stop.abort();
    for (const c of clients) { await c.control.close(); await c.ps.stop(); }
    inter.kill('SIGTERM');
    await new Promise((r) => (inter.exitCode !== null ? r(null) : inter.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
