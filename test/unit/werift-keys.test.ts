// werift's DTLS key log (a captured ice-restart-werift run): both ends of a real werift connection on
// loopback log the same CLIENT_RANDOM line — the client's random and the master secret both derived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RTCPeerConnection } from 'werift';
import { clientRandomLine, logDtlsKeys } from '../../strategies/ice-restart-werift/dtls-keys.ts';

test('clientRandomLine: the client\'s random whichever end this is; nothing before the secret exists', () => {
  const random = (b: number) => ({ serialize: () => Buffer.alloc(32, b) });
  const secret = Buffer.alloc(48, 0xab);
  const client = clientRandomLine({ sessionType: 1, localRandom: random(1), remoteRandom: random(2), masterSecret: secret });
  const server = clientRandomLine({ sessionType: 2, localRandom: random(2), remoteRandom: random(1), masterSecret: secret });
  assert.equal(client, `CLIENT_RANDOM ${'01'.repeat(32)} ${'ab'.repeat(48)}\n`);
  assert.equal(server, client);
  assert.equal(clientRandomLine({ sessionType: 1, localRandom: random(1), remoteRandom: random(2) }), null);
});

test('a werift connection on loopback: each end logs its DTLS session once, the same line on both', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'migbench-dtls-'));
  const [a, b] = [new RTCPeerConnection({ iceUseIpv6: false }), new RTCPeerConnection({ iceUseIpv6: false })];
  try {
    logDtlsKeys(a, path.join(dir, 'a.log'));
    logDtlsKeys(b, path.join(dir, 'b.log'));
    for (const pc of [a, b]) pc.createDataChannel('audio', { negotiated: true, id: 0 });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    const connected = (pc: RTCPeerConnection) => new Promise<void>((resolve) => {
      if (pc.connectionState === 'connected') resolve();
      pc.connectionStateChange.subscribe((s) => { if (s === 'connected') resolve(); });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([connected(a), connected(b)]), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('not connected in 10 s')), 10_000); })]);
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 50));
    const [la, lb] = ['a.log', 'b.log'].map((f) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : ''));
    assert.match(la!, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/, 'one line: one DTLS session');
    assert.equal(lb, la, 'client and server agree on the client random and the master secret');
  } finally {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
