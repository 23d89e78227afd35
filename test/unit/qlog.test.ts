import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEvent } from '../../core/events.ts';
import { QLOG_VERSION, qlogTrace } from '../../harness/qlog.ts';

const t0 = 1.7e12;
const events: LogEvent[] = [
  { t: t0, role: 'harness', type: 'event.fired', name: 'wifi-to-cellular', tIssued: t0 - 1 },
  { t: t0 + 1, role: 'mobile', type: 'audio.recv', seq: 1, path: 'direct', sentAt: t0 },
  { t: t0 + 3.25, role: 'mobile', type: 'netchange.detected', via: 'netlink', detail: 'mobile-wifi -> mobile-cell' },
  { t: t0 + 40, role: 'mobile', type: 'handshake.start', remote: '198.18.1.2:40000', with: 'peer' },
  { t: t0 + 90, role: 'mobile', type: 'handshake.ok', remote: '198.18.1.2:40000', with: 'peer' },
];

/** JSON-SEQ (RFC 7464): every record starts with RS and ends with a newline. */
function records(text: string): Record<string, unknown>[] {
  assert.ok(text.startsWith('\u001e'));
  return text.split('\u001e').slice(1).map((r) => { assert.ok(r.endsWith('\n')); return JSON.parse(r); });
}

test('qlog: a JSON-SEQ trace per role with the header qvis reads and the required fields of every event', () => {
  const [header, ...rest] = records(qlogTrace('mobile', events, 'run-1'));
  assert.equal(header!.qlog_version, QLOG_VERSION);
  assert.equal(header!.qlog_format, 'JSON-SEQ');
  const trace = header!.trace as { vantage_point: { type: string }; common_fields: { reference_time: number } };
  assert.equal(trace.vantage_point.type, 'client');
  assert.equal(trace.common_fields.reference_time, t0);
  for (const e of rest) {
    assert.equal(typeof e.time, 'number');
    assert.match(String(e.name), /^[a-z_]+:[a-z_]+$/);
    assert.equal(typeof e.data, 'object');
  }
  assert.deepEqual(rest.map((e) => [e.time, e.name]), [
    [3.25, 'migbench:netchange_detected'], [40, 'connectivity:connection_started'], [90, 'connectivity:connection_state_updated']]);
  assert.deepEqual(rest[1]!.data, { protocol: 'QUIC', dst_ip: '198.18.1.2', dst_port: 40000, with: 'peer' });
  assert.ok(!rest.some((e) => String(e.name).includes('audio')), 'per-frame events are left out');
});
