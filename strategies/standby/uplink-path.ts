// standby's mobile: one uplink's direct path — its socket, its state, what its pongs told.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { RoleContext, UplinkInfo } from '../contract.ts';
import type { DirectPath } from '../shared/paths.ts';
import { now } from '../shared/peer.ts';
import type { Endpoint } from '../shared/signalling.ts';

/** One mobile uplink's direct path. `up` from its first pong until it is lost: no pong for 2.5 of
 *  its ping intervals (at least DEAD_MS), its uplink gone (netlink), or silence on it while primary
 *  (liveness). A path that is not up is punched as often as the policy says, and after DEAD_MS down
 *  its reflexive address is learned again and sent to the answerer (its NAT may have moved it). */
export class UplinkPath {
  /** Its socket, bound to `bound` (open). */
  sock!: dgram.Socket;
  bound = '';
  reflexive: Endpoint | null = null;
  answerer: Endpoint | null = null;   // where the answerer's pongs came from
  up = false;
  downSince = now();
  rtt: number | null = null;
  lastPing = -Infinity;
  routeLost = false;
  retryAt = now();
  lastPong = 0;
  lastPongSeq = -1;
  lastReflect = 0;
  seq = 0;
  /** `ipv6`: the uplink has no IPv4 (an IPv6-only network without a CLAT) and family=dual: the
   *  path is IPv6, to the intermediate's and the answerer's IPv6 addresses. */
  constructor(readonly id: number, readonly uplink: UplinkInfo, readonly ipv6: boolean, private readonly log: RoleContext['log']) {}
  /** Binds a socket to `addr` (traffic from it leaves over this uplink: the testbed routes by source
   *  address, docs/testbed.md), closing the one before (a renumbered address: family=dual). */
  async open(addr: string, onMessage: (msg: Buffer, from: dgram.RemoteInfo) => void): Promise<void> {
    const sock = dgram.createSocket(this.ipv6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(0, addr, () => resolve()); });
    sock.removeAllListeners('error');
    sock.on('error', () => {});   // ENETUNREACH while the uplink is down: the path just looks dead
    sock.on('message', onMessage);
    this.sock?.close();
    this.sock = sock;
    this.bound = addr;
  }
  /** Whether `to` is in this path's family. */
  reaches(to: Endpoint): boolean { return isIPv6(to.addr) === this.ipv6; }
  get direct(): DirectPath | null { return this.up && this.answerer ? { to: this.answerer, via: this.sock } : null; }
  lose(t: number, state: 'down' | 'suspect', why: string): void {
    if (!this.up) return;
    this.up = false;
    this.downSince = t;
    this.log.logOther('standby.path', { path: this.uplink.name, state, why });
  }
  /** Something may have opened it (a new address, a route back). */
  retry(t: number): void {
    this.routeLost = false;
    this.retryAt = t;
  }
}
