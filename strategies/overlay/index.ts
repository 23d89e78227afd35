// overlay — the QUIC connection never breaks. One P2P QUIC connection for the whole run, on a
// path layer (strategies/shared/paths.ts) that carries its packets direct or through the
// intermediate's relay. On a change the mobile moves to the relay at once (netlink or silence) and
// signals the intermediate; the answerer, told the mobile's new address, moves to the relay too;
// both re-punch, and the first punch heard puts the same connection back on the direct path.
// No new handshake, no stream restart: `handshakes` stays 1.
import type { QUICConnection } from '@matrixai/quic';
import type { RoleContext, Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { ChangeDetector, LIVENESS_OPTION } from '../shared/netwatch.ts';
import { PathLayer } from '../shared/paths.ts';
import type { PeerInfo } from '../shared/control.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { attachDatagrams, type Datagrams } from '../shared/quic-datagrams.ts';
import { targetsOf } from '../shared/repunch.ts';
import { AudioReceiver, directRoute, streamAudio, twoWay, type AudioRoute } from '../shared/streaming.ts';

/** The audio route over the layer: QUIC DATAGRAMs on the one connection, logged on the layer's path. */
const overLayer = (layer: PathLayer, datagrams: Datagrams): AudioRoute => {
  const route = directRoute(datagrams);
  return { get path() { return layer.path; }, send: route.send };
};

async function answerer(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'answerer');
  const { ps, control } = peer;
  const layer = await PathLayer.open(ctx, ps, control, (path) => ctx.log.log('path', { state: path }));
  const back = twoWay(ctx) ? new AudioReceiver(ctx, {}, 'received.answerer.wav') : null;
  let route: AudioRoute | null = null;
  let conn: QUICConnection | null = null;
  const server = await layer.serve((c) => {
    ctx.log.log('handshake.ok', { remote: 'overlay', with: 'peer' });
    conn = c;
    route = overLayer(layer, attachDatagrams(c, (d) => back?.accept(d, layer.arrivedVia)));
    ctx.log.log('path', { state: layer.path });
  });
  const onPeer = (info: PeerInfo) => {
    if (info.changed) layer.useRelay();   // the mobile moved: its old address is a black hole
    layer.punch(targetsOf(info));
  };
  control.on('peer', onPeer);
  if (control.peer) onPeer(control.peer);
  const audio = streamAudio(ctx, () => route);
  await holdPeer(ctx, peer, {
    stop: [audio], audio: back,
    close: async () => {
      await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
      await server.stop({ force: true }).catch(() => {});
      await layer.close();
    },
  });
}

async function mobile(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'mobile');
  const { ps, control } = peer;
  const layer = await PathLayer.open(ctx, ps, control);
  const detector = new ChangeDetector(ctx, (via) => {
    layer.useRelay();
    control.send({ type: 'address-change', reason: via });   // the answerer answers with a fresh `peer`
  });
  const audio = new AudioReceiver(ctx, { first: () => detector.audioStarted(), alive: () => detector.alive() });
  const onPeer = (info: PeerInfo) => layer.punch(targetsOf(info));
  control.on('peer', onPeer);
  if (control.peer) onPeer(control.peer);
  // The one connection: dialled as soon as the answerer is known, over the relay if no punch has
  // succeeded yet; retried only if it cannot be made at all.
  let route: AudioRoute | null = null;
  let conn: QUICConnection | null = null;
  const connect = async () => {
    conn = await layer.connect(ctx, 'overlay');
    if (!conn) return;
    route = overLayer(layer, attachDatagrams(conn, (d) => audio.accept(d, layer.arrivedVia)));
    conn.addEventListener('EventQUICConnectionStopped', () => {
      if (!ctx.signal.aborted) ctx.log.log('error', { message: 'the overlay connection closed' });
    }, { once: true });
  };
  if (control.peer) void connect(); else control.once('peer', () => void connect());
  const outgoing = twoWay(ctx) ? streamAudio(ctx, () => route) : null;
  await detector.start();
  await holdPeer(ctx, peer, {
    stop: [outgoing, detector], audio,
    close: async () => {
      await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
      await layer.close();
    },
  });
}

const strategy: Strategy = {
  name: 'overlay',
  needsIpv4: controlNeedsIpv4,
  describe: 'One QUIC connection for the whole run on a path layer (direct or relayed packets): on a ' +
    'change it moves to the relay at once, re-punches and returns to direct — no new handshake.',
  options: { ...LIVENESS_OPTION, ...FAMILY_OPTION },
  intermediate: runIntermediate,
  answerer,
  mobile,
};
export default strategy;
