// The event log: one JSON object per line, one file per role (events.<role>.jsonl). Every process
// of a run shares one clock (one machine), so `t` (ms since epoch, sub-ms) orders across roles.
// This is the contract between strategies, the harness and the metrics: docs/events.md.
import { createWriteStream, type WriteStream } from 'node:fs';

export type Role = 'intermediate' | 'answerer' | 'mobile' | 'harness';
/** How a frame travelled: straight between the peers, or through the intermediate's relay. */
export type PathKind = 'direct' | 'relay';

/** Event types every strategy must emit where they apply (strategy-specific types may be added). */
export interface EventFields {
  // sender, per frame (t = send time; 'none': no path, not sent; bytes: the frame on the wire, header included)
  'audio.sent': { seq: number; path: PathKind | 'none'; bytes?: number };
  // receiver, per frame (t = arrival; sentAt: the frame header's, absent where the receiver cannot read
  // one — libwebrtc's media=track; fec: the packet carries in-band FEC for seq − 1)
  'audio.recv': { seq: number; path: PathKind; sentAt?: number; fec?: boolean };
  'path': { state: PathKind | 'none' };                          // sender's choice changed
  'netchange.detected': { via: 'netlink' | 'liveness' | 'ice' | string; detail?: string };
  'signal.sent': { kind: string };
  'signal.recv': { kind: string };
  'punch.start': { remote: string };
  'punch.ok': { remote: string };
  'handshake.start': { remote: string; with: 'peer' | 'intermediate' };
  'handshake.ok': { remote: string; with: 'peer' | 'intermediate' };
  'relay.bytes': { bytes: number; packets: number; relay?: 'quic' | 'turn' | 'nebula' | 'iroh' };  // intermediate, cumulative per relay (default quic)
  'overhead.bytes': { keepalive: number; duplicate: number };     // cumulative, per role: path upkeep and deliberate copies
  'strategy.state': { state: string };
  'timeline.mark': { what: string };                              // drawn on the run's timeline (harness/timeline.ts)
  'event.fired': { name: string; tIssued: number };              // harness
  'role.start': { strategy: string };
  'role.stop': { cpuUserS: number; cpuSystemS: number };
  'teardown.slow': { step: string; ms: number };                  // a teardown step given up after ms (strategies/shared/peer-role.ts)
  'error': { message: string };
}
export type EventType = keyof EventFields;

/** Types that record a steady state rather than a strategy acting (frames, counters, process
 *  lifetime, per-second samples). Every other type — including a strategy's own — is activity: an
 *  early-stopping run waits for a quiet spell without any (docs/bench.md, "Early stop"). A strategy
 *  that adds a periodic type of its own names it here. */
export const BOOKKEEPING_TYPES: ReadonlySet<string> = new Set([
  'audio.sent', 'audio.recv', 'relay.bytes', 'overhead.bytes', 'intermediate.stats', 'intermediate.state', 'rtc.log',
  'role.start', 'role.stop', 'role.exit', 'role.memory', 'loop.delay', 'loop.stall',
  'rtc.audio',   // libwebrtc's audio counters every 100 ms (strategies/libwebrtc/track.ts)
]);

export interface LogEvent {
  t: number;
  role: Role;
  type: string;
  [field: string]: unknown;
}

export const now = (): number => performance.timeOrigin + performance.now();

export class EventLogger {
  private readonly out: WriteStream;
  constructor(readonly role: Role, file: string) {
    this.out = createWriteStream(file, { flags: 'a' });
  }
  log<K extends EventType>(type: K, fields: EventFields[K], t = now()): void {
    this.out.write(JSON.stringify({ t, role: this.role, type, ...fields }) + '\n');
  }
  /** Strategy-specific events outside the common set. */
  logOther(type: string, fields: Record<string, unknown> = {}, t = now()): void {
    this.out.write(JSON.stringify({ t, role: this.role, type, ...fields }) + '\n');
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
