import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPeerEndpoints, p2pConnections } from '../../harness/run/capture-checks.ts';

const INTERMEDIATE = ['198.18.0.10', '198.18.0.11'];

test('p2pConnections: the mobile\'s Initials to its peer, one per source connection id, not those to the intermediate', () => {
  const rows = [
    ['10.2.0.2', '198.18.0.10', 'aa'],          // control connection
    ['10.2.0.2', '198.18.1.2', 'bb'], ['10.2.0.2', '198.18.1.2', 'bb,bb'],   // one P2P connection, retransmitted
    ['198.18.1.2', '10.2.0.2', 'cc'],           // the answerer's Initial back
    ['10.3.0.2', '198.18.1.2', 'dd'],           // a second one, from cellular
  ];
  assert.equal(p2pConnections(rows, ['10.2.0.2', '10.3.0.2'], INTERMEDIATE), 2);
  assert.equal(p2pConnections([], ['10.2.0.2'], INTERMEDIATE), 0);
});

test('newPeerEndpoints: what first sends to the answerer\'s NAT after t, neither the intermediate nor the NAT itself', () => {
  const rows = [
    ['100.000', '198.18.0.10', '4433', '198.18.1.2'],   // intermediate -> the NAT: its own address is 198.18.1.2
    ['100.100', '198.18.1.2', '20364', '198.18.0.10'],
    ['100.200', '198.18.2.2', '32439', '198.18.1.2'],   // the mobile on Wi-Fi, before
    ['101.500', '198.18.2.2', '32439', '198.18.1.2'],   // still, after t: not new
    ['101.600', '198.18.3.2', '23143', '198.18.1.2'],   // on cellular: new
  ];
  assert.deepEqual(newPeerEndpoints(rows, INTERMEDIATE, 101_000), ['198.18.3.2:23143']);
  assert.deepEqual(newPeerEndpoints(rows.slice(0, 4), INTERMEDIATE, 101_000), []);
});
