// A real TURN/STUN server (Debian's coturn) on the intermediate host, for the WebRTC strategies.
// Long-term credentials: user = pairing id, password = pairing secret. It runs as an external
// program (external.ts: dies with the role) and writes turnserver.log into the run folder.
// What it relays is counted by nftables in the intermediate's namespace (coturn reports usage only
// when an allocation closes) and logged as relay.bytes {relay: 'turn'}: the application payload of
// every packet coturn delivers to a peer, counted once, at the hop that delivers it — as the QUIC
// relay counts each payload once, when it forwards it. A packet reaches its peer either raw from a
// relay port (the peer has no allocation of its own) or as ChannelData / a Data indication from
// the TURN port (the peer's own allocation received it); relay port to relay port (both peers on
// TURN) stays inside coturn and is not a delivery. So a path with a relay candidate on one side
// only is counted both ways, and one with relay candidates on both sides is not counted twice.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import path from 'node:path';
import type { RoleContext } from '../contract.ts';
import { startExternal } from './external.ts';
import { outputCounters, type CounterRule } from './nftcount.ts';

export const TURN_PORT = 3478;
const RELAY_PORTS = [49152, 49400] as const;
const TABLE = 'migbench_turn';
/** Each counted delivery and the framing coturn adds to the payload there. ChannelData over UDP
 *  is unpadded (coturn pads only on streams); a Data indication (sent only until a channel is
 *  bound) is counted without its DATA padding and FINGERPRINT (< 12 B per packet). */
const DELIVERIES = (ip: string): CounterRule[] => [
  { name: 'raw', match: ['udp', 'sport', `${RELAY_PORTS[0]}-${RELAY_PORTS[1]}`, 'ip', 'daddr', '!=', ip], framing: 0 },
  { name: 'channel-data', match: ['udp', 'sport', `${TURN_PORT}`, '@th,64,2', '1'], framing: 4 },
  { name: 'data-indication', match: ['udp', 'sport', `${TURN_PORT}`, '@th,64,16', '0x0017'], framing: 20 + 12 + 4 },
];
/** How long coturn gets to exit on SIGTERM before SIGKILL: it must be reaped before the role
 *  stops, so that its CPU time is in the role's (run-role.ts). */
const EXIT_GRACE_MS = 2000;

export interface Turn { stop(): Promise<void> }

/** Resolves once coturn answers a STUN Binding request: a peer that gathers before coturn listens
 *  gets no relay candidate, and behind symmetric NATs never connects (seen as a run with no audio). */
async function answering(ip: string, timeoutMs: number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => {});   // ECONNREFUSED while it is not listening yet
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('message', () => resolve());
      const deadline = Date.now() + timeoutMs;
      const ask = () => {
        if (Date.now() > deadline) { reject(new Error(`coturn did not answer on ${ip}:${TURN_PORT} within ${timeoutMs} ms`)); return; }
        sock.send(request, TURN_PORT, ip);
        timer = setTimeout(ask, 50);
      };
      ask();
    });
  } finally {
    clearTimeout(timer);
    sock.close();
  }
}

export async function startTurn(ctx: RoleContext): Promise<Turn> {
  const ip = ctx.intermediate.addrs[0];
  const counters = await outputCounters(TABLE, DELIVERIES(ip));
  const users = ctx.pairings.map((p) => `--user=${p.id}:${p.secret}`);
  // its own log is turnserver.log; what it prints, coturn.log
  const proc = await startExternal(ctx, {
    name: 'coturn', command: 'turnserver', readyTimeoutMs: 6000, graceMs: EXIT_GRACE_MS, ready: () => answering(ip, 5000),
    args: ['-n', `--listening-ip=${ip}`, `--relay-ip=${ip}`,
      `--listening-port=${TURN_PORT}`, `--min-port=${RELAY_PORTS[0]}`, `--max-port=${RELAY_PORTS[1]}`, '--lt-cred-mech', ...users,
      '--realm=migbench', '--no-tls', '--no-dtls', '--no-cli', '--no-multicast-peers', '--simple-log',
      `--log-file=${path.join(ctx.runDir, 'turnserver.log')}`, `--pidfile=${path.join(ctx.runDir, 'turnserver.pid')}`],
  });

  let logged = -1;
  const count = async () => {
    const { bytes, packets } = await counters.read();
    if (packets === logged) return;
    logged = packets;
    ctx.log.log('relay.bytes', { relay: 'turn', bytes, packets });
  };
  const ticker = setInterval(() => void count().catch(() => {}), 250);
  return {
    async stop() {
      clearInterval(ticker);
      await count().catch(() => {});
      await proc.stop();
      await counters.remove();
    },
  };
}
