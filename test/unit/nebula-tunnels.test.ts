// nebula's tunnel to the other peer, read from its JSON log lines (lines as nebula 1.6.1 wrote them in a run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tunnelPath } from '../../strategies/nebula/tunnels.ts';

const MOBILE = '192.168.100.3', ANSWERER = '192.168.100.2';

test('a handshake completed through the relay, one completed directly, a roam, a close; other lines and peers say nothing', () => {
  const viaRelayInitiator = '{"certName":"mobile","handshake":{"stage":2,"style":"ix_psk0"},"level":"info","msg":"Handshake message received","udpAddr":null,"vpnIp":"192.168.100.3"}';
  const viaRelayResponder = '{"certName":"answerer","handshake":{"stage":2,"style":"ix_psk0"},"level":"info","msg":"Handshake message sent","relay":"192.168.100.1","vpnIp":"192.168.100.2"}';
  const direct = '{"certName":"mobile","handshake":{"stage":2,"style":"ix_psk0"},"level":"info","msg":"Handshake message received","udpAddr":{"ip":"198.18.2.2","port":16361},"vpnIp":"192.168.100.3"}';
  const stage1 = '{"handshake":{"stage":1,"style":"ix_psk0"},"level":"info","msg":"Handshake message sent","udpAddrs":[{"ip":"198.18.2.2","port":16361}],"vpnIp":"192.168.100.3"}';
  const roamed = '{"certName":"mobile","level":"info","msg":"Host roamed to new udp ip/port.","newAddr":{"ip":"198.18.3.2","port":18096},"vpnIp":"192.168.100.3"}';
  const closed = '{"certName":"mobile","level":"info","msg":"Close tunnel received, tearing down.","udpAddr":null,"vpnIp":"192.168.100.3"}';
  assert.equal(tunnelPath(viaRelayInitiator, MOBILE), 'relay');
  assert.equal(tunnelPath(viaRelayResponder, ANSWERER), 'relay');
  assert.equal(tunnelPath(direct, MOBILE), 'direct');
  assert.equal(tunnelPath(stage1, MOBILE), null);
  assert.equal(tunnelPath(roamed, MOBILE), 'direct');
  assert.equal(tunnelPath(closed, MOBILE), 'none');
  assert.equal(tunnelPath(direct, ANSWERER), null, 'another peer');
  assert.equal(tunnelPath('not json', MOBILE), null);
});
