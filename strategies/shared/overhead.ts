// The bytes a role SENDS beyond its audio, counted where they are sent and logged as cumulative
// overhead.bytes {keepalive, duplicate} (docs/costs.md). keepalive: path maintenance — punches,
// relay binds, probes, QUIC PINGs on P2P connections; duplicate: deliberate copies and re-sends.
// One counter per process: run-role.ts runs one role per process and logs it.
import { events, type QUICConnection } from '@matrixai/quic';
import type { EventLogger } from '../../core/events.ts';

export const overhead = { keepalive: 0, duplicate: 0 };

/** Logs the counters every second while they move, and once at the returned stop. */
export function logOverhead(log: EventLogger): () => void {
  let last = '';
  const flush = (always: boolean) => {
    const key = `${overhead.keepalive} ${overhead.duplicate}`;
    if (key === last && !always) return;
    last = key;
    log.log('overhead.bytes', { ...overhead });
  };
  const timer = setInterval(() => flush(false), 1000);
  timer.unref();
  return () => { clearInterval(timer); flush(true); };
}

/** A keepalive PING is encrypted like every other QUIC packet, so it cannot be seen on the wire:
 *  it is estimated. js-quic asks quiche for an ack-eliciting packet every keepAliveIntervalTime
 *  of a connection's life, whatever else it sends (QUICConnection.startKeepAliveIntervalTimer), and
 *  quiche sends it as a packet of its own with a PING (and any pending ACK). Counted: one packet
 *  of QUIC_PING_BYTES per interval, from the connection's start until it stops. 42 B of UDP payload:
 *  measured on an idle js-quic 2.0.9 connection (short header with a 20-byte connection id, PING,
 *  ACK, AEAD tag), without a path layer's 1-byte tag or the relay's 17 bytes when it goes that way. */
export const QUIC_PING_BYTES = 42;
export function countQuicKeepalives(conn: QUICConnection, intervalMs: number | undefined): void {
  if (!intervalMs) return;
  const timer = setInterval(() => { overhead.keepalive += QUIC_PING_BYTES; }, intervalMs);
  timer.unref();
  conn.addEventListener(events.EventQUICConnectionStopped.name, () => clearInterval(timer), { once: true });
}
