import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipEventProblem, ipLabel, ipPlanProblem, ipv4Failure, parseIpPlan, synthesize } from '../../harness/ip-plan.ts';
import { routeAfter } from '../../harness/network-events.ts';
import { CSV_COLUMNS, csvRow, recordsFromCsv, type RunRecord } from '../../harness/records.ts';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { stringify } from 'csv-stringify/sync';

test('--ip and the runs.csv cell read and write the same plan; IPv4 everywhere is no plan at all', () => {
  const text = 'wifi=dual-stack,cellular=ipv6-only,clat=off,firewall-wifi=EIF';
  const ip = parseIpPlan(text)!;
  assert.deepEqual(ip, { wifi: 'dual-stack', cellular: 'ipv6-only', clat: false, firewall: { wifi: 'EIF' } });
  assert.equal(ipLabel(ip), text);
  assert.equal(parseIpPlan('cellular=ipv4,wifi=ipv4'), undefined);   // run ids of IPv4 runs stay as they were
  assert.equal(parseIpPlan(''), undefined);
  assert.equal(ipLabel(undefined), '');
});

test('a bad plan names what is wrong before anything is built', () => {
  for (const [bad, words] of [['wifi=ipv6-only', 'ip.wifi'], ['moon=ipv4', 'unknown setting moon'], ['clat=maybe', 'clat=on|off'],
    ['clat=off', 'only with cellular=ipv6-only'], ['firewall-wifi=EIF', 'is ipv4'], ['wifi=dual-stack,firewall-wifi=open', 'ip.firewall.wifi'],
    ['wifi', 'expected site=family']] as const) {
    assert.throws(() => parseIpPlan(bad), (e: Error) => e.message.includes(words), bad);
  }
  assert.match(ipPlanProblem({ clat: 'yes', cellular: 'ipv6-only' })!, /ip.clat/);
  assert.equal(ipPlanProblem(undefined), null);
});

test('synthesize puts the IPv4 address in the last 32 bits of a /96 (RFC 6052 §2.2)', () => {
  assert.equal(synthesize('198.18.0.10', '64:ff9b::/96'), '64:ff9b::198.18.0.10');
  assert.throws(() => synthesize('198.18.0.10', '2001:db8::/64'), /96/);
});

test('a run\'s plan survives runs.csv; a snapshot without the column is IPv4', () => {
  const spec = { ...DEFAULT_SPEC, strategy: 'relay-repunch', ip: { cellular: 'ipv6-only' } };
  const rec: RunRecord = { id: 'x', label: 'x', spec, status: 'ok' } as RunRecord;
  const csv = stringify([CSV_COLUMNS, csvRow(rec)]);
  assert.deepEqual(recordsFromCsv(csv, {})[0]!.spec.ip, { cellular: 'ipv6-only' });
  const old = stringify([CSV_COLUMNS.filter((c) => c !== 'ip'), csvRow({ ...rec, spec: DEFAULT_SPEC as never }).filter((_, i) => CSV_COLUMNS[i] !== 'ip')]);
  assert.equal(recordsFromCsv(old, {})[0]!.spec.ip, undefined);
});

test('an unrecovered run on an uplink without IPv4 failed by design only when its strategy says it needs IPv4', () => {
  const noClat = { cellular: 'ipv6-only', clat: false };
  assert.match(ipv4Failure('its sockets are IPv4', noClat, 'cellular', false)!, /cellular is IPv6-only without a CLAT, and its sockets are IPv4/);
  assert.equal(ipv4Failure('its sockets are IPv4', noClat, 'cellular', true), null);            // it recovered: a result
  assert.equal(ipv4Failure(undefined, noClat, 'cellular', false), null);                         // a deployed stack's outcome is a result
  assert.equal(ipv4Failure('x', { cellular: 'ipv6-only' }, 'cellular', false), null);           // the CLAT gives it IPv4
  assert.equal(ipv4Failure('x', noClat, 'wifi', false), null);                                   // it never left IPv4 Wi-Fi
  assert.equal(ipv4Failure('x', undefined, 'cellular', false), null);
  assert.equal(routeAfter(['wifi-to-cellular']), 'cellular');
  assert.equal(routeAfter(['wifi-to-cellular', 'cellular-to-wifi']), 'wifi');
  assert.equal(routeAfter(['arrive-home:2000']), 'wifi');
  assert.equal(routeAfter(['nat-rebind']), 'wifi');
});

test('a renumbering needs IPv6 on the uplink it acts on: its target, else the one the mobile is on then', () => {
  const v6cell = { cellular: 'ipv6-only' };
  assert.equal(ipEventProblem(['renumber@cellular'], v6cell), null);
  assert.match(ipEventProblem(['renumber'], v6cell)!, /needs IPv6 on wifi/);                       // the mobile starts on Wi-Fi
  assert.equal(ipEventProblem(['wifi-to-cellular', 'renumber'], v6cell), null);                   // on cellular by then
  assert.match(ipEventProblem(['renumber@wifi'], undefined)!, /--ip wifi=dual-stack/);
  assert.equal(ipEventProblem(['wifi-to-cellular', 'nat-rebind'], undefined), null);
});
