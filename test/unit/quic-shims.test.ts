// Fails loudly if @matrixai/quic moves an internal the shims in strategies/shared/quic.ts use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import path from 'node:path';
import { REPO } from '../../harness/driver.ts';
import { startEchoServer } from '../../harness/loopback.ts';
import { events, QUICClient, QUICServer, QUICSocket } from '@matrixai/quic';
import {
  ACTIVE_CID_LIMIT, QUIC_VERSION, attachDatagrams, baseConfig, clientCrypto, divertPackets, loadCert, onRawPacket, pinTo, rawSend,
  quietLogger, serverCrypto, shimHooks, VIRTUAL_PEER, virtualSocket, type VirtualSocket,
} from '../../strategies/shared/quic.ts';

test('the installed @matrixai/quic is the pinned version', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'node_modules/@matrixai/quic/package.json'), 'utf8'));
  assert.equal(pkg.version, QUIC_VERSION);
  assert.equal(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).dependencies['@matrixai/quic'], QUIC_VERSION);
});

test('datagram, raw-packet and path-limit shims work on a loopback connection', async () => {
  const logger = quietLogger();
  const cert = loadCert('peer');
  const echo = await startEchoServer();
  const clientSocket = new QUICSocket({ logger });
  await clientSocket.start({ host: '127.0.0.1', port: 0 });
  const echoed: string[] = [];
  const raw: string[] = [];
  const off = onRawPacket(echo.socket, (data) => { if (data.toString().startsWith('probe')) raw.push(data.toString()); });
  // installed before the handshake: every QUIC packet must still reach js-quic through it
  const taken: string[] = [];
  const offDivert = divertPackets(echo.socket, (data) => (data.toString().startsWith('divert') ? (taken.push(data.toString()), true) : false));
  const client = await QUICClient.createQUICClient({ host: '127.0.0.1', port: echo.port, socket: clientSocket,
    crypto: clientCrypto, logger, config: baseConfig({ verifyPeer: true, verifyCallback: pinTo(cert.fingerprint) }) }, { timer: 3000 });
  try {
    const hooks = shimHooks(client.connection, echo.socket);
    assert.deepEqual(Object.entries(hooks).filter(([, ok]) => !ok).map(([k]) => k), [], 'internals the shims need are gone');
    const dg = attachDatagrams(client.connection, (d) => echoed.push(Buffer.from(d).toString()));
    for (let i = 0; i < 5; i++) assert.equal(await dg.send(Buffer.from(`frame-${i}`)), true);
    await clientSocket.send(Buffer.from('probe-1'), echo.port, '127.0.0.1');
    rawSend(clientSocket, Buffer.from('divert-1'), echo.port, '127.0.0.1');
    for (let i = 0; i < 100 && echoed.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(echoed, [0, 1, 2, 3, 4].map((i) => `frame-${i}`));
    assert.deepEqual(raw, ['probe-1']);
    for (let i = 0; i < 100 && !taken.length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(taken, ['divert-1'], 'rawSend + divertPackets');
    assert.ok((dg.maxLen() ?? 0) >= 1200, `datagram room ${dg.maxLen()}`);
    assert.equal(echo.connections.length, 1);
  } finally {
    off();
    offDivert();
    await client.destroy({ force: true });
    await echo.stop();
    await clientSocket.stop({ force: true });
  }
});

test('pinning refuses a certificate with another fingerprint', async () => {
  const verify = pinTo('00'.repeat(32));
  assert.notEqual(await verify([new Uint8Array([1, 2, 3])]), undefined);
});

/** A loopback "NAT" between client and server whose outside port changes on rebind(). */
async function rebindingNat(serverPort: number) {
  const inside = dgram.createSocket('udp4');
  await new Promise<void>((r) => inside.bind(0, '127.0.0.1', r));
  let client: dgram.RemoteInfo | undefined;
  let outside: dgram.Socket;
  const all: dgram.Socket[] = [inside];
  const open = async () => {
    const s = dgram.createSocket('udp4');
    all.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    s.on('message', (m) => { if (client && s === outside) inside.send(m, client.port, client.address); });
    outside = s;
  };
  await open();
  inside.on('message', (m, ri) => { client = ri; outside.send(m, serverPort, '127.0.0.1'); });
  return { port: inside.address().port, rebind: open, close: () => all.forEach((s) => s.close()) };
}

test(`the path-limit patch: one connection survives 4 NAT rebindings (quiche's default allows 1)`, async () => {
  const logger = quietLogger();
  const echo = await startEchoServer();
  const nat = await rebindingNat(echo.port);
  const client = await QUICClient.createQUICClient({ host: '127.0.0.1', port: nat.port, crypto: clientCrypto, logger,
    localHost: '127.0.0.1', config: baseConfig({ verifyPeer: false }) }, { timer: 3000 });
  try {
    const got = new Set<string>();
    const dg = attachDatagrams(client.connection, (d) => got.add(Buffer.from(d).toString()));
    for (let round = 0; round <= 4; round++) {
      if (round > 0) await nat.rebind();
      const tag = `round-${round}`;
      for (let i = 0; i < 40 && !got.has(tag); i++) { await dg.send(Buffer.from(tag)); await new Promise((r) => setTimeout(r, 25)); }
      assert.ok(got.has(tag), `no echo after rebinding #${round} (limit ${ACTIVE_CID_LIMIT})`);
    }
  } finally {
    await client.destroy({ force: true });
    nat.close();
    await echo.stop();
  }
});

test('virtual sockets: a connection whose packets a path layer carries sees one fixed peer and survives a path swap', async () => {
  const logger = quietLogger();
  const cert = loadCert('peer');
  // The "paths": two queues between the sockets; swapping them is invisible to QUIC.
  const carried = { a: 0, b: 0 };
  let via: 'a' | 'b' = 'a';
  let server!: VirtualSocket, client!: VirtualSocket;
  server = await virtualSocket((p) => { carried[via]++; void client.inject(p); });
  client = await virtualSocket((p) => { carried[via]++; void server.inject(p); });
  const srv = new QUICServer({ crypto: serverCrypto(), socket: server.socket, logger,
    config: baseConfig({ key: cert.key, cert: cert.cert, verifyPeer: false }) });
  const accepted: string[] = [];
  srv.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const conn = (evt as events.EventQUICServerConnection).detail;
    accepted.push(`${conn.remoteHost}:${conn.remotePort}`);
    const dg = attachDatagrams(conn, (d) => void dg.send(d));
  });
  await srv.start();
  const c = await QUICClient.createQUICClient({ host: VIRTUAL_PEER.host, port: VIRTUAL_PEER.port, socket: client.socket,
    crypto: clientCrypto, logger, config: baseConfig({ verifyPeer: true, verifyCallback: pinTo(cert.fingerprint) }) }, { timer: 3000 });
  try {
    assert.deepEqual(Object.entries(shimHooks(undefined, client.socket)).filter(([, ok]) => !ok).map(([k]) => k), []);
    const got = new Set<string>();
    const dg = attachDatagrams(c.connection, (d) => got.add(Buffer.from(d).toString()));
    for (const path of ['a', 'b'] as const) {
      via = path;
      for (let i = 0; i < 40 && !got.has(path); i++) { await dg.send(Buffer.from(path)); await new Promise((r) => setTimeout(r, 10)); }
      assert.ok(got.has(path), `no echo over path ${path}`);
    }
    assert.ok(carried.a > 0 && carried.b > 0, JSON.stringify(carried));
    assert.deepEqual(accepted, [`${VIRTUAL_PEER.host}:${VIRTUAL_PEER.port}`]);
  } finally {
    await c.destroy({ force: true });
    await srv.stop({ force: true });
    await client.stop();
    await server.stop();
  }
});
