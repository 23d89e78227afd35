// The control protocol between peers and the intermediate, on one long-lived QUIC stream
// (like the original's "QSwitch"): each message = type u8 · length u16 BE · JSON payload.
// Decoding is strict: unknown types, oversized or malformed payloads and wrong field types are
// a ProtocolError, and the intermediate closes that connection. Relay data does not use this
// stream: it travels as authenticated UDP to the intermediate's relay port (relay.ts), with the
// session and key `welcome` grants.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RelayGrant } from './relay.ts';

export const MAX_PAYLOAD = 4096;

export interface Endpoint { addr: string; port: number }
export type PeerRole = 'answerer' | 'mobile';

export interface Messages {
  open: object;                                           // peer → intermediate: opens the stream (QUIC announces a stream with its first bytes)
  challenge: { nonce: string };                                          // intermediate → peer, first
  hello: { pairing: string; role: PeerRole; proof: string; host: Endpoint[] };   // peer → intermediate
  welcome: { self: Endpoint; relay: RelayGrant };                        // the peer's reflexive address, its relay grant
  peer: { role: PeerRole; reflexive: Endpoint; host: Endpoint[]; changed: boolean };
  'address-change': { reason: string; host?: Endpoint[] };              // mobile → intermediate (host: its candidates now, family=dual)
  signal: { kind: string; body?: unknown };                              // forwarded to the paired peer
  error: { message: string };
}
export type MessageType = keyof Messages;
export type Message = { [K in MessageType]: { type: K } & Messages[K] }[MessageType];

const TYPES: MessageType[] = ['open', 'challenge', 'hello', 'welcome', 'peer', 'address-change', 'signal', 'error'];
const CODE = new Map(TYPES.map((t, i) => [t, i + 1]));

export class ProtocolError extends Error {}

const isStr = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isPort = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;
const isEndpoint = (v: unknown): v is Endpoint =>
  typeof v === 'object' && v !== null && isStr((v as Endpoint).addr, 64) && isPort((v as Endpoint).port);
const isEndpoints = (v: unknown) => Array.isArray(v) && v.length <= 8 && v.every(isEndpoint);
const isRole = (v: unknown) => v === 'answerer' || v === 'mobile';
const isGrant = (v: unknown): v is RelayGrant => typeof v === 'object' && v !== null && isPort((v as RelayGrant).port) &&
  Number.isInteger((v as RelayGrant).session) && (v as RelayGrant).session >= 0 && (v as RelayGrant).session <= 0xffffffff &&
  typeof (v as RelayGrant).key === 'string' && /^[0-9a-f]{32}$/.test((v as RelayGrant).key);

const VALID: { [K in MessageType]: (m: Record<string, unknown>) => boolean } = {
  open: (m) => Object.keys(m).length === 0,
  challenge: (m) => isStr(m.nonce, 64),
  hello: (m) => isStr(m.pairing, 64) && isRole(m.role) && isStr(m.proof, 128) && isEndpoints(m.host),
  welcome: (m) => isEndpoint(m.self) && isGrant(m.relay),
  peer: (m) => isRole(m.role) && isEndpoint(m.reflexive) && isEndpoints(m.host) && typeof m.changed === 'boolean',
  'address-change': (m) => typeof m.reason === 'string' && m.reason.length <= 64 && (m.host === undefined || isEndpoints(m.host)),
  signal: (m) => isStr(m.kind, 64),
  error: (m) => typeof m.message === 'string' && m.message.length <= 512,
};

export function encode(msg: Message): Buffer {
  const { type, ...fields } = msg;
  const payload = Buffer.from(JSON.stringify(fields));
  if (payload.length > MAX_PAYLOAD) throw new ProtocolError(`${type} message too large (${payload.length} B)`);
  const head = Buffer.alloc(3);
  head[0] = CODE.get(type)!;
  head.writeUInt16BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Accumulates stream bytes and yields whole, validated messages. */
export class MessageReader {
  private buf = Buffer.alloc(0);
  push(chunk: Uint8Array): Message[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: Message[] = [];
    while (this.buf.length >= 3) {
      const type = TYPES[this.buf[0]! - 1];
      if (!type) throw new ProtocolError(`unknown message type ${this.buf[0]}`);
      const len = this.buf.readUInt16BE(1);
      if (len > MAX_PAYLOAD) throw new ProtocolError(`${type} payload of ${len} B exceeds ${MAX_PAYLOAD}`);
      if (this.buf.length < 3 + len) break;
      const body = this.buf.subarray(3, 3 + len).toString('utf8');
      this.buf = this.buf.subarray(3 + len);
      let fields: unknown;
      try { fields = JSON.parse(body); } catch { throw new ProtocolError(`${type}: payload is not JSON`); }
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || !VALID[type](fields as Record<string, unknown>)) {
        throw new ProtocolError(`${type}: invalid fields`);
      }
      out.push({ ...(fields as object), type } as Message);
    }
    return out;
  }
}

/** Proof that a peer knows its pairing's secret, bound to the intermediate's one-time nonce
 *  (a recorded hello cannot be replayed on another connection). */
export function helloProof(secret: string, pairing: string, role: PeerRole, nonce: string): string {
  return createHmac('sha256', secret).update(`migbench-hello\0${pairing}\0${role}\0${nonce}`).digest('hex');
}
export function checkProof(secret: string, pairing: string, role: PeerRole, nonce: string, proof: string): boolean {
  const want = Buffer.from(helloProof(secret, pairing, role, nonce), 'hex');
  const got = Buffer.from(proof, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export const endpointKey = (e: Endpoint) => `${e.addr}:${e.port}`;
