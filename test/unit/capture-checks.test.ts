import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p2pConnections, peerEndpoint, relayCheck, relayedSeqs } from '../../harness/run/capture-checks.ts';

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

test('peerEndpoint: where the answerer\'s NAT sent most packets for the peer in a window, never the intermediate', () => {
  const rows = [
    ['100.000', '198.18.0.10', '198.18.1.2', '20364'],   // intermediate -> the NAT: its own address is 198.18.1.2
    ['100.100', '198.18.1.2', '198.18.0.10', '4433'],    // the NAT -> the intermediate: not the peer
    ['100.200', '198.18.1.2', '198.18.2.2', '32439'],    // to the mobile on Wi-Fi
    ['100.300', '198.18.1.2', '198.18.2.2', '32439'],
    ['100.400', '198.18.1.2', '198.18.3.2', '23143'],    // a probe of a standby path on cellular
    ['100.500', '198.18.3.2', '198.18.1.2', '20364'],    // the mobile's cellular endpoint heard before the event
    ['101.600', '198.18.1.2', '198.18.3.2', '23143'],    // after: on cellular
    ['101.700', '198.18.1.2', '198.18.3.2', '23143'],
    ['101.800', '198.18.1.2', '198.18.2.2', '32439'],    // one straggler to Wi-Fi
  ];
  assert.equal(peerEndpoint(rows, INTERMEDIATE, 100_000, 101_000), '198.18.2.2:32439');
  assert.equal(peerEndpoint(rows, INTERMEDIATE, 101_000, 102_000), '198.18.3.2:23143');
  assert.equal(peerEndpoint(rows, INTERMEDIATE, 102_000, 103_000), null);
  assert.equal(peerEndpoint(rows.slice(1), INTERMEDIATE, 100_000, 101_000), null, 'without the intermediate\'s packets the NAT\'s own address is unknown');
});

test('relayedSeqs and relayCheck: the frames in the intermediate\'s relay packets, read from their bytes; every frame counted as relayed must be among them', () => {
  const relay = (seq: number, magic = 'a1') => `3edeeb389b00000129${magic}00${seq.toString(16).padStart(8, '0')}427a2184bf`;
  const rows = [['198.18.0.10', relay(297)], ['198.18.0.10', relay(298, 'a2')],   // a PCM frame, an Opus frame
    ['198.18.0.10', relay(296, 'a3')],                // no audio frame the bench knows
    ['198.18.0.10', 'c0ffee'],                        // a QUIC packet of a control connection: not relay
    ['198.18.2.2', relay(299)]];                      // the mobile's own relay packet: not the intermediate's
  const captured = relayedSeqs(rows, INTERMEDIATE);
  assert.deepEqual([...captured], [297, 298]);
  assert.equal(relayCheck(new Set([297, 298]), captured).verdict, 'agree');
  assert.equal(relayCheck(new Set([298]), captured).verdict, 'agree', 'a relayed copy lost on the way is no disagreement');
  const missing = relayCheck(new Set([297, 299]), captured);
  assert.equal(missing.verdict, 'disagree');
  assert.match(missing.detail, /1 of the 2 frames .* \(first: seq 299\)/);
  assert.equal(relayCheck(new Set(), captured).verdict, 'n/a');
  assert.equal(relayCheck(new Set([297]), new Set()).verdict, 'n/a', 'a relay whose packets show no plain frame (TURN, overlay) cannot be checked');
});
