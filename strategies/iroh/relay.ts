// A relay that iroh's own relay client (iroh-relay 1.0.2 inside @number0/iroh 1.1.0) accepts, run by
// the intermediate: plain HTTP (iroh verifies TLS only against public roots), `GET /ping` for its
// latency probe (a 2xx makes the relay home), `GET /relay` upgraded to a WebSocket with the
// subprotocol `iroh-relay-v2`, the in-band challenge handshake, and datagrams forwarded between the
// two keys of the run's pairing, nothing else (never an open relay). No QUIC address discovery: the
// intermediate's reflector stands in for it (docs/strategies.md "iroh", which cites iroh's sources).
import { randomBytes, verify, createPublicKey } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { blake3 } from '@noble/hashes/blake3';
import { WebSocketServer, type WebSocket } from 'ws';

const IROH_RELAY_PATH = '/relay';
const SUBPROTOCOL = 'iroh-relay-v2';
// frame types (a QUIC varint; all below 64, so one byte): iroh-relay src/protos/common.rs
const SERVER_CHALLENGE = 0x00, CLIENT_AUTH = 0x01, SERVER_CONFIRMS_AUTH = 0x02, SERVER_DENIES_AUTH = 0x03;
const CLIENT_DATAGRAM = 0x04, CLIENT_BATCH = 0x05, RELAY_DATAGRAM = 0x06, RELAY_BATCH = 0x07;
const PING = 0x09, PONG = 0x0a;
const KEY = 32, SIGNATURE = 64;
const SIGNATURE_CONTEXT = 'iroh-relay handshake v1 challenge signature';
/** Ed25519 public keys in SPKI DER: this prefix, then the 32 key bytes. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/** Whether `auth` (a ClientAuth frame) signs `challenge`; the client's key if so. iroh-relay
 *  src/protos/handshake.rs: the key (32 B), the signature's postcard length (0x40) and the 64-byte
 *  Ed25519 signature of blake3::derive_key(SIGNATURE_CONTEXT, challenge). */
export function authenticate(challenge: Buffer, auth: Buffer): Buffer | null {
  if (auth.length !== 1 + KEY + 1 + SIGNATURE || auth[0] !== CLIENT_AUTH || auth[1 + KEY] !== SIGNATURE) return null;
  const key = auth.subarray(1, 1 + KEY);
  const signed = blake3(challenge, { context: SIGNATURE_CONTEXT });
  const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI, key]), format: 'der', type: 'spki' });
  try {
    return verify(null, signed, publicKey, auth.subarray(2 + KEY)) ? Buffer.from(key) : null;
  } catch { return null; }
}

/** The relay's HTTP server on `port`; `pairingOf` names the pairing a client key belongs to (null: not
 *  a peer of this run), and datagrams go only between keys of one pairing; `onForward` counts what it
 *  delivered (the relayed QUIC packets' bytes). */
export async function startIrohRelay(port: number, pairingOf: (key: string) => string | null,
  onForward: (bytes: number) => void): Promise<{ port: number; close(): Promise<void>; clients(): number }> {
  const clients = new Map<string, { ws: WebSocket; pairing: string }>();
  const server = http.createServer((req, res) => {
    // the latency probe; /generate_204 (captive portals) goes to port 80, never here
    res.writeHead(req.method === 'GET' && req.url === '/ping' ? 200 : 404, { 'access-control-allow-origin': '*' }).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false) });
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.split('?')[0] !== IROH_RELAY_PATH) { socket.destroy(); return; }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (ws.protocol !== SUBPROTOCOL) { ws.close(1002); return; }
      serve(ws);
    });
  });

  function serve(ws: WebSocket): void {
    const challenge = randomBytes(16);
    let key: string | null = null;
    let keyBytes: Buffer | null = null;
    let pairing: string | null = null;
    ws.send(Buffer.concat([Buffer.of(SERVER_CHALLENGE), challenge]));
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary || data.length === 0) return;
      if (key === null) {
        const k = authenticate(challenge, data);
        pairing = k && pairingOf(k.toString('hex'));
        if (!k || pairing === null) {
          const reason = Buffer.from(k ? 'not authorized' : 'signature invalid');
          ws.send(Buffer.concat([Buffer.of(SERVER_DENIES_AUTH, reason.length), reason]), () => ws.close());
          return;
        }
        key = k.toString('hex');
        keyBytes = k;
        clients.get(key)?.ws.close();   // the same endpoint again: the newest connection wins, as in iroh-relay
        clients.set(key, { ws, pairing });
        ws.send(Buffer.of(SERVER_CONFIRMS_AUTH));
        return;
      }
      const type = data[0];
      if (type === PING) { ws.send(Buffer.concat([Buffer.of(PONG), data.subarray(1, 9)])); return; }
      if ((type !== CLIENT_DATAGRAM && type !== CLIENT_BATCH) || data.length <= 1 + KEY + 1) return;
      const to = clients.get(data.subarray(1, 1 + KEY).toString('hex'));
      if (!to || to.pairing !== pairing) return;   // not connected: dropped silently, as iroh-relay does
      const out = Buffer.from(data);
      out[0] = type === CLIENT_DATAGRAM ? RELAY_DATAGRAM : RELAY_BATCH;
      keyBytes!.copy(out, 1);
      to.ws.send(out);
      onForward(out.length - (1 + KEY + 1 + (type === CLIENT_BATCH ? 2 : 0)));
    });
    ws.on('close', () => { if (key !== null && clients.get(key)?.ws === ws) clients.delete(key); });
    ws.on('error', () => {});
  }

  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '0.0.0.0', () => resolve()); });
  return {
    port: (server.address() as AddressInfo).port,
    clients: () => clients.size,
    async close() {
      // every WebSocket, authenticated or not: an upgraded socket still holds the HTTP server open
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
