// A peer's networking: ONE UDP socket (QUICSocket) shared by its control connection to the
// intermediate, its P2P QUIC server (answerer) or clients (mobile) and its hole punching — so the
// reflexive address the intermediate sees is the one the other peer must punch toward.
import { randomBytes } from 'node:crypto';
import { events, QUICClient, QUICServer, QUICSocket, type QUICConnection } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import { endpointKey, type Endpoint } from './signalling.ts';
import { baseConfig, withoutRetry } from './quic.ts';
import { clientCrypto, loadCert, pinTo, quietLogger, serverCrypto } from './quic-tls.ts';
import { onRawPacket } from './quic-sockets.ts';
import { now } from '../../core/events.ts';
import { globalIpv6 } from './family.ts';
import { countQuicKeepalives, overhead } from './overhead.ts';

export class PeerSocket {
  readonly logger = quietLogger();
  readonly socket = new QUICSocket({ logger: this.logger });
  readonly cert = loadCert('peer');
  get port(): number { return this.socket.port; }
  /** On every IPv4 address, or on one uplink's (its traffic then leaves over that uplink: the
   *  testbed routes by source address, docs/testbed.md), or `::` for both families (family=dual). */
  async start(host = '0.0.0.0'): Promise<void> { await this.socket.start({ host, port: 0 }); }
  async stop(): Promise<void> { await this.socket.stop({ force: true }).catch(() => {}); }

  /** Host candidates: this host's addresses with the shared port — on a dual-stack socket its
   *  global IPv6 addresses too (strategies/shared/family.ts). */
  hostCandidates(ctx: RoleContext): Endpoint[] {
    const v6 = this.socket.type === 'ipv4&ipv6' ? globalIpv6() : [];
    return dedupe([...ctx.uplinks.map((u) => u.addr), ...v6].map((addr) => ({ addr, port: this.port })));
  }

  /** Dials a QUIC connection (on the shared socket unless another is given); the remote must hold the peers' pinned cert. */
  async dial(remote: Endpoint, timeoutMs: number, config = {}, socket = this.socket): Promise<QUICClient> {
    const full = baseConfig({ key: this.cert.key, cert: this.cert.cert, verifyPeer: true, verifyCallback: pinTo(this.cert.fingerprint), ...config });
    const client = await QUICClient.createQUICClient({
      host: remote.addr, port: remote.port, socket, crypto: clientCrypto, logger: this.logger, config: full,
    }, { timer: timeoutMs });
    countQuicKeepalives(client.connection, full.keepAliveIntervalTime);
    return client;
  }

  /** Accepts P2P connections from peers that hold the pinned peer certificate (on the shared
   *  socket, or on another one such as a path layer's virtual socket). */
  async serve(onConnection: (conn: QUICConnection) => void, config = {}, socket = this.socket): Promise<QUICServer> {
    const full = baseConfig({ key: this.cert.key, cert: this.cert.cert, verifyPeer: true, verifyCallback: pinTo(this.cert.fingerprint), ...config });
    // no stateless Retry: one round trip less per P2P handshake (docs/strategies.md, "Fair baselines")
    const server = withoutRetry(new QUICServer({ crypto: serverCrypto(), socket, logger: this.logger, config: full }));
    server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
      const conn = (evt as events.EventQUICServerConnection).detail;
      countQuicKeepalives(conn, full.keepAliveIntervalTime);
      onConnection(conn);
    });
    await server.start();
    return server;
  }
}


// -- hole punching --------------------------------------------------------------------------------
const PUNCH_MAGIC = Buffer.from('MBPUNCH1');

/** Sends punch packets to every target every `intervalMs` until stopped, and reports the first
 *  punch packet heard from the peer (its source is the peer-reflexive address to use). */
export class Puncher {
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  readonly heard: Promise<Endpoint>;
  private resolveHeard!: (e: Endpoint) => void;
  private readonly token: Buffer;
  constructor(private readonly ps: PeerSocket, pairing: string, private readonly targets: Endpoint[], intervalMs = 20) {
    this.token = Buffer.concat([PUNCH_MAGIC, Buffer.from(pairing.slice(0, 32))]);
    this.heard = new Promise((r) => { this.resolveHeard = r; });
    this.unsubscribe = onRawPacket(ps.socket, (data, from) => {
      if (data.length === this.token.length + 8 && data.subarray(0, this.token.length).equals(this.token)) {
        this.resolveHeard({ addr: from.address, port: from.port });
      }
    });
    const fire = () => {
      for (const t of this.targets) {
        overhead.keepalive += this.token.length + 8;
        void this.ps.socket.send(Buffer.concat([this.token, randomBytes(8)]), t.port, t.addr).catch(() => {});
      }
    };
    fire();
    this.timer = setInterval(fire, intervalMs);
  }
  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }
}

export function dedupe(endpoints: Endpoint[]): Endpoint[] {
  return [...new Map(endpoints.map((e) => [endpointKey(e), e])).values()];
}

/** Resolves when the first of `promise` or a timeout settles; rejects with `what` on timeout. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

export const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) resolve(); else signal.addEventListener('abort', () => resolve(), { once: true });
});

export { now };
