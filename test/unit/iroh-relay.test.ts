// The intermediate's iroh relay (strategies/iroh/relay.ts) against iroh itself: two real iroh
// endpoints on loopback make it their home relay, connect through it and exchange datagrams; a key
// outside the pairing is refused; the handshake's signature is checked the way iroh signs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as iroh from '@number0/iroh';
import { blake3 } from '@noble/hashes/blake3';
import { WebSocket } from 'ws';
import { authenticate, startIrohRelay } from '../../strategies/iroh/relay.ts';

const CONTEXT = 'iroh-relay handshake v1 challenge signature';
/** A ClientAuth frame as iroh's client writes it: type 1, key, the signature's length (64), signature. */
function clientAuth(key: iroh.SecretKey, challenge: Buffer): Buffer {
  const signature = key.sign([...blake3(challenge, { context: CONTEXT })]).toBytes();
  return Buffer.concat([Buffer.of(1), Buffer.from(key.public().toBytes()), Buffer.of(64), Buffer.from(signature)]);
}

test('authenticate: the key of a valid ClientAuth, null for a wrong challenge, a bad signature or a bad frame', () => {
  const key = iroh.SecretKey.generate();
  const challenge = Buffer.alloc(16, 7);
  const auth = clientAuth(key, challenge);
  assert.deepEqual([...authenticate(challenge, auth)!], key.public().toBytes());
  assert.equal(authenticate(Buffer.alloc(16, 8), auth), null, 'signed another challenge');
  const forged = Buffer.from(auth);
  forged[forged.length - 1]! ^= 1;
  assert.equal(authenticate(challenge, forged), null);
  assert.equal(authenticate(challenge, auth.subarray(0, 90)), null);
});

const ALPN = [...Buffer.from('migbench/test')];
async function endpoint(url: string, key: iroh.SecretKey): Promise<iroh.Endpoint> {
  const b = iroh.Endpoint.builder();
  iroh.presetMinimal(b);
  b.secretKey(key.toBytes());
  const relays = iroh.RelayMap.empty();
  relays.insert({ url });
  b.relayMode(iroh.RelayMode.custom(relays));
  b.alpns([ALPN]);
  b.bindAddr('127.0.0.1:0');
  return b.bind();
}

test('two iroh endpoints take it as their home relay, connect through it first and exchange datagrams; a stranger is refused', async () => {
  const [a, m, stranger] = [iroh.SecretKey.generate(), iroh.SecretKey.generate(), iroh.SecretKey.generate()];
  const hex = (k: iroh.SecretKey) => Buffer.from(k.public().toBytes()).toString('hex');
  const pairing = new Map([[hex(a), 'p'], [hex(m), 'p']]);
  let forwarded = 0;
  const relay = await startIrohRelay(0, (k) => pairing.get(k) ?? null, (bytes) => { forwarded += bytes; });
  const url = `http://127.0.0.1:${relay.port}`;
  const [answerer, mobile] = await Promise.all([endpoint(url, a), endpoint(url, m)]);
  try {
    await Promise.all([answerer.online(), mobile.online()]);
    assert.equal(relay.clients(), 2);
    const accepted = (async () => (await (await answerer.acceptNext())!.accept()).connect())();
    const conn = await mobile.connect(new iroh.EndpointAddr(a.public(), url, []), ALPN);
    const served = await accepted;
    assert.ok(forwarded > 0, 'the handshake went through the relay');
    const first = conn.paths();
    assert.ok(first.some((p) => p.isRelay), `the relay path: ${JSON.stringify(first.map((p) => p.remoteAddr))}`);
    served.sendDatagram([1, 2, 3]);
    assert.deepEqual(await conn.readDatagram(), [1, 2, 3]);

    const ws = new WebSocket(`${url}/relay`, ['iroh-relay-v2']);
    const frames: Buffer[] = [];
    const denied = new Promise<void>((resolve) => ws.on('message', (d: Buffer) => {
      frames.push(d);
      if (d[0] === 0) ws.send(clientAuth(stranger, d.subarray(1, 17)));
      if (d[0] === 3) resolve();
    }));
    await denied;
    assert.equal(frames.at(-1)!.subarray(2).toString(), 'not authorized');
    ws.terminate();
    conn.close(0n, []);
  } finally {
    await Promise.all([answerer.close(), mobile.close()]);
    await relay.close();
  }
});
