// Change detection on the mobile. Two sources, because a host sees only half of what can happen:
// - netlink (`ip monitor link address route`): uplink down/up, address or route changes, the
//   moment the kernel makes them; after each, the route toward the intermediate is looked up again
//   and a change of its device or source address is reported;
// - liveness: a watchdog the strategy feeds with every sign of life (e.g. an audio frame); silence
//   longer than `silenceMs` is reported once per silence (NAT rebinding, blackout: the host's own
//   addresses do not change). Every strategy that watches audio silence takes its threshold from
//   livenessMs() below: one rule, one default (docs/strategies.md, "Fair baselines").
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createInterface } from 'node:readline';
import type { RoleContext, UplinkInfo } from '../contract.ts';
import { UplinkProber } from './uplink-probe.ts';
import { familyOf } from './family.ts';

export interface RouteState { dev: string; src: string }

/** The route toward `dst` now: the kernel's own lookup for an unbound UDP socket connect()ed there
 *  (the source it picks; the device holding that source), or null when there is none. In-process:
 *  `ip route get` cost a process start per netlink message, 2.5 ms at rest and tens under load, paid
 *  several times over the messages of one change before its detection (docs/strategies.md "Shared
 *  pieces", netwatch.ts). */
export async function routeTo(dst: string): Promise<RouteState | null> {
  const sock = dgram.createSocket(isIPv6(dst) ? 'udp6' : 'udp4');
  const src = await new Promise<string | null>((resolve) => {
    sock.once('error', () => resolve(null));
    sock.connect(9, dst, (err?: Error) => resolve(err ? null : sock.address().address));
  });
  try { sock.close(); } catch { /* closed by its error */ }
  const dev = src && Object.entries(networkInterfaces()).find(([, as]) => as?.some((a) => a.address === src))?.[0];
  return src && dev ? { dev, src } : null;
}

/** Whether the host has a route to `addr` now (family=dual's control connection checks before each
 *  message: strategies/shared/control.ts). */
export const hasRoute = async (addr: string): Promise<boolean> => (await routeTo(addr)) !== null;

export class NetlinkWatcher {
  private proc?: ChildProcess;
  private current: (RouteState | null)[] = [];
  private checking = Promise.resolve();

  /** Calls onChange(from, to) whenever the route toward `dst` changes device or source. Given
   *  several destinations (one per family, IPv4 first: family=dual), it watches them all, once per
   *  netlink message: from/to are the route the host uses (the first that exists) before and after,
   *  or, where that stayed the same (a renumbered IPv6 prefix under an unchanged IPv4 route), the
   *  first route that changed. */
  async start(dst: string | readonly string[], onChange: (from: RouteState | null, to: RouteState | null, line: string) => void): Promise<void> {
    const dsts = typeof dst === 'string' ? [dst] : dst;
    const routes = () => Promise.all(dsts.map(routeTo));
    this.current = await routes();
    this.proc = spawn('ip', ['monitor', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.checking = this.checking.then(async () => {
        const next = await routes();
        const i = next.findIndex((r, k) => !sameRoute(r, this.current[k]!));
        if (i < 0) return;
        const used = (rs: (RouteState | null)[]) => rs.find((r) => r) ?? null;
        const [from, to] = sameRoute(used(this.current), used(next)) ? [this.current[i]!, next[i]!] : [used(this.current), used(next)];
        this.current = next;
        onChange(from, to, line);
      });
    });
  }

  stop(): void { this.proc?.kill(); }
}

const sameRoute = (a: RouteState | null, b: RouteState | null) => a?.dev === b?.dev && a?.src === b?.src;

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

/** How a mobile learns of a change besides silence: the OS's netlink, or its own probes of each
 *  uplink (the original system's latest way: strategies/shared/uplink-probe.ts). */
export type DetectBy = 'netlink' | 'probe';

/** The detectors wired the way every mobile uses them: netlink (or the uplink probes) at once,
 *  liveness once audio flows (feed it with `alive()`); each detection is logged as
 *  netchange.detected. A probe detection names the uplink to move to (`to`): the OS has not moved
 *  the default route, so the strategy must bind its traffic there itself. */
export class ChangeDetector {
  private readonly netlink: NetlinkWatcher | null;
  private readonly prober: UplinkProber | null;
  private readonly watchdog: LivenessWatchdog;
  constructor(private readonly ctx: RoleContext, private readonly onChange: (via: string, detail: string, to?: UplinkInfo) => void,
    detect: DetectBy = 'netlink') {
    this.watchdog = new LivenessWatchdog(livenessMs(ctx), (ms) => this.detected('liveness', `${ms.toFixed(0)} ms of silence`));
    this.netlink = detect === 'netlink' ? new NetlinkWatcher() : null;
    this.prober = detect === 'probe' ? new UplinkProber(ctx, (_from, to, why) => this.detected('probe', why, to)) : null;
  }
  private detected(via: string, detail: string, to?: UplinkInfo): void {
    this.watchdog.quiet();   // one change, one detection: the silence that follows is its own
    this.ctx.log.log('netchange.detected', { via, detail });
    this.onChange(via, detail, to);
  }
  async start(): Promise<void> {
    const dst = this.ctx.intermediate.addrs[0];
    // family=dual: a change of the IPv6 route alone (a renumbered prefix) is a change too
    const dsts = familyOf(this.ctx) === 'dual' ? [dst, ...this.ctx.intermediate.addrs6.slice(0, 1)] : [dst];
    await this.netlink?.start(dsts, (from, to) => this.detected('netlink', routeChange(from, to)));
    await this.prober?.start((await routeTo(dst))?.dev);
  }
  /** Silence only means something once audio has flowed. */
  audioStarted(): void { this.watchdog.start(); }
  alive(): void { this.watchdog.alive(); }
  stop(): void { this.watchdog.stop(); this.netlink?.stop(); this.prober?.stop(); }
}

/** The detector option of the strategies that offer both (docs/strategies.md "The original's own ways"). */
export const DETECT_OPTION = {
  detect: { describe: 'how a change is noticed besides silence: netlink (the OS tells) or probe (each uplink probed every 200 ms, 200 ms timeout, as the original does now)', default: 'netlink', values: ['netlink', 'probe'] },
};
export const detectBy = (ctx: RoleContext): DetectBy => ctx.option('detect') as DetectBy;

export const LIVENESS_OPTION = {
  livenessMs: { describe: 'silence on the audio path that counts as a change (ms); the same rule for every strategy', default: String(LIVENESS_MS_DEFAULT) },
};
