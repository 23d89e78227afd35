// Raw UDP on a QUICSocket: hole-punch probes and relay packets travel beside QUIC on a peer's shared
// socket, and a path layer's connection runs on a socket whose packets it carries itself. Both reach
// into js-quic's QUICSocket (its dgram socket, its message handler, its internal send); the hooks are
// checked by shimHooks (quic.ts) and test/unit/quic-shims.test.ts.
import type dgram from 'node:dgram';
import { QUICSocket } from '@matrixai/quic';
import { canonical, onDualSocket } from './family.ts';
import { quietLogger } from './quic-tls.ts';

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
export interface SocketInternals {
  send_(...params: unknown[]): Promise<unknown>;
  handleSocketMessage(data: Buffer, from: { address: string; port: number }): Promise<void>;
}
