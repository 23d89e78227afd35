// qlog (issue 18): each role's event log (docs/events.md) as a qlog trace, `qlog.<role>.sqlog` in
// the run folder, so that a run opens in qvis beside its pcaps. JSON-SEQ (RFC 7464: every record
// after an RS byte), a header record then one record per event. qlog_version "0.3": the newer
// drafts renamed the header's fields and qvis refuses them. The bench's events map onto that
// draft's own names where it has one (a connection started, its state: a handshake attempted and
// done); the rest — changes detected, paths chosen, signals — keep their names under the
// `migbench` namespace (that draft has no migration events). Per-frame audio events are left out: the
// frames are in the pcaps and in the JSONL, and a qlog of 50 records a second shows nothing more.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LogEvent } from '../core/events.ts';

export const QLOG_VERSION = '0.3';
const RS = '\u001e';
/** Too many to be worth a qlog record each. */
const LEFT_OUT = new Set(['audio.sent', 'audio.recv', 'loop.delay', 'loop.stall', 'overhead.bytes', 'relay.bytes', 'rtc.log']);
/** Where each role stands (qlog's vantage point): the intermediate only serves, the mobile dials (its
 *  control connection, and its P2P ones in the QUIC strategies), the answerer does both. */
const VANTAGE: Record<string, string> = { intermediate: 'server', answerer: 'unknown', mobile: 'client', harness: 'network' };

interface QlogEvent { time: number; name: string; data: Record<string, unknown> }

/** One bench event as a qlog event (time in ms since `start`). */
function qlogEvent(e: LogEvent, start: number): QlogEvent {
  const { t, role: _role, type, ...fields } = e;
  const endpoint = (remote: unknown) => {
    const [ip, port] = String(remote ?? '').split(/:(?=\d+$)/);
    return { dst_ip: ip, ...(port ? { dst_port: Number(port) } : {}) };
  };
  const time = Math.round((t - start) * 1000) / 1000;
  switch (type) {
    case 'handshake.start': return { time, name: 'connectivity:connection_started', data: { protocol: 'QUIC', ...endpoint(fields.remote), with: fields.with } };
    case 'handshake.ok': return { time, name: 'connectivity:connection_state_updated', data: { new: 'active', ...endpoint(fields.remote), with: fields.with } };
    default: return { time, name: `migbench:${type.replace(/\./g, '_')}`, data: fields };
  }
}

/** A role's trace as JSON-SEQ text: header, then its events (those LEFT_OUT excepted). */
export function qlogTrace(role: string, events: LogEvent[], title: string): string {
  const mine = events.filter((e) => e.role === role && !LEFT_OUT.has(e.type));
  const start = events[0]?.t ?? 0;
  const header = {
    qlog_version: QLOG_VERSION, qlog_format: 'JSON-SEQ', title,
    trace: { title: `${title}: ${role}`, vantage_point: { name: role, type: VANTAGE[role] ?? 'unknown' },
      common_fields: { reference_time: start, time_format: 'relative' } },
  };
  return [header, ...mine.map((e) => qlogEvent(e, start))].map((r) => `${RS}${JSON.stringify(r)}\n`).join('');
}

/** Writes qlog.<role>.sqlog for every role with events in the run's merged log. */
export function writeQlogs(dir: string, events: LogEvent[]): void {
  for (const role of new Set(events.map((e) => e.role))) {
    writeFileSync(path.join(dir, `qlog.${role}.sqlog`), qlogTrace(role, events, path.basename(dir)));
  }
}
