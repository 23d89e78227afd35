// A hostile host outside every pairing (runs on `stranger`, see hostile.test.ts). It throws forged,
// replayed, truncated, oversized and random input at the intermediate's control port, its relay
// port and the peers' public addresses, and prints one JSON line: what it sent, whether anything
// ever welcomed it, and how many bytes came back to it (relayed audio must never reach it).
//   node --import tsx test/testbed/attacker.ts '<json: {intermediate, controlPort, relayPort, pairing, staleProof, replay[], targets[]}>'
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { QUICClient } from '@matrixai/quic';
import { baseConfig, installQuicShims } from '../../strategies/shared/quic.ts';
import { clientCrypto, quietLogger } from '../../strategies/shared/quic-tls.ts';
import { encode, MAX_PAYLOAD, MessageReader, type Message } from '../../strategies/shared/signalling.ts';
import { RELAY_UDP_TAG } from '../../strategies/shared/relay.ts';

interface Plan {
  intermediate: string; controlPort: number; relayPort: number; pairing: string;
  staleProof: string;                 // a genuine proof for an old nonce: a replayed hello
  replay: string[];                   // genuine relay packets captured on the wire (hex)
  targets: { addr: string; port: number }[];   // the peers' public endpoints
}
installQuicShims();
const plan = JSON.parse(process.argv[2]!) as Plan;
const logger = quietLogger();
const frame = (type: number, len: number, body: Buffer) => Buffer.concat([Buffer.from([type, len >> 8, len & 0xff]), body]);

/** One control connection that writes `bytes`; resolves true if the intermediate ever welcomed it. */
async function controlAttack(bytes: Buffer[]): Promise<boolean> {
  let client: QUICClient;
  try {
    client = await QUICClient.createQUICClient({ host: plan.intermediate, port: plan.controlPort, crypto: clientCrypto, logger,
      config: baseConfig({ verifyPeer: false }) }, { timer: 3000 });
  } catch { return false; }
  let welcomed = false;
  try {
    const stream = client.connection.newStream('bidi');
    const writer = stream.writable.getWriter();
    const reader = new MessageReader();
    const read = (async () => {
      try {
        for await (const chunk of stream.readable) for (const m of reader.push(chunk)) if (m.type === 'welcome' || m.type === 'peer') welcomed = true;
      } catch { /* refused: the connection is closed */ }
    })();
    for (const b of bytes) await writer.write(b).catch(() => {});
    await Promise.race([read, new Promise((r) => setTimeout(r, 1000))]);
  } finally {
    await client.destroy({ force: true }).catch(() => {});
  }
  return welcomed;
}

const hello = (over: Partial<Extract<Message, { type: 'hello' }>>) =>
  encode({ type: 'hello', pairing: plan.pairing, role: 'mobile', proof: 'ff'.repeat(32), host: [], ...over } as Message);
const controlAttacks: [string, Buffer[]][] = [
  ['wrong secret', [encode({ type: 'open' }), hello({})]],
  ['unknown pairing (no secret)', [encode({ type: 'open' }), hello({ pairing: 'nobody' })]],
  ['replayed hello (proof for an old nonce)', [encode({ type: 'open' }), hello({ proof: plan.staleProof })]],
  ['address-change without hello', [encode({ type: 'open' }), encode({ type: 'address-change', reason: 'moved' })]],
  ['signal without hello', [encode({ type: 'open' }), encode({ type: 'signal', kind: 'offer', body: {} })]],
  ['truncated message', [encode({ type: 'open' }), frame(3, 200, Buffer.from('{"pairing":'))]],
  ['oversized message', [encode({ type: 'open' }), frame(3, MAX_PAYLOAD + 1, randomBytes(MAX_PAYLOAD + 1))]],
  ...Array.from({ length: 4 }, (_, i) => [`random bytes ${i}`, [randomBytes(1 + Math.floor(Math.random() * 300))]] as [string, Buffer[]]),
];

const udp = dgram.createSocket('udp4');
let received = 0;
udp.on('message', (m) => { received += m.length; });
await new Promise<void>((r) => udp.bind(0, () => r()));
const send = (b: Buffer, port: number, addr: string) => new Promise<void>((r) => udp.send(b, port, addr, () => r()));

const relay: Buffer[] = [
  ...Array.from({ length: 50 }, () => randomBytes(1 + Math.floor(Math.random() * 200))),
  ...Array.from({ length: 20 }, () => Buffer.concat([Buffer.from([RELAY_UDP_TAG]), randomBytes(Math.floor(Math.random() * 16))])),   // truncated
  ...Array.from({ length: 20 }, () => Buffer.concat([Buffer.from([RELAY_UDP_TAG]), randomBytes(1400)])),   // oversized, forged
  ...Array.from({ length: 50 }, () => Buffer.concat([Buffer.from([RELAY_UDP_TAG]), randomBytes(8), Buffer.alloc(660, 1), randomBytes(8)])),   // forged sessions/MACs
  ...plan.replay.flatMap((hex) => Array.from({ length: 5 }, () => Buffer.from(hex, 'hex'))),   // replayed genuine packets
];
const welcomed: string[] = [];
for (const [name, bytes] of controlAttacks) if (await controlAttack(bytes)) welcomed.push(name);
/** How many attacks the intermediate must refuse: all but a stream that just ends mid-message —
 *  the truncated one, and a random one that does not break the framing (under 3 bytes, or a valid
 *  type and length header whose body never comes), which is as harmless as a truncated one. */
const breaksFraming = (bytes: Buffer[]) => {
  try { const reader = new MessageReader(); for (const b of bytes) reader.push(b); return false; } catch { return true; }
};
const mustRefuse = controlAttacks.filter(([name, bytes]) => name !== 'truncated message' && (!name.startsWith('random') || breaksFraming(bytes))).length;
// paced: a flood would only measure the socket buffer (the kernel drops what does not fit)
for (const b of relay) { await send(b, plan.relayPort, plan.intermediate); await new Promise((r) => setTimeout(r, 2)); }
const p2p = plan.targets.flatMap((t) => [randomBytes(64), Buffer.concat([Buffer.from('MBPUNCH1'), Buffer.from(plan.pairing)]),
  Buffer.concat([Buffer.from([0x3c]), randomBytes(100)]), Buffer.concat([Buffer.from([0x3d]), randomBytes(22)]),
  Buffer.concat([Buffer.from([RELAY_UDP_TAG]), randomBytes(40)])].map((b) => [b, t] as const));
for (const [b, t] of p2p) await send(b, t.port, t.addr);
await new Promise((r) => setTimeout(r, 1500));   // anything the relay (wrongly) forwards would arrive now
udp.close();
console.log(JSON.stringify({ control: controlAttacks.length, mustRefuse, welcomed, relayPackets: relay.length, replayed: plan.replay.length * 5, p2pPackets: p2p.length, received }));
process.exit(0);
