// The process-wide shims of @matrixai/quic (pinned to 2.0.9, package.json) and the base config of
// every connection. Every reach into js-quic's non-public internals is in this module,
// quic-datagrams.ts (DATAGRAMs) or quic-sockets.ts (raw UDP beside QUIC, the path layer's socket);
// shimHooks below names every hook the three use, and test/unit/quic-shims.test.ts fails loudly if one
// moves. Facts behind each shim: docs/research.md, "js-quic" (one section per shim).
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import type dgram from 'node:dgram';
import { native, QUICConnection, QUICConnectionId, QUICServer, QUICSocket } from '@matrixai/quic';
import type { QUICConfig } from '@matrixai/quic';
import type { ConnInternals } from './quic-datagrams.ts';
import type { SocketInternals } from './quic-sockets.ts';

export const QUIC_VERSION = '2.0.9';

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
