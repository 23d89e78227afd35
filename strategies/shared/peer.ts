// A peer's networking: ONE UDP socket (QUICSocket) shared by its control connection to the
// intermediate, its P2P QUIC server (answerer) or clients (mobile) and its hole punching — so the
// reflexive address the intermediate sees is the one the other peer must punch toward.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { events, QUICClient, QUICServer, QUICSocket, type QUICConnection } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import {
  encode, endpointKey, helloProof, MessageReader, RELAY_TAG,
  type Endpoint, type Message, type Messages, type PeerRole,
} from './signalling.ts';
import {
  attachDatagrams, baseConfig, clientCrypto, loadCert, onRawPacket, pinTo, quietLogger, serverCrypto, type Datagrams,
} from './quic.ts';
import { now } from './events.ts';

export type PeerInfo = Messages['peer'];

export class PeerSocket {
  readonly logger = quietLogger();
  readonly socket = new QUICSocket({ logger: this.logger });
  readonly cert = loadCert('peer');
  get port(): number { return this.socket.port; }
  async start(): Promise<void> { await this.socket.start({ host: '0.0.0.0', port: 0 }); }
  async stop(): Promise<void> { await this.socket.stop({ force: true }).catch(() => {}); }

  /** Host candidates: this host's addresses with the shared port. */
  hostCandidates(ctx: RoleContext): Endpoint[] {
    return ctx.uplinks.map((u) => ({ addr: u.addr, port: this.port }));
  }

  /** Dials a QUIC connection (on the shared socket unless another is given); the remote must hold the peers' pinned cert. */
  async dial(remote: Endpoint, timeoutMs: number, config = {}, socket = this.socket): Promise<QUICClient> {
    return QUICClient.createQUICClient({
      host: remote.addr, port: remote.port, socket, crypto: clientCrypto, logger: this.logger,
      config: baseConfig({ key: this.cert.key, cert: this.cert.cert, verifyPeer: true, verifyCallback: pinTo(this.cert.fingerprint), ...config }),
    }, { timer: timeoutMs });
  }

  /** Accepts P2P connections from peers that hold the pinned peer certificate (on the shared
   *  socket, or on another one such as a path layer's virtual socket). */
  async serve(onConnection: (conn: QUICConnection) => void, config = {}, socket = this.socket): Promise<QUICServer> {
    const server = new QUICServer({
      crypto: serverCrypto(), socket, logger: this.logger,
      config: baseConfig({ key: this.cert.key, cert: this.cert.cert, verifyPeer: true, verifyCallback: pinTo(this.cert.fingerprint), ...config }),
    });
    server.addEventListener(events.EventQUICServerConnection.name, (evt) =>
      onConnection((evt as events.EventQUICServerConnection).detail));
    await server.start();
    return server;
  }
}

/** The authenticated control connection to the intermediate. Emits 'peer' (PeerInfo),
 *  'welcome' (own reflexive Endpoint), 'signal' ({kind, body}), 'relay' (payload), 'closed'. */
export class ControlClient extends EventEmitter {
  self?: Endpoint;
  peer?: PeerInfo;
  private constructor(private readonly ctx: RoleContext, readonly client: QUICClient,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>, readonly datagrams: Datagrams) { super(); }

  static async connect(ctx: RoleContext, ps: PeerSocket, role: PeerRole, timeoutMs = 5000): Promise<ControlClient> {
    const inter = loadCert('intermediate');
    const remote = `${ctx.intermediate.addrs[0]}:${ctx.intermediate.controlPort}`;
    ctx.log.log('handshake.start', { remote, with: 'intermediate' });
    const client = await QUICClient.createQUICClient({
      host: ctx.intermediate.addrs[0], port: ctx.intermediate.controlPort, socket: ps.socket, crypto: clientCrypto,
      logger: ps.logger, config: baseConfig({ verifyPeer: true, verifyCallback: pinTo(inter.fingerprint) }),
    }, { timer: timeoutMs });
    ctx.log.log('handshake.ok', { remote, with: 'intermediate' });
    const stream = client.connection.newStream('bidi');
    let control!: ControlClient;
    const datagrams = attachDatagrams(client.connection, (d) => {
      if (d[0] === RELAY_TAG) control.emit('relay', Buffer.from(d.subarray(1)));
    });
    control = new ControlClient(ctx, client, stream.writable.getWriter(), datagrams);
    const pairing = ctx.pairings[0]!;
    const welcomed = new Promise<void>((resolve, reject) => {
      control.once('welcome', () => resolve());
      control.once('closed', () => reject(new Error('the intermediate closed the control connection before welcome')));
    });
    control.send({ type: 'open' });
    void (async () => {
      const reader = new MessageReader();
      try {
        for await (const chunk of stream.readable) {
          for (const msg of reader.push(chunk)) control.onMessage(msg, pairing, role, ps.hostCandidates(ctx));
        }
      } catch { /* closed */ }
      control.emit('closed');
    })();
    await welcomed;
    return control;
  }

  private onMessage(msg: Message, pairing: { id: string; secret: string }, role: PeerRole, host: Endpoint[]): void {
    this.ctx.log.log('signal.recv', { kind: msg.type });
    if (msg.type === 'challenge') {
      this.send({ type: 'hello', pairing: pairing.id, role, host, proof: helloProof(pairing.secret, pairing.id, role, msg.nonce) });
    } else if (msg.type === 'welcome') {
      this.self = msg.self;
      this.emit('welcome', msg.self);
    } else if (msg.type === 'peer') {
      this.peer = msg;
      this.emit('peer', msg);
    } else if (msg.type === 'signal') {
      this.emit('signal', msg);
    }
  }

  send(msg: Message): void {
    this.ctx.log.log('signal.sent', { kind: msg.type === 'signal' ? `signal:${msg.kind}` : msg.type });
    this.writer.write(encode(msg)).catch(() => {});
  }

  /** Sends a payload through the intermediate's relay to the paired peer. */
  relay(payload: Uint8Array): Promise<boolean> {
    const d = Buffer.allocUnsafe(payload.length + 1);
    d[0] = RELAY_TAG;
    d.set(payload, 1);
    return this.datagrams.send(d);
  }

  async close(): Promise<void> {
    await this.client.destroy({ force: true }).catch(() => {});
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
      for (const t of this.targets) void this.ps.socket.send(Buffer.concat([this.token, randomBytes(8)]), t.port, t.addr).catch(() => {});
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
