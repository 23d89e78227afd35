// strategies/shared/family.ts: the address forms a dual-stack socket reports and takes, and the one
// reason a strategy of ours gives for needing IPv4 — lifted by family=dual only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { NetworkInterfaceInfo } from 'node:os';
import path from 'node:path';
import { canonical, controlNeedsIpv4, familyOf, globalIpv6, onDualSocket } from '../../strategies/shared/family.ts';
import { hasRoute, routeTo } from '../../strategies/shared/netwatch.ts';
import { REPO } from '../../harness/paths.ts';

test('IPv4 peers seen on a dual-stack socket are named by their plain address, and mapped back to send', () => {
  assert.equal(canonical('::ffff:198.18.2.2'), '198.18.2.2');
  assert.equal(canonical('198.18.2.2'), '198.18.2.2');
  assert.equal(canonical('2001:2:0:200::2'), '2001:2:0:200::2');
  assert.equal(canonical('::ffff:7f00:1'), '::ffff:7f00:1', 'only the dotted form js-quic and Node report is unwrapped');
  assert.equal(onDualSocket('198.18.0.10'), '::ffff:198.18.0.10');
  assert.equal(onDualSocket('2001:2::10'), '2001:2::10');
  for (const a of ['198.18.0.10', '2001:2::10']) assert.equal(canonical(onDualSocket(a)), a);
});

test('family=dual lifts the IPv4 need; a strategy without the option stays IPv4', () => {
  assert.match(controlNeedsIpv4({}) ?? '', /only at its IPv4 address/);
  assert.match(controlNeedsIpv4({ family: 'ipv4' }) ?? '', /only at its IPv4 address/);
  assert.equal(controlNeedsIpv4({ family: 'dual' }), null);
  assert.equal(familyOf({ options: {} }), 'ipv4');
  assert.equal(familyOf({ options: { family: 'dual' } }), 'dual');
});

test('host candidates offer global IPv6 addresses only (never loopback, link-local or IPv4)', () => {
  const info = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;
  const ifaces = {
    lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
    'mobile-wifi': [info('10.2.0.2', 'IPv4'), info('2001:2:0:201::2', 'IPv6'), info('fe80::1', 'IPv6')],
    'mobile-cell': [info('2001:2:0:300::2', 'IPv6'), info('fd00::2', 'IPv6')],
  };
  assert.deepEqual(globalIpv6(ifaces), ['2001:2:0:201::2', '2001:2:0:300::2']);
});

test('a route lookup answers from the kernel: loopback is routed, from its own address and device; in a network namespace with no routes nothing is', async () => {
  assert.equal(await hasRoute('127.0.0.1'), true);
  assert.deepEqual(await routeTo('127.0.0.1'), { dev: 'lo', src: '127.0.0.1' });
  const script = `import { hasRoute, routeTo } from ${JSON.stringify(path.join(REPO, 'strategies/shared/netwatch.ts'))};
    console.log(JSON.stringify([await hasRoute('192.0.2.1'), await hasRoute('2001:db8::1'), await routeTo('192.0.2.1')]));`;
  const r = spawnSync('unshare', ['--net', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [false, false, null]);
});
