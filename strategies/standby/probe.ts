// The standby strategy's path probes: authenticated ping / pong / switch packets beside the
// overlay's QUIC packets. HMAC-SHA256 with the pairing secret (truncated to 8 bytes) over the
// fields, so a stranger can neither fake a path's liveness nor move the audio to another address.
//   0 tag 0x3D | 1 kind | 2 path | 3..6 seq u32 | 7..14 sentAt f64 | [15..18 upkeep u32] | mac (8)
// ping: the mobile on path `path` (seq, its send time); pong: the answerer echoes seq and sentAt;
// switch: "send on the path this arrives on from now on", seq = the last audio frame the mobile got;
// suspect: "the primary looks broken: copy everything onto the path this arrives on for a while".
// upkeep (seamless's pings only): the bytes the mobile has sent beyond the media so far, for the
// answerer's budget (strategies/standby/answerer.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PROBE_TAG = 0x3d;
export const PROBE_LEN = 23;
const UPKEEP_LEN = 4;
export type ProbeKind = 'ping' | 'pong' | 'switch' | 'suspect';
const KINDS: ProbeKind[] = ['ping', 'pong', 'switch', 'suspect'];
/** Older probes are replays (every process of a run shares one clock). */
const MAX_AGE_MS = 5000;

export interface Probe { kind: ProbeKind; path: number; seq: number; sentAt: number; upkeep?: number }

const mac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest().subarray(0, 8);

export function encodeProbe(secret: string, p: Probe): Buffer {
  const body = p.upkeep === undefined ? 15 : 15 + UPKEEP_LEN;
  const b = Buffer.alloc(body + 8);
  b[0] = PROBE_TAG;
  b[1] = KINDS.indexOf(p.kind);
  b[2] = p.path;
  b.writeUInt32BE(p.seq >>> 0, 3);
  b.writeDoubleBE(p.sentAt, 7);
  if (p.upkeep !== undefined) b.writeUInt32BE(Math.min(p.upkeep, 0xffffffff) >>> 0, 15);
  mac(secret, b.subarray(0, body)).copy(b, body);
  return b;
}

/** The probe, or null for anything else: another packet type, a bad MAC, a stale probe. */
export function decodeProbe(secret: string, b: Buffer, nowMs: number): Probe | null {
  if ((b.length !== PROBE_LEN && b.length !== PROBE_LEN + UPKEEP_LEN) || b[0] !== PROBE_TAG || b[1]! >= KINDS.length) return null;
  const body = b.length - 8;
  if (!timingSafeEqual(mac(secret, b.subarray(0, body)), b.subarray(body))) return null;
  const p: Probe = { kind: KINDS[b[1]!]!, path: b[2]!, seq: b.readUInt32BE(3), sentAt: b.readDoubleBE(7) };
  if (body > 15) p.upkeep = b.readUInt32BE(15);
  return p.kind !== 'pong' && nowMs - p.sentAt > MAX_AGE_MS ? null : p;
}
