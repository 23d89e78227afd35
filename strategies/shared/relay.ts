// The intermediate's relay data path: plain UDP on controlPort + RELAY_PORT_OFFSET, authenticated
// per packet. A relayed packet costs a datagram in, two truncated HMACs and a datagram out — not a
// QUIC connection's per-packet work (~12 % of a core per 50 pkt/s flow, docs/research.md "CPU per packet").
//   0 tag 0x3E | 1..4 session u32 | 5..8 counter u32 | payload | 8 B mac
//   mac = HMAC-SHA256(session key, every byte before it), first 8 bytes
// Session ids and keys are issued per control session over the authenticated control connection
// (`welcome.relay`). Peer -> relay: the sender's session, key and counter; the relay forwards the
// payload only to the other peer of the same pairing, at the address it latched for that peer.
// Relay -> peer: the receiver's session and key, the relay's counter for it. A latch moves only on a
// valid packet whose counter is above every one seen from that session, so neither a stranger nor
// a replayed packet can redirect a stream. An empty payload is a bind: peers send one on every
// welcome and every RELAY_BIND_MS, which keeps their NAT mapping and the relay's latch current.
// The tag has QUIC's fixed bit clear, so the QUIC stack sharing a peer's socket drops it unread.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const RELAY_PORT_OFFSET = 2;
export const RELAY_UDP_TAG = 0x3e;
const HEAD = 9;
const MAC = 8;
export const RELAY_OVERHEAD = HEAD + MAC;
export const RELAY_BIND_MS = 1000;

/** What a control session may relay with: issued by the intermediate in `welcome`. */
export interface RelayGrant { port: number; session: number; key: string }

const mac = (key: Buffer, body: Uint8Array) => createHmac('sha256', key).update(body).digest().subarray(0, MAC);

export function sealRelay(key: Buffer, session: number, counter: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(HEAD + payload.length + MAC);
  b[0] = RELAY_UDP_TAG;
  b.writeUInt32BE(session >>> 0, 1);
  b.writeUInt32BE(counter >>> 0, 5);
  b.set(payload, HEAD);
  mac(key, b.subarray(0, HEAD + payload.length)).copy(b, HEAD + payload.length);
  return b;
}

/** The header of something shaped like a relay packet (not yet authenticated), or null. */
export function relayHeader(b: Buffer): { session: number; counter: number } | null {
  if (b.length < RELAY_OVERHEAD || b[0] !== RELAY_UDP_TAG) return null;
  return { session: b.readUInt32BE(1), counter: b.readUInt32BE(5) };
}

/** The payload if the packet's MAC is right under `key`, else null. */
export function openRelay(key: Buffer, b: Buffer): Buffer | null {
  const end = b.length - MAC;
  return timingSafeEqual(mac(key, b.subarray(0, end)), b.subarray(end)) ? b.subarray(HEAD, end) : null;
}

/** Anti-replay over the last 32 counters (as in IPsec/DTLS): each counter is accepted once. */
export class ReplayWindow {
  highest = -1;
  private seen = 0;   // bit i: counter highest - i was accepted
  accept(c: number): boolean {
    if (c > this.highest) {
      const shift = c - this.highest;
      this.seen = shift >= 32 ? 1 : ((this.seen << shift) | 1) >>> 0;
      this.highest = c;
      return true;
    }
    const back = this.highest - c;
    if (back >= 32 || (this.seen >>> back) & 1) return false;
    this.seen = (this.seen | (1 << back)) >>> 0;
    return true;
  }
}
