// nebula: Slack's mesh VPN (Debian's nebula 1.6.1), the Tailscale-style design — a lighthouse that
// tells nodes each other's addresses and coordinates punching, relays where punching fails, and
// roaming that follows a node's new address. The bench's audio frames travel as UDP between the two
// peers' overlay addresses; on a change the strategy does nothing: nebula's own roaming and
// tunnel checks do the work (docs/strategies.md "nebula").
import dgram from 'node:dgram';
import type { RoleContext, Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { countingUpkeep, outputCounters } from '../shared/nftcount.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { LIGHTHOUSE_PORT, OVERLAY, provision, startNebula, type Node } from './mesh.ts';
import { tunnelPath, type TunnelPath } from './tunnels.ts';

const AUDIO_PORT = 5004;
/** A peer's path upkeep: every nebula packet it sends but data — handshakes, lighthouse updates and
 *  queries, tunnel tests, closes, relay control (header version 1 in the high nibble, type ≠ Message;
 *  QUIC's first byte never has a high nibble of 1), as UDP payload. */
const NEBULA_UPKEEP = [{ name: 'nebula', match: ['meta', 'l4proto', 'udp', '@th,64,4', '1', '@th,68,4', '!=', '1'], framing: 0 }];
/** Bytes a relayed UDP payload carries besides the audio frame: the relay's header and tag (16 + 16)
 *  around the peer's own packet (header 16, tag 16, and the frame's IP and UDP headers inside the
 *  tunnel, 20 + 8) — measured: 92.9 B a packet over 354 relayed packets of one run (docs/strategies.md "nebula"). */
const RELAY_FRAMING = 16 + 16 + 16 + 16 + 20 + 8;

/** The audio socket on this peer's overlay address; once bound, a send error (into a tunnel being
 *  rebuilt) loses that frame and nothing else. */
async function bound(ip: string): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(AUDIO_PORT, ip, () => { sock.off('error', reject); resolve(); }); });
  sock.on('error', () => {});
  return sock;
}

/** This peer's nebula, and its tunnel to the other peer as its log tells (logged as nebula.tunnel). */
async function peerNebula(ctx: RoleContext, node: Exclude<Node, 'lighthouse'>, onPath: (p: TunnelPath) => void) {
  const other = OVERLAY[node === 'answerer' ? 'mobile' : 'answerer'];
  return startNebula(ctx, node, (line) => {
    const path = tunnelPath(line, other);
    if (path === null) return;
    ctx.log.logOther('nebula.tunnel', { path });
    onPath(path);
  });
}

async function intermediate(ctx: RoleContext): Promise<void> {
  if (ctx.pairings.length !== 1) throw new Error(`nebula runs one pair per run (got ${ctx.pairings.length})`);
  await provision(ctx);
  const lighthouse = await startNebula(ctx, 'lighthouse');
  // what the relay forwards: nebula messages of type Message, subtype Relay (header bytes 0x11 0x01)
  // leaving the lighthouse's port, counted once, when delivered; RELAY_FRAMING per packet is nebula's
  const counters = await outputCounters('migbench_nebula', [{ name: 'relayed',
    match: ['udp', 'sport', `${LIGHTHOUSE_PORT}`, '@th,64,16', '0x1101'], framing: RELAY_FRAMING }]);
  let logged = -1;
  const count = async () => {
    const { bytes, packets } = await counters.read();
    if (packets !== logged) { logged = packets; ctx.log.log('relay.bytes', { relay: 'nebula', bytes, packets }); }
  };
  const ticker = setInterval(() => void count().catch(() => {}), 250);
  try { await runIntermediate(ctx); } finally {
    clearInterval(ticker);
    await count().catch(() => {});
    await counters.remove();
    await lighthouse.stop();
  }
}

async function answerer(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'answerer', { relay: false });
  // the frames' path is the tunnel's; before the first tunnel nebula holds them (a few) while it handshakes
  let path: TunnelPath = 'none';
  const nebula = await peerNebula(ctx, 'answerer', (p) => { if (p !== path) { path = p; ctx.log.log('path', { state: p }); } });
  const sock = await bound(OVERLAY.answerer);
  const send = (frame: Buffer) => sock.send(frame, AUDIO_PORT, OVERLAY.mobile);
  // nebula builds a tunnel when something is sent into it: one empty datagram every 200 ms until it is
  // up (the mobile drops it: not a frame); the stream begins on the tunnel
  const poke = setInterval(() => { if (path === 'none') send(Buffer.alloc(0)); }, 200);
  send(Buffer.alloc(0));
  let label: 'direct' | 'relay' | null = null;
  const audio = streamAudio(ctx, (): AudioRoute | null => {
    if (path !== 'none') { label = path; clearInterval(poke); }
    return label ? { path: label, send } : null;   // a tunnel being rebuilt: sent, as nebula holds them
  });
  await holdPeer(ctx, peer, { stop: [audio, () => clearInterval(poke)], close: async () => { sock.close(); await nebula.stop(); } });
}

async function mobile(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'mobile', { relay: false });
  let path: TunnelPath = 'none';
  const nebula = await peerNebula(ctx, 'mobile', (p) => { path = p; });
  const audio = new AudioReceiver(ctx);
  const sock = await bound(OVERLAY.mobile);
  sock.on('message', (msg) => audio.accept(msg, path === 'relay' ? 'relay' : 'direct'));
  await holdPeer(ctx, peer, { audio, close: async () => { sock.close(); await nebula.stop(); } });
}

const strategy: Strategy = {
  name: 'nebula',
  describe: "Slack's mesh VPN (Debian's nebula 1.6.1): a lighthouse and relay on the intermediate, the audio between the " +
    "peers' overlay addresses; on a change nebula's own roaming and tunnel checks do the work.",
  notes: [
    "The frames' path is the tunnel's as nebula's own log tells it (direct, or through its relay on the intermediate); " +
      'nebula 1.6.1 has no other interface to ask (docs/strategies.md "nebula").',
  ],
  intermediate,
  answerer: countingUpkeep('migbench_nebula_upkeep', NEBULA_UPKEEP, answerer),
  mobile: countingUpkeep('migbench_nebula_upkeep', NEBULA_UPKEEP, mobile),
};
export default strategy;
