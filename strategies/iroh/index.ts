// iroh: n0's P2P QUIC (@number0/iroh 1.1.0 = iroh 1.0.2 on noq, multipath QUIC with NAT traversal
// inside QUIC, the relay as one more path, its own network-change watcher). The audio frames are
// QUIC datagrams on one iroh connection the mobile dials through the intermediate's relay; iroh
// punches and moves off the relay by itself. On a change the strategy does nothing iroh does not do
// itself: it only tells iroh its new reflexive address, standing in for the relay's QUIC address
// discovery that the bench's relay lacks (docs/strategies.md "iroh").
import * as iroh from '@number0/iroh';
import type { RoleContext, Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { NetlinkWatcher } from '../shared/netwatch.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, streamAudio } from '../shared/streaming.ts';
import { ALPN, bindEndpoint, endpointIdHex, relayUrl, secretKey, selectedKind, udpPort, watchPaths } from './endpoint.ts';
import { reflexiveProbe, type ReflexiveProbe } from './reflexive.ts';
import { startIrohRelay } from './relay.ts';

async function intermediate(ctx: RoleContext): Promise<void> {
  const pairingOf = new Map(ctx.pairings.flatMap((p) => [[endpointIdHex(p.secret, 'answerer'), p.id], [endpointIdHex(p.secret, 'mobile'), p.id]]));
  const relayed = { bytes: 0, packets: 0 };
  const relay = await startIrohRelay(ctx.intermediate.controlPort, (key) => pairingOf.get(key) ?? null,
    (bytes) => { relayed.bytes += bytes; relayed.packets++; });
  let logged = -1;
  const count = () => {
    if (relayed.packets !== logged) { logged = relayed.packets; ctx.log.log('relay.bytes', { relay: 'iroh', ...relayed }); }
  };
  const ticker = setInterval(count, 250);
  try { await runIntermediate(ctx); } finally {
    clearInterval(ticker);
    count();
    await relay.close();
  }
}

/** Tells iroh its reflexive address now (logged as iroh.external), replacing the one it had; one
 *  telling at a time (a route change may come during the periodic one). No answer keeps the old
 *  address, as a failed QUIC address discovery would. */
function externalAddress(ctx: RoleContext, ep: iroh.Endpoint, probe: ReflexiveProbe): () => Promise<void> {
  let current: string | null = null;
  let telling = Promise.resolve();
  const tell = async () => {
    const seen = await probe.of(udpPort(ep));
    const addr = seen && `${seen.addr}:${seen.port}`;
    if (!addr || addr === current) return;
    if (current) await ep.removeExternalAddr(current);
    await ep.addExternalAddr(addr);
    current = addr;
    ctx.log.logOther('iroh.external', { addr });
  };
  return () => (telling = telling.catch(() => {}).then(tell));
}

/** iroh re-runs its net report (where QUIC address discovery would tell it its reflexive address)
 *  every 20–26 s (iroh 1.0.2 socket.rs, new_re_stun_timer): the stand-in does too. */
const RESTUN_MS = [20_000, 26_000] as const;

/** The peer's endpoint, online at the intermediate's relay, with its reflexive address told again
 *  whenever the route changes — what iroh's own watcher hears from the kernel (its
 *  `watchNetworkChange` panics when called from JavaScript in @number0/iroh 1.1.0) — and on iroh's
 *  periodic re-report. */
async function onlineEndpoint(ctx: RoleContext, role: 'answerer' | 'mobile') {
  const ep = await bindEndpoint(ctx, role);
  const probe = await reflexiveProbe(ctx);
  const told = externalAddress(ctx, ep, probe);
  const advertise = () => void told().catch((e: Error) => ctx.log.log('error', { message: `iroh external address: ${e.message}` }));
  await told();
  const netlink = new NetlinkWatcher();
  await netlink.start(ctx.intermediate.addrs[0], advertise);
  let timer: NodeJS.Timeout;
  const periodic = () => { timer = setTimeout(() => { advertise(); periodic(); }, RESTUN_MS[0] + Math.random() * (RESTUN_MS[1] - RESTUN_MS[0])); };
  periodic();
  await ep.online();
  return {
    ep,
    async close() { clearTimeout(timer); netlink.stop(); await ep.close(); await probe.close(); },
  };
}

async function answerer(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'answerer', { relay: false });
  const node = await onlineEndpoint(ctx, 'answerer');
  let conn: iroh.Connection | null = null;
  let label: ReturnType<typeof selectedKind> = 'none';
  let paths: { stop(): void } | null = null;
  void (async () => {
    const incoming = await node.ep.acceptNext();
    if (!incoming) return;
    const c = await (await incoming.accept()).connect();
    paths = watchPaths(ctx, c, (list) => {
      const kind = selectedKind(list);
      if (kind !== label) { label = kind; ctx.log.log('path', { state: kind }); }
    });
    conn = c;
  })().catch((e: Error) => { if (!ctx.signal.aborted) ctx.log.log('error', { message: `iroh accept: ${e.message}` }); });
  const audio = streamAudio(ctx, () => (conn && label !== 'none'
    ? { path: label, send: (frame) => { try { conn!.sendDatagram([...frame]); } catch { /* no path now: lost */ } } }
    : null));
  await holdPeer(ctx, peer, { stop: [audio, () => paths?.stop()], close: async () => { conn?.close(0n, []); await node.close(); } });
}

async function mobile(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'mobile', { relay: false });
  const node = await onlineEndpoint(ctx, 'mobile');
  const audio = new AudioReceiver(ctx);
  // an app knows its peer's id and home relay (a ticket); its addresses iroh finds through the relay
  const answererId = secretKey(ctx.pairings[0]!.secret, 'answerer').public();
  const conn = await node.ep.connect(new iroh.EndpointAddr(answererId, relayUrl(ctx), []), ALPN);
  const selected = { kind: selectedKind([]) };
  const paths = watchPaths(ctx, conn, (list) => { selected.kind = selectedKind(list); });
  void (async () => {
    for (;;) audio.accept(Buffer.from(await conn.readDatagram()), selected.kind === 'relay' ? 'relay' : 'direct');
  })().catch(() => {});   // ends with the connection
  await holdPeer(ctx, peer, { audio, stop: [paths], close: async () => { conn.close(0n, []); await node.close(); } });
}

const strategy: Strategy = {
  name: 'iroh',
  describe: "n0's iroh 1.0.2 (@number0/iroh 1.1.0: multipath QUIC on noq, NAT traversal inside QUIC, the relay as one more path): " +
    "the audio as datagrams on one connection dialled through the intermediate's iroh relay; iroh punches, goes direct " +
    'and follows a change by itself, told only its reflexive address (as QUIC address discovery would).',
  notes: [
    "The bench's iroh relay speaks iroh's relay protocol over HTTP without QUIC address discovery; the intermediate's " +
      'reflector tells each peer its reflexive address instead, at start and on every network change iroh reports (docs/strategies.md "iroh").',
  ],
  intermediate,
  answerer,
  mobile,
};
export default strategy;
