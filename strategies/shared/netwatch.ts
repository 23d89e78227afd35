// Change detection on the mobile. Two sources, because a host sees only half of what can happen:
// - netlink (`ip monitor link address route`): uplink down/up, address or route changes, the
//   moment the kernel makes them; after each, the route toward the intermediate is looked up again
//   and a change of its device or source address is reported;
// - liveness: a watchdog the strategy feeds with every sign of life (e.g. an audio frame); silence
//   longer than `silenceMs` is reported once per silence (NAT rebinding, blackout: the host's own
//   addresses do not change).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RouteState { dev: string; src: string }

export async function routeTo(dst: string): Promise<RouteState | null> {
  try {
    const { stdout } = await run('ip', ['-j', 'route', 'get', dst]);
    const r = (JSON.parse(stdout) as { dev: string; prefsrc: string }[])[0];
    return r ? { dev: r.dev, src: r.prefsrc } : null;
  } catch {
    return null;   // unreachable right now
  }
}

export class NetlinkWatcher {
  private proc?: ChildProcess;
  private current: RouteState | null = null;
  private checking = Promise.resolve();

  /** Calls onChange(from, to) whenever the route toward `dst` changes device or source. */
  async start(dst: string, onChange: (from: RouteState | null, to: RouteState | null, line: string) => void): Promise<void> {
    this.current = await routeTo(dst);
    this.proc = spawn('ip', ['monitor', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.checking = this.checking.then(async () => {
        const next = await routeTo(dst);
        if (next?.dev !== this.current?.dev || next?.src !== this.current?.src) {
          const from = this.current;
          this.current = next;
          onChange(from, next, line);
        }
      });
    });
  }

  stop(): void { this.proc?.kill(); }
}

export class LivenessWatchdog {
  private last = performance.now();
  private fired = false;
  private timer?: NodeJS.Timeout;
  constructor(private readonly silenceMs: number, private readonly onSilence: (silentForMs: number) => void) {}
  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => {
      const quiet = performance.now() - this.last;
      if (!this.fired && quiet > this.silenceMs) { this.fired = true; this.onSilence(quiet); }
    }, Math.max(5, this.silenceMs / 10));
  }
  /** A sign of life: re-arms the watchdog. */
  alive(): void { this.last = performance.now(); this.fired = false; }
  stop(): void { clearInterval(this.timer); }
}
