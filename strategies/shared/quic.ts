// Everything that reaches into @matrixai/quic's non-public internals lives in this one module,
// pinned to 2.0.9 (package.json); test/unit/quic-shims.test.ts fails loudly if a shim's hook moves.
// Facts behind each shim: docs/research.md, "js-quic" (one section per shim). Over 250 lines on
// purpose: one home for every reach into js-quic, so an upgrade is checked in one place.
import { createHash, createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type dgram from 'node:dgram';
import { native, QUICConnection, QUICConnectionId, QUICServer, QUICSocket } from '@matrixai/quic';
import type { QUICConfig } from '@matrixai/quic';
import Logger, { LogLevel } from '@matrixai/logger';
import { canonical, onDualSocket } from './family.ts';

export const QUIC_VERSION = '2.0.9';
// the repository: two folders up, or the folder above .build/ when this runs from the roles' bundle (Makefile)
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLED = HERE.lastIndexOf(`${path.sep}.build${path.sep}`);
const REPO = BUNDLED >= 0 ? HERE.slice(0, BUNDLED) : path.resolve(HERE, '../..');
export const CERTS_DIR = process.env.MIGBENCH_CERTS ?? path.join(REPO, 'certs');

// quiche keeps at most active_conn_id_limit - 1 passive migrations per connection and js-quic
// never raises the default of 2, so a second address change would kill the connection (docs/research.md "A connection survives only one passive migration").
// buildQuicheConfig() always calls setDisableActiveMigration: raise the limit right after it.
export const ACTIVE_CID_LIMIT = 32;
const configProto = (native.quiche as unknown as { Config: { prototype: Record<string, unknown> } }).Config.prototype;
function raiseCidLimit(): void {
  const originalSetDisable = configProto.setDisableActiveMigration as (this: unknown, v: boolean) => void;
  if ((originalSetDisable as { migbenchPatched?: boolean }).migbenchPatched) return;
  const patched = function (this: { setActiveConnectionIdLimit(n: number): void }, v: boolean) {
    originalSetDisable.call(this, v);
    this.setActiveConnectionIdLimit(ACTIVE_CID_LIMIT);
  };
  (patched as { migbenchPatched?: boolean }).migbenchPatched = true;
  configProto.setDisableActiveMigration = patched;
}

/** Installs the process-wide shims (the connection-ID limit; the Connection stand-in withoutRetry
 *  needs). Idempotent; strategies/run-role.ts calls it before a role starts, and anything else that
 *  makes QUIC connections with these helpers (microbench/, tests) calls it first: baseConfig and
 *  withoutRetry throw without it. */
export function installQuicShims(): void {
  raiseCidLimit();
  acceptWithoutRetry();
  cheapRecvLock();
}

// js-quic serialises QUICConnection.recv() with an @matrixai/async-locks Lock, whose every withF()
// builds an AbortController, a Timer (setInterval + PromiseCancellable) and an error with a captured
// stack: a quarter of a receiving role's CPU, per packet (docs/research.md "The receive lock"). A
// promise-chain mutex keeps the same order and exclusion. recvLock serves recv() alone; it is swapped
// on a connection's first recv(), before the Lock was ever held.
export class ChainLock {
  private tail: Promise<unknown> = Promise.resolve();
  withF<T>(f: () => Promise<T>): Promise<T> {
    const run = this.tail.then(f);
    this.tail = run.catch(() => {});
    return run;
  }
}
type RecvOwner = { recvLock: unknown };
/** The source of js-quic's own QUICConnection class, under the mixins that wrap it. */
function connectionSource(): string {
  let c: unknown = QUICConnection;
  for (; typeof c === 'function'; c = Object.getPrototypeOf(c)) if (String(c).includes('recvLock')) return String(c);
  return '';
}
function cheapRecvLock(): void {
  const proto = QUICConnection.prototype as unknown as { recv(this: RecvOwner, ...a: unknown[]): Promise<void> };
  const original = proto.recv;
  if ((original as { migbenchPatched?: boolean }).migbenchPatched) return;
  const patched = function (this: RecvOwner, ...a: unknown[]) {
    if (!(this.recvLock instanceof ChainLock)) this.recvLock = new ChainLock();
    return original.apply(this, a);
  };
  (patched as { migbenchPatched?: boolean }).migbenchPatched = true;
  proto.recv = patched;
}
/** Whether a connection's recv() runs under the cheap lock (the shim test asserts it). */
export const cheapLockIn = (conn: QUICConnection) => (conn as unknown as RecvOwner).recvLock instanceof ChainLock;
const shimsInstalled = () => Boolean((configProto.setDisableActiveMigration as { migbenchPatched?: boolean }).migbenchPatched && quiche.Connection.migbenchNoRetry);
function requireShims(): void {
  if (!shimsInstalled()) throw new Error('installQuicShims() must run first (strategies/run-role.ts does, for every role)');
}

export const quietLogger = () => new Logger('quic', LogLevel.WARN);

/** js-quic's crypto hooks: the server HMACs its Retry tokens, the client needs randomness. */
export function serverCrypto() {
  const key = randomBytes(32);
  const hmac = (k: ArrayBuffer, data: ArrayBuffer) =>
    createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + 32),
    ops: {
      async sign(k: ArrayBuffer, data: ArrayBuffer) { const d = hmac(k, data); return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength); },
      async verify(k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer) {
        const d = hmac(k, data); const s = Buffer.from(sig);
        return d.length === s.length && timingSafeEqual(d, s);
      },
    },
  };
}
export const clientCrypto = { ops: { async randomBytes(buf: ArrayBuffer) { randomFillSync(new Uint8Array(buf)); } } };

// -- certificates: made by `make certs`, pinned by SHA-256 fingerprint ----------------------------
export interface CertPair { key: string; cert: string; fingerprint: string }
export function loadCert(name: 'intermediate' | 'peer'): CertPair {
  const read = (ext: string) => {
    const file = path.join(CERTS_DIR, `${name}.${ext}`);
    try { return readFileSync(file, 'utf8'); } catch { throw new Error(`${file} is missing: run \`make certs\``); }
  };
  const cert = read('crt');
  return { key: read('key'), cert, fingerprint: fingerprint(pemToDer(cert)) };
}
function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
/** TLS verification by pinning: IP-literal hostnames fail quiche's name check (docs/research.md "IP-literal host names"). */
export function pinTo(expected: string) {
  return async (certs: Uint8Array[]) =>
    certs[0] && fingerprint(certs[0]) === expected ? undefined : native.CryptoError.BadCertificate;
}

/** Base config of every connection in the bench: datagrams on, quick failure detection. */
/** QUIC keepalive PINGs on every connection (an app without OS events learns of a NAT rebinding no sooner). */
export const KEEPALIVE_INTERVAL_MS = 1000;

export function baseConfig<T extends Partial<QUICConfig>>(over: T): Partial<QUICConfig> & T {
  requireShims();
  return {
    applicationProtos: ['migbench'],
    enableDgram: [true, 1024, 64],   // small send queue: stale audio must not pile up (docs/research.md "Datagrams are queued")
    maxIdleTimeout: 5000,
    keepAliveIntervalTime: KEEPALIVE_INTERVAL_MS,
    ...keylog(),
    ...over,
  };
}

// -- TLS key log (a captured run, harness/run/capture.ts) ---------------------------------------------
/** With SSLKEYLOGFILE set, every QUIC connection of this process leaves its TLS secrets (NSS key log
 *  format) for Wireshark, all in that file once the process exits. js-quic gives each connection the
 *  same `logKeys` path, and quiche creates — truncates — it for each (docs/research.md "Key logs"):
 *  the native setKeylog is wrapped so that each connection writes a part of its own, <file>.<n>,
 *  and the parts are appended to the file at exit (a role killed with SIGKILL leaves its parts). */
let keylogFile: string | null | undefined;
function keylog(): { logKeys?: string } {
  if (keylogFile === undefined) {
    keylogFile = process.env.SSLKEYLOGFILE || null;
    if (keylogFile) keylogParts(keylogFile);
  }
  return keylogFile ? { logKeys: keylogFile } : {};
}

type KeylogProto = { setKeylog(this: unknown, path: string): void };
const keylogProto = () => (native.quiche as unknown as { Connection: { prototype: KeylogProto } }).Connection.prototype;
function keylogParts(file: string): void {
  const proto = keylogProto();
  const original = proto.setKeylog;
  const parts: string[] = [];
  proto.setKeylog = function (this: unknown, path: string) {
    const part = `${path}.${parts.length + 1}`;
    parts.push(part);
    original.call(this, part);
  };
  process.on('exit', () => {
    appendFileSync(file, parts.filter((p) => existsSync(p)).map((p) => readFileSync(p, 'utf8')).join(''));
    for (const p of parts) rmSync(p, { force: true });
  });
}

// -- datagrams (RFC 9221): enabled by config, but js-quic has no API (docs/research.md) ------------------
interface NativeConn {
  sendAckEliciting(): void;
  dgramSend(d: Uint8Array): void | null;
  dgramRecvVec(): Uint8Array | null;
  dgramPurgeOutgoing(f: (d: Uint8Array) => boolean): void;
  dgramMaxWritableLen(): number | null;
}
interface ConnInternals {
  conn: NativeConn;
  recv(data: Uint8Array, remoteInfo: unknown): Promise<void>;
  send(): Promise<void>;
  __migbenchDgram?: (d: Uint8Array) => void;
}

export interface Datagrams {
  /** Queues one datagram and flushes; false if quiche refused it (queue full, too large, closed). */
  send(data: Uint8Array): Promise<boolean>;
  /** Drops queued, not yet sent datagrams the predicate picks (stale audio). */
  purge(stale: (d: Uint8Array) => boolean): void;
  maxLen(): number | null;
}

/** Delivers every datagram received on `conn` to `onDatagram` (replaces an earlier handler). */
export function attachDatagrams(conn: QUICConnection, onDatagram: (d: Uint8Array) => void): Datagrams {
  const c = conn as unknown as ConnInternals;
  if (!c.__migbenchDgram) {
    const recv = c.recv.bind(c);
    c.recv = async (data, remoteInfo) => {
      await recv(data, remoteInfo);
      for (let d = c.conn.dgramRecvVec(); d !== null; d = c.conn.dgramRecvVec()) c.__migbenchDgram?.(d);
    };
  }
  c.__migbenchDgram = onDatagram;
  return {
    async send(data) {
      if (conn.closed) return false;
      try {
        if (c.conn.dgramSend(data) === null) return false;
        await c.send();
        return true;
      } catch {
        return false;
      }
    },
    purge(stale) { if (!conn.closed) c.conn.dgramPurgeOutgoing(stale); },
    maxLen() { return conn.closed ? null : c.conn.dgramMaxWritableLen(); },
  };
}

/** Makes the connection send an ack-eliciting packet (a PING unless one is due anyway) now, as
 *  js-quic's keepalive timer does: after an address change the peer hears the new address at
 *  once instead of at the next keepalive. */
export async function nudge(conn: QUICConnection): Promise<void> {
  if (conn.closed) return;
  const c = conn as unknown as ConnInternals;
  c.conn.sendAckEliciting();
  await c.send();
}

// -- no stateless Retry on P2P servers (docs/research.md) -------------------------------------------------
// QUICServer.acceptConnection answers every Initial without a token with a Retry (one more round
// trip per handshake); js-quic has no option to skip it. withoutRetry() sends such an Initial down
// acceptConnection's own after-Retry path: the header goes on with a marker token and, as its DCID,
// a 20-byte id derived from the client's DCID (js-quic routes short headers by 20-byte ids: docs/research.md);
// validateToken maps the marker to NO_ODCID, which Connection.accept turns into null, i.e. "no
// Retry happened" — so quiche sets original_destination_connection_id itself and sends no
// retry_source_connection_id, as a server without Retry must.
const NO_RETRY_TOKEN = Buffer.from('migbench:no-retry');
const NO_ODCID = new Uint8Array(0);
type Accept = (scid: Uint8Array, odcid: Uint8Array | null, ...rest: unknown[]) => unknown;
const quiche = native.quiche as unknown as { Connection: { accept: Accept; migbenchNoRetry?: boolean }; versionIsSupported(v: number): boolean };
function acceptWithoutRetry(): void {
  if (quiche.Connection.migbenchNoRetry) return;
  // accept is a read-only static of the native class: js-quic reaches the class only through
  // quiche.Connection.accept/.connect (QUICConnection.js), so both go on a stand-in object
  const native_ = quiche.Connection as { accept: Accept; connect: Accept };
  quiche.Connection = Object.create(native_, {
    connect: { value: native_.connect.bind(native_) },
    accept: { value: (scid: Uint8Array, odcid: Uint8Array | null, ...rest: unknown[]) => native_.accept(scid, odcid === NO_ODCID ? null : odcid, ...rest) },
    migbenchNoRetry: { value: true },
  });
}
interface InitialHeader { ty: number; version: number; scid: Uint8Array; dcid: Uint8Array; token: Uint8Array }
interface ServerInternals {
  socket: { connectionMap: { get(id: QUICConnectionId): ConnInternals | undefined } };
  acceptConnection(remoteInfo: unknown, header: InitialHeader, dcid: QUICConnectionId, data: Uint8Array): Promise<unknown>;
  validateToken(token: Buffer, host: string): Promise<Uint8Array | undefined>;
}

/** Turns js-quic's stateless Retry off on this server (its other connections' handling unchanged). */
export function withoutRetry(server: QUICServer): QUICServer {
  requireShims();
  const s = server as unknown as ServerInternals;
  const accept = s.acceptConnection.bind(server);
  const validate = s.validateToken.bind(server);
  const key = randomBytes(32);
  s.validateToken = async (token, host) => (token.equals(NO_RETRY_TOKEN) ? NO_ODCID : validate(token, host));
  s.acceptConnection = async (remoteInfo, header, dcid, data) => {
    if (header.ty !== native.Type.Initial || header.token.byteLength > 0 || !quiche.versionIsSupported(header.version)) {
      return accept(remoteInfo, header, dcid, data);
    }
    const id = new QUICConnectionId(createHmac('sha256', key).update(dcid).digest().subarray(0, 20));
    // A repeated Initial (still to the client's own DCID) belongs to the connection it started.
    const started = s.socket.connectionMap.get(id);
    if (started) return started.recv(data, remoteInfo);
    return accept(remoteInfo, { ty: header.ty, version: header.version, scid: header.scid, dcid: id, token: NO_RETRY_TOKEN }, dcid, data);
  };
  return server;
}

// -- raw packets on a shared socket: hole-punch probes travel beside QUIC -------------------------
/** Calls `fn` for every UDP packet the QUICSocket receives (QUIC's own handling is untouched;
 *  non-QUIC packets are dropped by it silently). Returns an unsubscribe function. */
export function onRawPacket(socket: QUICSocket, fn: (data: Buffer, from: { address: string; port: number }) => void): () => void {
  const udp = (socket as unknown as { socket: dgram.Socket }).socket;
  const listener = (data: Buffer, rinfo: dgram.RemoteInfo) => fn(data, { address: canonical(rinfo.address), port: rinfo.port });
  udp.on('message', listener);
  return () => udp.off('message', listener);
}

/** Sends a UDP packet on a QUICSocket's own dgram socket, skipping js-quic's async send path
 *  (host resolution, validation, a promisified send: its per-packet cost at relay rates); an IPv4
 *  `host` is mapped on a dual-stack socket, as js-quic's own send does. */
export function rawSend(socket: QUICSocket, data: Uint8Array, port: number, host: string): void {
  (socket as unknown as { socket: dgram.Socket }).socket.send(data, port, socket.type === 'ipv4&ipv6' ? onDualSocket(host) : host);
}

/** Packets `take` returns true for are consumed before js-quic sees them: js-quic parses every
 *  packet as QUIC and throws (an Error with a stack) for each one that is not, which at relay rates
 *  costs more than the packet. Installed once per socket, in front of its handleSocketMessage. */
export function divertPackets(socket: QUICSocket, take: (data: Buffer, from: { address: string; port: number }) => boolean): () => void {
  const s = socket as unknown as SocketInternals & { socket: dgram.Socket };
  let takers = diverted.get(socket);
  if (!takers) {
    const takers_ = new Set<typeof take>();
    takers = takers_;
    diverted.set(socket, takers_);
    const quic = s.handleSocketMessage;
    s.socket.off('message', quic);
    s.socket.on('message', (data: Buffer, rinfo: dgram.RemoteInfo) => {
      const from = { address: canonical(rinfo.address), port: rinfo.port };
      for (const t of takers_) if (t(data, from)) return;
      void quic(data, rinfo);
    });
  }
  takers.add(take);
  return () => takers!.delete(take);
}
const diverted = new WeakMap<QUICSocket, Set<(data: Buffer, from: { address: string; port: number }) => boolean>>();

// -- a QUIC socket under a path layer: the connection sees one fixed peer address -----------------
/** The peer address every connection on a virtual socket sees (nothing is ever sent to it). */
export const VIRTUAL_PEER = { host: '127.0.0.1', port: 9 };

export interface VirtualSocket {
  socket: QUICSocket;
  /** Hands one received QUIC packet to the socket as if it came from VIRTUAL_PEER. */
  inject(packet: Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

/** A QUICSocket whose outgoing packets go to `out` instead of the network: js-quic's client and
 *  server send through the socket's internal `send_` (QUICClient.js/QUICServer.js), which is
 *  replaced on this instance; incoming packets enter through its `handleSocketMessage`. Its real
 *  UDP socket is bound to loopback only because js-quic needs a running socket. */
export async function virtualSocket(out: (packet: Buffer) => void): Promise<VirtualSocket> {
  const socket = new QUICSocket({ logger: quietLogger() });
  await socket.start({ host: '127.0.0.1', port: 0 });
  const s = socket as unknown as SocketInternals;
  s.send_ = async (...params: unknown[]) => {
    const msg = params[0] as Uint8Array;
    // (msg, port, host) or (msg, offset, length, port, host); copy: quiche reuses its buffer
    out(params.length === 5 ? Buffer.from(msg.subarray(params[1] as number, (params[1] as number) + (params[2] as number)))
      : Buffer.from(msg));
  };
  return {
    socket,
    inject: (packet) => s.handleSocketMessage(Buffer.from(packet), { address: VIRTUAL_PEER.host, port: VIRTUAL_PEER.port }),
    stop: () => socket.stop({ force: true }).catch(() => {}),
  };
}
interface SocketInternals {
  send_(...params: unknown[]): Promise<unknown>;
  handleSocketMessage(data: Buffer, from: { address: string; port: number }): Promise<void>;
}

/** Names of the internals the shims above depend on, checked by the shim test. */
export function shimHooks(conn?: QUICConnection, socket?: QUICSocket): Record<string, boolean> {
  const c = conn as unknown as Partial<ConnInternals> | undefined;
  return {
    'native Config.setDisableActiveMigration': typeof configProto.setDisableActiveMigration === 'function',
    'native Config.setActiveConnectionIdLimit': typeof configProto.setActiveConnectionIdLimit === 'function',
    'QUICConnection.prototype.recv': typeof (QUICConnection.prototype as unknown as ConnInternals).recv === 'function',
    // the receive lock's shim: the class creates recvLock and takes it in recv() (withF), nowhere else
    'QUICConnection: recvLock only made and taken by recv() (withF)': connectionSource().match(/recvLock/g)?.length === 2 && connectionSource().includes('this.recvLock.withF('),
    'QUICConnection.prototype.send': typeof (QUICConnection.prototype as unknown as ConnInternals).send === 'function',
    'QUICServer.prototype.acceptConnection': typeof (QUICServer.prototype as unknown as ServerInternals).acceptConnection === 'function',
    'QUICServer.prototype.validateToken': typeof (QUICServer.prototype as unknown as ServerInternals).validateToken === 'function',
    'native Connection.accept': typeof quiche.Connection.accept === 'function',
    'native Connection.setKeylog': typeof keylogProto().setKeylog === 'function',
    ...(c ? {
      'connection.conn.sendAckEliciting': typeof c.conn?.sendAckEliciting === 'function',
      'connection.conn.dgramSend': typeof c.conn?.dgramSend === 'function',
      'connection.conn.dgramRecvVec': typeof c.conn?.dgramRecvVec === 'function',
      'connection.conn.dgramPurgeOutgoing': typeof c.conn?.dgramPurgeOutgoing === 'function',
    } : {}),
    'QUICSocket.prototype.send_': typeof (QUICSocket.prototype as unknown as SocketInternals).send_ === 'function',
    ...(socket ? {
      'QUICSocket.socket (node dgram)': typeof (socket as unknown as { socket?: dgram.Socket }).socket?.on === 'function',
      'QUICSocket.handleSocketMessage': typeof (socket as unknown as Partial<SocketInternals>).handleSocketMessage === 'function',
    } : {}),
  };
}
