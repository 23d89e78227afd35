// Fails loudly if @matrixai/quic moves an internal the shims use (strategies/shared/quic.ts, quic-datagrams.ts, quic-sockets.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import { startEchoServer } from '../../microbench/loopback.ts';
import { events, QUICClient, QUICServer, QUICSocket } from '@matrixai/quic';
import { ACTIVE_CID_LIMIT, QUIC_VERSION, baseConfig, installQuicShims, shimHooks, cheapLockIn, ChainLock, withoutRetry } from '../../strategies/shared/quic.ts';
import { clientCrypto, loadCert, pinTo, quietLogger, serverCrypto } from '../../strategies/shared/quic-tls.ts';
import { attachDatagrams, nudge } from '../../strategies/shared/quic-datagrams.ts';
import { divertPackets, onRawPacket, rawSend, VIRTUAL_PEER, virtualSocket, type VirtualSocket } from '../../strategies/shared/quic-sockets.ts';

test('before installQuicShims() the helpers refuse to make a connection; after it they work (run-role installs them)', () => {
  assert.throws(() => baseConfig({}), /installQuicShims\(\) must run first/);
  installQuicShims();
  installQuicShims();   // idempotent
  assert.equal(baseConfig({}).applicationProtos?.[0], 'migbench');
});

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
    assert.equal(cheapLockIn(client.connection), true, 'recv() ran under the cheap receive lock');
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

// withoutRetry() feeds a token-less Initial into acceptConnection's after-Retry path; these are the
// lines of js-quic it relies on (a rewrite of any of them must fail here, not in a testbed run).
test('the no-Retry shim: the js-quic code it relies on is unchanged', () => {
  const dist = (f: string) => readFileSync(path.join(REPO, 'node_modules/@matrixai/quic/dist', f), 'utf8');
  const server = dist('QUICServer.js');
  for (const line of [
    'if (header.ty !== quiche.Type.Initial &&',
    'const token = header.token;',
    'if (token.byteLength === 0) {',
    'const dcidOriginal = await this.validateToken(Buffer.from(token), remoteInfo.host);',
    'if (dcidOriginal == null) {',
    'if (scid.byteLength !== header.dcid.byteLength) {',
    'const newScid = new QUICConnectionId(header.dcid);',
    'dcid: dcidOriginal,',
  ]) assert.ok(server.includes(line), `QUICServer.js no longer has: ${line}`);
  assert.equal(server.match(/header\.\w+/g)?.filter((h) => !['header.ty', 'header.version', 'header.scid', 'header.dcid', 'header.token'].includes(h)).length, 0,
    'acceptConnection reads a header field the shim does not copy');
  assert.ok(dist('QUICConnection.js').includes('conn = quiche.Connection.accept(scid, dcid, {'), 'QUICConnection.js: accept call moved');
  assert.ok(dist('QUICSocket.js').includes('await this.server.acceptConnection(remoteInfo_, header, dcid, data);'), 'QUICSocket.js: accept route moved');
});

/** A loopback forwarder that records the QUIC v1 long-header packet types in each direction. */
async function packetTap(serverPort: number) {
  const inside = dgram.createSocket('udp4');
  const outside = dgram.createSocket('udp4');
  await Promise.all([inside, outside].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', r))));
  const seen: string[] = [];
  const type = (m: Buffer) => (m[0]! & 0x80 ? ['Initial', '0-RTT', 'Handshake', 'Retry'][(m[0]! & 0x30) >> 4]! : 'short');
  let client: dgram.RemoteInfo | undefined;
  inside.on('message', (m, ri) => { client = ri; seen.push(`c:${type(m)}`); outside.send(m, serverPort, '127.0.0.1'); });
  outside.on('message', (m) => { seen.push(`s:${type(m)}`); if (client) inside.send(m, client.port, client.address); });
  return { port: inside.address().port, seen, close: () => { inside.close(); outside.close(); } };
}

async function handshakeThroughTap(noRetry: boolean) {
  const logger = quietLogger();
  const cert = loadCert('peer');
  const socket = new QUICSocket({ logger });
  await socket.start({ host: '127.0.0.1', port: 0 });
  const plain = new QUICServer({ crypto: serverCrypto(), socket, logger, config: baseConfig({ key: cert.key, cert: cert.cert, verifyPeer: false }) });
  const server = noRetry ? withoutRetry(plain) : plain;
  const accepted: string[] = [];
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const conn = (evt as events.EventQUICServerConnection).detail;
    accepted.push(conn.connectionId.toString());
    const dg = attachDatagrams(conn, (d) => void dg.send(d));
  });
  await server.start();
  const tap = await packetTap(socket.port);
  const client = await QUICClient.createQUICClient({ host: '127.0.0.1', port: tap.port, crypto: clientCrypto, logger,
    localHost: '127.0.0.1', config: baseConfig({ verifyPeer: true, verifyCallback: pinTo(cert.fingerprint) }) }, { timer: 3000 });
  try {
    const got: string[] = [];
    const dg = attachDatagrams(client.connection, (d) => got.push(Buffer.from(d).toString()));
    for (let i = 0; i < 40 && !got.length; i++) { await dg.send(Buffer.from('ping')); await new Promise((r) => setTimeout(r, 10)); }
    assert.deepEqual(got.slice(0, 1), ['ping'], 'the connection carries datagrams');
    const firstReply = tap.seen.findIndex((p) => p.startsWith('s:') && p !== 's:Retry');
    return { seen: tap.seen, retries: tap.seen.filter((p) => p === 's:Retry').length,
      clientFlights: tap.seen.slice(0, firstReply).filter((p) => p === 'c:Initial').length, accepted };
  } finally {
    await client.destroy({ force: true });
    await server.stop({ force: true });
    await socket.stop({ force: true });
    tap.close();
  }
}

test('withoutRetry: the handshake skips the stateless Retry — one client flight fewer before the server answers', async () => {
  const withRetry = await handshakeThroughTap(false);
  const without = await handshakeThroughTap(true);
  console.log(`js-quic default: ${withRetry.seen.slice(0, 6).join(' ')} …; withoutRetry: ${without.seen.slice(0, 6).join(' ')} …`);
  assert.equal(withRetry.retries, 1, 'js-quic no longer sends a Retry by default: is the shim still needed?');
  assert.equal(withRetry.clientFlights, 2);
  assert.equal(without.retries, 0, 'the shimmed server sent a Retry');
  assert.equal(without.clientFlights, 1, 'the client needed more than one Initial flight');
  assert.equal(without.accepted.length, 1);
});

test('nudge: an ack-eliciting packet leaves at once (what the keepalive would send a second later)', async () => {
  const logger = quietLogger();
  const echo = await startEchoServer();
  const tap = await packetTap(echo.port);
  const client = await QUICClient.createQUICClient({ host: '127.0.0.1', port: tap.port, crypto: clientCrypto, logger,
    localHost: '127.0.0.1', config: baseConfig({ verifyPeer: false }) }, { timer: 3000 });
  try {
    await new Promise((r) => setTimeout(r, 100));   // handshake done, acks exchanged: the connection is quiet
    const before = tap.seen.length;
    await nudge(client.connection);
    for (let i = 0; i < 50 && !tap.seen.slice(before).includes('s:short'); i++) await new Promise((r) => setTimeout(r, 2));
    assert.ok(tap.seen.slice(before).includes('c:short'), 'nothing sent');
    assert.ok(tap.seen.slice(before).includes('s:short'), 'the server did not acknowledge: the packet was not ack-eliciting');
  } finally {
    await client.destroy({ force: true });
    tap.close();
    await echo.stop();
  }
});

test('ChainLock (the receive lock\'s stand-in): one holder at a time, in call order, a failure releases it', async () => {
  const lock = new ChainLock();
  const trace: string[] = [];
  const hold = (name: string, ms: number, fail = false) => lock.withF(async () => {
    trace.push(`${name} in`);
    await new Promise((r) => setTimeout(r, ms));
    trace.push(`${name} out`);
    if (fail) throw new Error(name);
    return name;
  });
  const results = await Promise.allSettled([hold('a', 20), hold('b', 1, true), hold('c', 1)]);
  assert.deepEqual(trace, ['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
});
