// The intermediate server: learns each peer's reflexive address from its authenticated control
// connection, exchanges reflexive and host candidates between the two peers of a pairing,
// forwards signalling, and relays UDP for paired peers only (never an open relay; relay.ts).
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { events, QUICServer, QUICSocket, type QUICConnection, type QUICStream } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import { checkProof, encode, endpointKey, MessageReader, ProtocolError, type Endpoint, type Message, type PeerRole } from './signalling.ts';
import { baseConfig } from './quic.ts';
import { loadCert, quietLogger, serverCrypto } from './quic-tls.ts';
import { openRelay, relayHeader, ReplayWindow, RELAY_PORT_OFFSET, sealRelay, type RelayGrant } from './relay.ts';
import { canonical, familyOf, onDualSocket } from './family.ts';

interface Session {
  pairing: string;
  role: PeerRole;
  conn: QUICConnection;
  host: Endpoint[];
  relay: RelaySession;
  send(msg: Message): void;
}
/** A control session's relay state: its key, where its packets last came from, replay window. */
interface RelaySession { id: number; key: Buffer; owner: Session; at: Endpoint | null; window: ReplayWindow; sent: number }

/** How often the intermediate logs the size of its state (intermediate.state). */
const STATE_EVERY_MS = 5000;

export async function runIntermediate(ctx: RoleContext): Promise<void> {
  const secrets = new Map(ctx.pairings.map((p) => [p.id, p.secret]));
  const pairs = new Map<string, Partial<Record<PeerRole, Session>>>();
  const stats = { relayBytes: 0, relayPackets: 0, rejected: 0, relayRejected: 0, logged: 0 };
  const cert = loadCert('intermediate');
  const logger = quietLogger();
  const socket = new QUICSocket({ logger });
  // family=dual: every socket dual-stack, so peers reach it in either family (strategies/shared/family.ts)
  const dual = familyOf(ctx) === 'dual' && ctx.intermediate.addrs6.length > 0;
  await socket.start({ host: dual ? '::' : '0.0.0.0', port: ctx.intermediate.controlPort });
  const server = new QUICServer({
    crypto: serverCrypto(), socket, logger,
    // no keepalive of its own: every peer sends one each second, and with hundreds of peers the
    // intermediate's PINGs would cost more CPU than the relayed audio
    config: baseConfig({ key: cert.key, cert: cert.cert, verifyPeer: false, keepAliveIntervalTime: undefined }),
  });
  const reflexive = (s: Session): Endpoint => ({ addr: canonical(s.conn.remoteHost), port: s.conn.remotePort });
  const other = (s: Session) => pairs.get(s.pairing)?.[s.role === 'answerer' ? 'mobile' : 'answerer'];
  const tell = (s: Session, about: Session, changed: boolean) =>
    s.send({ type: 'peer', role: about.role, reflexive: reflexive(about), host: about.host, changed });
  const relays = new Map<number, RelaySession>();
  const relayPort = ctx.intermediate.controlPort + RELAY_PORT_OFFSET;
  const grant = (r: RelaySession): RelayGrant => ({ port: relayPort, session: r.id, key: r.key.toString('hex') });
  const reject = (conn: QUICConnection, why: string) => {
    stats.rejected++;
    ctx.log.logOther('signal.rejected', { why, from: endpointKey({ addr: canonical(conn.remoteHost), port: conn.remotePort }) });
    void conn.stop({ isApp: true, errorCode: 1, reason: new TextEncoder().encode(why.slice(0, 100)), force: true }).catch(() => {});
  };

  let connections = 0;   // open control connections: with sessions and relays, what a soak watches (docs/hardening.md "Soak")
  function onConnection(conn: QUICConnection): void {
    connections++;
    let session: Session | undefined;
    let streams = 0;
    conn.addEventListener(events.EventQUICConnectionStream.name, (evt) => {
      const stream = (evt as events.EventQUICConnectionStream).detail;
      if (streams++ > 0) { stream.cancel(); return; }   // one control stream per connection
      void serve(conn, stream, (s) => { session = s; }).catch((e) => {
        if (e instanceof ProtocolError) reject(conn, e.message);   // else: the stream ended with its connection
      });
    });
    conn.addEventListener(events.EventQUICConnectionStopped.name, () => {
      connections--;
      const slot = session && pairs.get(session.pairing);
      if (session && slot?.[session.role] === session) delete slot[session.role];
      if (session) relays.delete(session.relay.id);
    }, { once: true });
  }

  async function serve(conn: QUICConnection, stream: QUICStream, bind: (s: Session) => void): Promise<void> {
    const writer = stream.writable.getWriter();
    const send = (msg: Message) => {
      ctx.log.log('signal.sent', { kind: msg.type });
      writer.write(encode(msg)).catch(() => {});
    };
    const nonce = randomBytes(16).toString('hex');
    send({ type: 'challenge', nonce });
    const reader = new MessageReader();
    let session: Session | undefined;
    for await (const chunk of stream.readable) {
      let msgs: Message[];
      try { msgs = reader.push(chunk); } catch (e) { if (e instanceof ProtocolError) throw e; throw new ProtocolError(String(e)); }
      for (const msg of msgs) {
        ctx.log.log('signal.recv', { kind: msg.type });
        if (!session && msg.type === 'open') continue;
        if (!session) {
          const secret = msg.type === 'hello' ? secrets.get(msg.pairing) : undefined;
          if (msg.type !== 'hello' || !secret || !checkProof(secret, msg.pairing, msg.role, nonce, msg.proof)) {
            throw new ProtocolError(msg.type === 'hello' ? 'pairing refused' : `expected hello, got ${msg.type}`);
          }
          let id: number;
          do id = randomBytes(4).readUInt32BE(0); while (relays.has(id));
          session = { pairing: msg.pairing, role: msg.role, conn, host: msg.host, send } as Session;
          session.relay = { id, key: randomBytes(16), owner: session, at: null, window: new ReplayWindow(), sent: 0 };
          relays.set(id, session.relay);
          const slot = pairs.get(msg.pairing) ?? {};
          pairs.set(msg.pairing, slot);
          slot[msg.role] = session;   // a re-registration replaces the older session
          bind(session);
          send({ type: 'welcome', self: reflexive(session), relay: grant(session.relay) });
          const peer = other(session);
          if (peer) { tell(session, peer, false); tell(peer, session, false); }
        } else if (msg.type === 'address-change') {
          // The new address is what this authenticated connection is seen from now, never a claim;
          // host candidates are the peer's own (its IPv6 addresses after a renumbering: family=dual).
          if (msg.host) session.host = msg.host;
          const peer = other(session);
          send({ type: 'welcome', self: reflexive(session), relay: grant(session.relay) });
          if (peer) { tell(peer, session, true); tell(session, peer, false); }   // both get fresh addresses
        } else if (msg.type === 'signal') {
          other(session)?.send(msg);
        } else {
          throw new ProtocolError(`unexpected ${msg.type} from a peer`);
        }
      }
    }
  }

  server.addEventListener(events.EventQUICServerConnection.name, (evt) =>
    onConnection((evt as events.EventQUICServerConnection).detail));
  await server.start();
  const reflector = await startReflector(ctx.intermediate.controlPort + REFLECTOR_PORT_OFFSET, dual);
  // The relay data path: authenticate, latch (only on a counter above all seen), forward to the
  // other peer of the same pairing at its latched address, re-sealed under that peer's key.
  const relaySocket: dgram.Socket = await bindUdp(relayPort, dual, (msg, from) => {
    const h = relayHeader(msg);
    const r = h && relays.get(h.session);
    const payload = r && openRelay(r.key, msg);
    if (!r || !payload) { stats.relayRejected++; return; }
    const fresh = h.counter > r.window.highest;
    if (!r.window.accept(h.counter)) { stats.relayRejected++; return; }   // a replay
    if (fresh) r.at = { addr: from.address, port: from.port };
    // a bind: answered, so that a peer relaying through a dead intermediate notices (relay-end.ts)
    if (!payload.length) { relaySocket.send(sealRelay(r.key, r.id, ++r.sent, payload), from.port, dual ? onDualSocket(from.address) : from.address); return; }
    const to = other(r.owner)?.relay;
    if (!to?.at) return;
    stats.relayBytes += payload.length;
    stats.relayPackets++;
    relaySocket.send(sealRelay(to.key, to.id, ++to.sent, payload), to.at.port, dual ? onDualSocket(to.at.addr) : to.at.addr);
  });
  // Hundreds of streams arrive at 10k+ packets/s: a GC pause of a few ms must not overflow the
  // default 208 kB buffer (each packet costs ~2 kB of it). The kernel caps this at rmem_max.
  relaySocket.setRecvBufferSize(RELAY_RCVBUF);
  relaySocket.setSendBufferSize(RELAY_RCVBUF);
  const ticker = setInterval(() => {   // cumulative relay counters, only when they moved
    if (stats.relayPackets === stats.logged) return;
    stats.logged = stats.relayPackets;
    ctx.log.log('relay.bytes', { bytes: stats.relayBytes, packets: stats.relayPackets });
  }, 250);
  const state = setInterval(() => ctx.log.logOther('intermediate.state', {
    connections, relays: relays.size,
    sessions: [...pairs.values()].reduce((n, slot) => n + Object.keys(slot).length, 0),
  }), STATE_EVERY_MS);
  ctx.report('ready');
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(ticker);
  clearInterval(state);
  ctx.log.log('relay.bytes', { bytes: stats.relayBytes, packets: stats.relayPackets });
  ctx.log.logOther('intermediate.stats', { rejected: stats.rejected, relayRejected: stats.relayRejected });
  reflector.close();
  relaySocket.close();
  await server.stop({ force: true }).catch(() => {});
  await socket.stop({ force: true }).catch(() => {});
}

// -- the reflector: a STUN-like "what address do you see me from" for extra sockets -------------------
/** Lets a peer learn the reflexive address of a socket other than its control connection's (the
 *  `standby` strategy's per-uplink sockets). Like a STUN binding, unauthenticated: it tells the
 *  sender only its own address, and its answer is no larger than the question plus 40 bytes. */
export const REFLECTOR_PORT_OFFSET = 1;
export const REFLECT_MAGIC = Buffer.from('MBREFL1');

async function startReflector(port: number, dual: boolean): Promise<dgram.Socket> {
  const sock: dgram.Socket = await bindUdp(port, dual, (msg, from) => {
    if (msg.length !== REFLECT_MAGIC.length + 8 || !msg.subarray(0, REFLECT_MAGIC.length).equals(REFLECT_MAGIC)) return;
    sock.send(Buffer.concat([msg, Buffer.from(JSON.stringify({ addr: from.address, port: from.port }))]), from.port, dual ? onDualSocket(from.address) : from.address);
  });
  return sock;
}

const RELAY_RCVBUF = 8 << 20;

/** A UDP socket on `port`, dual-stack if asked; it reports IPv4 senders by their plain address. */
async function bindUdp(port: number, dual: boolean, onMessage: (msg: Buffer, from: dgram.RemoteInfo) => void): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: dual ? 'udp6' : 'udp4', ipv6Only: false });
  sock.on('message', dual ? (msg, from) => onMessage(msg, { ...from, address: canonical(from.address) }) : onMessage);
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(port, dual ? '::' : '0.0.0.0', () => resolve()); });
  sock.on('error', () => {});   // e.g. ICMP unreachable for a peer that left: nothing to do
  return sock;
}
