// Change detection by probing, as the original system does at its latest version
// (docs/research.md "The original system"): every PROBE_INTERVAL_MS each uplink's path to the
// intermediate is probed from a socket bound to that uplink's address, and a probe unanswered after
// PROBE_TIMEOUT_MS has failed. Nothing is read from the OS — no netlink, no routes — so a path that
// dies while its link stays up (a fading Wi-Fi, a handover's lingering network) is seen as soon as
// its probes fail. Which uplink to use is a small pure policy (chooseUplink), unit-tested on
// synthetic histories (test/unit/uplink-probe.test.ts).
import dgram from 'node:dgram';
import type { RoleContext, UplinkInfo } from '../contract.ts';
import { REFLECT_MAGIC, REFLECTOR_PORT_OFFSET } from './intermediate.ts';
import { overhead } from './overhead.ts';
import { now } from './peer.ts';

export const PROBE_INTERVAL_MS = 200;
export const PROBE_TIMEOUT_MS = 200;
/** Consecutive failed probes after which the uplink in use is left (this bench's reading: the
 *  original scores candidate pairs instead; one loss must not move a call). */
export const FAILS_TO_LEAVE = 2;
/** A more preferred uplink is taken back once it has answered every probe this long (the
 *  original's candidate stability window). */
export const STABLE_MS = 5000;

/** What the probes say of one uplink: consecutive failures, and the start of its current run of
 *  answered probes (null while failing). */
export interface UplinkHealth { fails: number; answeringSince: number | null }

/** The uplink to use (an index into `health`, most preferred first): the current one unless it
 *  has failed FAILS_TO_LEAVE probes in a row — then the most preferred one answering — or a more
 *  preferred one has answered for STABLE_MS. */
export function chooseUplink(health: readonly UplinkHealth[], current: number, t: number): number {
  const answering = (h: UplinkHealth) => h.fails === 0 && h.answeringSince !== null;
  if (health[current]!.fails >= FAILS_TO_LEAVE) {
    const alive = health.findIndex(answering);
    return alive === -1 ? current : alive;
  }
  const better = health.findIndex((h, i) => i < current && answering(h) && t - h.answeringSince! >= STABLE_MS);
  return better === -1 ? current : better;
}

interface Probe { sock: dgram.Socket; health: UplinkHealth; seq: number; sentAt: number | null }

/** Probes every uplink of the host and calls `onMove(from, to, why)` when the policy leaves the
 *  uplink in use; `current` starts as the one the default route uses. */
export class UplinkProber {
  private readonly probes: Probe[];
  private timer?: NodeJS.Timeout;
  private current = 0;

  constructor(private readonly ctx: RoleContext, private readonly onMove: (from: UplinkInfo, to: UplinkInfo, why: string) => void) {
    this.probes = ctx.uplinks.map(() => ({ sock: dgram.createSocket('udp4'), health: { fails: 0, answeringSince: null }, seq: 0, sentAt: null }));
  }

  get uplink(): UplinkInfo { return this.ctx.uplinks[this.current]!; }

  async start(currentDev: string | undefined): Promise<void> {
    this.current = Math.max(0, this.ctx.uplinks.findIndex((u) => u.dev === currentDev));
    const to = { addr: this.ctx.intermediate.addrs[0], port: this.ctx.intermediate.controlPort + REFLECTOR_PORT_OFFSET };
    await Promise.all(this.probes.map(async (p, i) => {
      p.sock.on('error', () => {});   // ENETUNREACH while the uplink is down: its probes just fail
      p.sock.on('message', (msg) => this.answered(p, msg));
      await new Promise<void>((r) => p.sock.bind(0, this.ctx.uplinks[i]!.addr, () => r()));
    }));
    const tick = () => {
      const t = now();
      for (const p of this.probes) {
        if (p.sentAt !== null) this.failed(p);   // unanswered for a whole interval = the timeout
        p.sentAt = t;
        const probe = Buffer.alloc(REFLECT_MAGIC.length + 8);
        REFLECT_MAGIC.copy(probe);
        probe.writeUInt32BE(++p.seq, REFLECT_MAGIC.length);
        overhead.keepalive += probe.length;
        p.sock.send(probe, to.port, to.addr, () => {});
      }
      this.decide(t);
    };
    tick();
    this.timer = setInterval(tick, PROBE_INTERVAL_MS);
  }

  private answered(p: Probe, msg: Buffer): void {
    if (!msg.subarray(0, REFLECT_MAGIC.length).equals(REFLECT_MAGIC) || p.sentAt === null) return;
    const t = now();
    if (msg.readUInt32BE(REFLECT_MAGIC.length) !== p.seq || t - p.sentAt > PROBE_TIMEOUT_MS) return;
    p.health = { fails: 0, answeringSince: p.health.answeringSince ?? t };
    p.sentAt = null;
  }

  private failed(p: Probe): void {
    p.sentAt = null;
    p.health = { fails: p.health.fails + 1, answeringSince: null };
  }

  private decide(t: number): void {
    const next = chooseUplink(this.probes.map((p) => p.health), this.current, t);
    if (next === this.current) return;
    const from = this.uplink;
    const fails = this.probes[this.current]!.health.fails;
    this.current = next;
    this.onMove(from, this.uplink, fails >= FAILS_TO_LEAVE
      ? `${from.name}: ${fails} probes unanswered; ${this.uplink.name} answers`
      : `${this.uplink.name} answered for ${STABLE_MS} ms`);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const p of this.probes) p.sock.close();
  }
}
