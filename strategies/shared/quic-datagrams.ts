// QUIC DATAGRAMs (RFC 9221) on js-quic connections: enabled by config, but js-quic has no API for them
// (docs/research.md), so this module reaches into a connection's native quiche connection; the hooks it
// uses are checked by shimHooks (quic.ts) and test/unit/quic-shims.test.ts.
import type { QUICConnection } from '@matrixai/quic';

interface NativeConn {
  sendAckEliciting(): void;
  dgramSend(d: Uint8Array): void | null;
  dgramRecvVec(): Uint8Array | null;
  dgramPurgeOutgoing(f: (d: Uint8Array) => boolean): void;
  dgramMaxWritableLen(): number | null;
}
export interface ConnInternals {
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
