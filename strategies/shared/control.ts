// A peer's authenticated control connection to the intermediate (on the peer's shared socket,
// strategies/shared/peer.ts): pairing, reflexive addresses, signals to the paired peer, its relay
// grant, and redialling when the intermediate went away. Protocol: strategies/shared/signalling.ts.
import { EventEmitter } from 'node:events';
import { QUICClient } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import { encode, endpointKey, helloProof, MessageReader, type Message, type Messages, type PeerRole } from './signalling.ts';
import { baseConfig } from './quic.ts';
import { clientCrypto, loadCert, pinTo } from './quic-tls.ts';
import { divertPackets, rawSend } from './quic-sockets.ts';
import { RelayEnd, type RelaySend } from './relay-end.ts';
import type { PeerSocket } from './peer.ts';
import { familyOf } from './family.ts';
import { hasRoute } from './netwatch.ts';

export type PeerInfo = Messages['peer'];
export interface ControlOptions { timeoutMs?: number; relay?: boolean }

/** The authenticated control connection to the intermediate. Emits 'peer' (PeerInfo),
 *  'welcome' (own reflexive Endpoint), 'signal' ({kind, body}), 'relay' (payload). When the
 *  intermediate went away — its relay stopped answering while this peer relayed (≈ 1 s,
 *  relay-end.ts), or the connection died (QUIC's 5 s idle timeout: control.lost) — it redials every
 *  RECONNECT_MS until welcomed again (control.restored); the intermediate pairs the peers again and
 *  sends 'peer' anew, so strategies need nothing special to recover. */
export class ControlClient extends EventEmitter {
  peer?: PeerInfo;
  private session!: ControlSession;
  private closing = false;
  private readonly offRelay: () => void;
  private readonly relayEnd: RelayEnd;
  private constructor(private readonly ctx: RoleContext, private readonly ps: PeerSocket, private readonly role: PeerRole,
    relaying: boolean) {
    super();
    this.relayEnd = new RelayEnd(ctx, (packet, port, addr) => rawSend(ps.socket, packet, port, addr),
      (payload) => this.emit('relay', payload), () => this.redial(true), relaying);
    // Relayed packets arrive on the shared socket from the intermediate's relay port (relay.ts);
    // they are taken out before js-quic would parse them as QUIC.
    this.offRelay = divertPackets(ps.socket, (data, from) => this.acceptRelay(data, from));
  }

  /** `relay: false` for strategies that never use the intermediate's relay (WebRTC has TURN):
   *  no relay binds, which would only cost bytes (overhead.bytes keepalive). */
  static async connect(ctx: RoleContext, ps: PeerSocket, role: PeerRole,
    { timeoutMs = 5000, relay = true }: ControlOptions = {}): Promise<ControlClient> {
    const control = new ControlClient(ctx, ps, role, relay);
    try {
      control.session = await control.open(timeoutMs, await intermediateAddress(ctx));
    } catch (e) {
      control.stopRelay();
      throw e;
    }
    return control;
  }

  /** Dials the intermediate at `host`, authenticates, and resolves once welcomed; a session that
   *  ends later is 'lost'. */
  private async open(timeoutMs: number, host: string): Promise<ControlSession> {
    const { ctx, ps } = this;
    const inter = loadCert('intermediate');
    const remote = endpointKey({ addr: host, port: ctx.intermediate.controlPort });
    ctx.log.log('handshake.start', { remote, with: 'intermediate' });
    const client = await QUICClient.createQUICClient({
      host, port: ctx.intermediate.controlPort, socket: ps.socket, crypto: clientCrypto,
      logger: ps.logger, config: baseConfig({ verifyPeer: true, verifyCallback: pinTo(inter.fingerprint) }),
    }, { timer: timeoutMs });
    ctx.log.log('handshake.ok', { remote, with: 'intermediate' });
    const stream = client.connection.newStream('bidi');
    const session: ControlSession = { client, host, writer: stream.writable.getWriter() };
    let ended!: () => void;
    const end = new Promise<void>((r) => { ended = r; });
    const welcomed = new Promise<void>((resolve, reject) => {
      const onWelcome = () => resolve();
      this.once('welcome', onWelcome);
      void end.then(() => { this.off('welcome', onWelcome); reject(new Error('the intermediate closed the control connection before welcome')); });
    });
    this.write(session, { type: 'open' });
    void (async () => {
      const reader = new MessageReader();
      try {
        for await (const chunk of stream.readable) {
          for (const msg of reader.push(chunk)) this.onMessage(session, msg);
        }
      } catch { /* closed */ }
      ended();
      if (session === this.session) this.lost();
    })();
    try {
      await welcomed;
    } catch (e) {
      await client.destroy({ force: true }).catch(() => {});
      throw e;
    }
    return session;
  }

  private lost(): void { this.redial(false); }

  /** Redials every RECONNECT_MS until welcomed: after the connection ended (QUIC's idle timeout,
   *  logged as control.lost), or, `silent`, once the relay stopped answering (relay-end.ts logged
   *  control.unreachable) — then the old connection is kept, and the redial given up if the relay
   *  answers again before an attempt (this peer's own path was down, not the intermediate). */
  private redial(silent: boolean): void {
    if (this.closing || this.ctx.signal.aborted || this.redialling) return;
    const old = this.session;
    if (!silent) {
      this.ctx.log.logOther('control.lost', { why: 'the control connection to the intermediate ended' });
      void old.client.destroy({ force: true }).catch(() => {});
    }
    this.redialling = (async () => {
      while (!this.closing && !this.ctx.signal.aborted) {
        await new Promise((r) => setTimeout(r, RECONNECT_MS));
        if (silent && this.relayEnd.answering) return;
        try {
          this.session = await this.open(REDIAL_TIMEOUT_MS, await intermediateAddress(this.ctx));
          if (silent) void old.client.destroy({ force: true }).catch(() => {});
          this.ctx.log.logOther('control.restored', {});
          return;
        } catch { /* still away: try again */ }
      }
    })().finally(() => { this.redialling = null; });
  }
  /** While set, the connection is lost and being redialled (family=dual's sends wait for it). */
  private redialling: Promise<void> | null = null;

  private onMessage(session: ControlSession, msg: Message): void {
    const pairing = this.ctx.pairings[0]!;
    this.ctx.log.log('signal.recv', { kind: msg.type });
    if (msg.type === 'challenge') {
      this.write(session, { type: 'hello', pairing: pairing.id, role: this.role, host: this.ps.hostCandidates(this.ctx),
        proof: helloProof(pairing.secret, pairing.id, this.role, msg.nonce) });
    } else if (msg.type === 'welcome') {
      this.relayEnd.granted(msg.relay, session.host);   // binds: the relay latches where this comes from
      this.emit('welcome', msg.self);
    } else if (msg.type === 'peer') {
      this.peer = msg;
      this.emit('peer', msg);
    } else if (msg.type === 'signal') {
      this.emit('signal', msg);
    }
  }

  private write(session: ControlSession, msg: Message): void {
    this.ctx.log.log('signal.sent', { kind: msg.type === 'signal' ? `signal:${msg.kind}` : msg.type });
    session.writer.write(encode(msg)).catch(() => {});
  }

  /** Sends a control message (lost while the intermediate is away: strategies re-signal on 'peer').
   *  An address change also re-binds the relay at once, so relayed packets follow without waiting.
   *  With family=dual every message first follows the network (redials where there is no route to
   *  the intermediate's address any more: one check for the messages sent while it runs), in order;
   *  an address change carries the peer's host candidates now (a renumbered IPv6 prefix). */
  send(msg: Message): void {
    if (familyOf(this.ctx) === 'ipv4') {
      this.write(this.session, msg);
      if (msg.type === 'address-change') this.relayEnd.bind();
      return;
    }
    this.checking ??= this.follow().finally(() => { this.checking = null; });
    const followed = this.checking;
    this.queue = this.queue.then(() => followed).then(() => {
      this.write(this.session, msg.type === 'address-change' ? { ...msg, host: this.ps.hostCandidates(this.ctx) } : msg);
      if (msg.type === 'address-change') this.relayEnd.bind();
    });
  }
  private checking: Promise<void> | null = null;
  private queue = Promise.resolve();

  /** A QUIC client cannot move its connection to another server address, and the one it uses is
   *  gone with its family's route (IPv4 Wi-Fi → IPv6-only cellular): a new connection, at the
   *  intermediate's address in the family the route has now, becomes this peer's registration. */
  private async follow(): Promise<void> {
    if (this.redialling) return this.redialling;
    const was = this.session;
    if (this.closing || !was || await hasRoute(was.host)) return;
    const host = await intermediateAddress(this.ctx);
    if (host === was.host) return;
    try {
      this.session = await this.open(REDIAL_TIMEOUT_MS, host);
      this.ctx.log.logOther('control.redialled', { from: was.host, to: host });
      void was.client.destroy({ force: true }).catch(() => {});
    } catch (e) {
      this.ctx.log.logOther('control.redial-failed', { to: host, message: (e as Error).message });
    }
  }

  /** A packet from the intermediate's relay port: a payload is emitted as 'relay' (true; dropped if
   *  it fails authentication or is a replay), or not one (false). Called for the shared socket, and by
   *  a strategy for sockets of its own that it sends relay packets from (relayVia). */
  acceptRelay(data: Buffer, from: { address: string; port: number }): boolean { return this.relayEnd.accept(data, from); }

  /** Where relay packets (binds and payloads) leave from from now on: the shared socket (null: the
   *  OS's route), or a socket of the strategy's own on one uplink — the relay follows the strategy's
   *  choice of uplink (seamless). Binds at once from there, so the relay latches on it now. */
  relayVia(send: RelaySend | null): void { this.relayEnd.via(send); }

  /** Sends a payload through the intermediate's relay to the paired peer (false: no grant yet, or
   *  the relay does not answer: strategies/shared/relay-end.ts). */
  relay(payload: Uint8Array): boolean { return this.relayEnd.send(payload); }

  private stopRelay(): void {
    this.offRelay();
    this.relayEnd.stop();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.stopRelay();
    await this.session.client.destroy({ force: true }).catch(() => {});
  }
}

interface ControlSession {
  client: QUICClient;
  host: string;   // the intermediate's address it dialled (and relays through)
  writer: WritableStreamDefaultWriter<Uint8Array>;
}
/** Where the control connection dials the intermediate: its IPv4 address while there is a route to
 *  it (as family=ipv4 does, so the two stay comparable where both work), else its IPv6 address. */
async function intermediateAddress(ctx: RoleContext): Promise<string> {
  const [v4] = ctx.intermediate.addrs;
  const v6 = ctx.intermediate.addrs6[0];
  if (familyOf(ctx) === 'ipv4' || !v6 || await hasRoute(v4)) return v4;
  return v6;
}

/** A peer redials an intermediate that went away every RECONNECT_MS, each attempt short (a long
 *  one would sit in QUIC's handshake backoff after the intermediate is back). */
const RECONNECT_MS = 500;
const REDIAL_TIMEOUT_MS = 1000;

/** Signals between the paired peers (forwarded by the intermediate as `signal {kind, body}`), typed
 *  by a map the strategy declares once (kind -> body), so no call site casts a payload. The bodies
 *  come from the paired, authenticated peer; a strategy still checks what it relies on. */
export class Signals<S extends Record<string, object>> {
  constructor(private readonly control: ControlClient) {}
  send<K extends keyof S & string>(kind: K, body: S[K]): void { this.control.send({ type: 'signal', kind, body }); }
  on<K extends keyof S & string>(kind: K, fn: (body: S[K]) => void): void {
    this.control.on('signal', (m: Messages['signal']) => { if (m.kind === kind) fn((m.body ?? {}) as S[K]); });
  }
}
