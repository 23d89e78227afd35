// Change detection on the mobile. Two sources, because a host sees only half of what can happen:
// - netlink (`ip monitor link address route`): uplink down/up, address or route changes, the
//   moment the kernel makes them; after each, the route toward the intermediate is looked up again
//   and a change of its device or source address is reported;
// - liveness: a watchdog the strategy feeds with every sign of life (e.g. an audio frame); silence
//   longer than `silenceMs` is reported once per silence (NAT rebinding, blackout: the host's own
//   addresses do not change). Every strategy that watches audio silence takes its threshold from
//   livenessMs() below: one rule, one default (docs/strategies.md, "Fair baselines").
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { RoleContext } from '../contract.ts';

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

/** How every netchange.detected {via: netlink} describes the change. */
export const routeChange = (from: RouteState | null, to: RouteState | null) => `${from?.dev}/${from?.src} -> ${to?.dev}/${to?.src}`;

/** The silence-liveness rule of every strategy: silence on the audio path longer than this is a
 *  change. A fixed threshold (`--opt livenessMs=`), not one derived from a path RTT, because only
 *  standby measures one; 150 ms = 7 frame intervals, above the cellular preset's loss bursts. */
export const LIVENESS_MS_DEFAULT = 150;
export function livenessMs(ctx: RoleContext): number {
  const ms = Number(ctx.option('livenessMs'));
  if (!(ms > 0)) throw new Error(`livenessMs must be a positive number of ms, not ${ms}`);
  return ms;
}

export class LivenessWatchdog {
  private last = performance.now();
  private fired = false;
  private timer?: NodeJS.Timeout;
  /** `silenceMs` may be changed at any time (e.g. to follow a path's RTT). */
  constructor(public silenceMs: number, private readonly onSilence: (silentForMs: number) => void) {}
  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => {
      const quiet = performance.now() - this.last;
      if (!this.fired && quiet > this.silenceMs) { this.fired = true; this.onSilence(quiet); }
    }, Math.max(5, this.silenceMs / 10));
  }
  /** A sign of life: re-arms the watchdog. */
  alive(): void { this.last = performance.now(); this.fired = false; }
  /** The change is known already: stay quiet until the next sign of life. */
  quiet(): void { this.fired = true; }
  stop(): void { clearInterval(this.timer); }
}

/** Both detectors wired the way every mobile uses them: netlink at once, liveness once audio
 *  flows (feed it with `alive()`); each detection is logged as netchange.detected. */
export class ChangeDetector {
  private readonly netlink = new NetlinkWatcher();
  private readonly watchdog: LivenessWatchdog;
  constructor(private readonly ctx: RoleContext, private readonly onChange: (via: string, detail: string) => void) {
    this.watchdog = new LivenessWatchdog(livenessMs(ctx), (ms) => this.detected('liveness', `${ms.toFixed(0)} ms of silence`));
  }
  private detected(via: string, detail: string): void {
    this.watchdog.quiet();   // one change, one detection: the silence that follows is its own
    this.ctx.log.log('netchange.detected', { via, detail });
    this.onChange(via, detail);
  }
  async start(): Promise<void> {
    await this.netlink.start(this.ctx.intermediate.addrs[0], (from, to) => this.detected('netlink', routeChange(from, to)));
  }
  /** Silence only means something once audio has flowed. */
  audioStarted(): void { this.watchdog.start(); }
  alive(): void { this.watchdog.alive(); }
  stop(): void { this.watchdog.stop(); this.netlink.stop(); }
}

export const LIVENESS_OPTION = {
  livenessMs: { describe: 'silence on the audio path that counts as a change (ms); the same rule for every strategy', default: String(LIVENESS_MS_DEFAULT) },
};
