// relay-only (baseline): audio always goes through the intermediate's relay (TURN-like), never
// direct. A change needs nothing but the mobile's control connection following it: QUIC migrates
// it passively on the intermediate as soon as the mobile sends from the new address, which the
// mobile makes happen at once by signalling the change (netlink or silence).
import type { RoleContext, Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { ChangeDetector, LIVENESS_OPTION } from '../shared/netwatch.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, relayRoute, streamAudio, twoWay } from '../shared/streaming.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';

async function answerer(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'answerer');
  const { control } = peer;
  let paired = false;
  control.on('peer', () => { if (!paired) { paired = true; ctx.log.log('path', { state: 'relay' }); } });
  const back = twoWay(ctx) ? new AudioReceiver(ctx, {}, 'received.answerer.wav') : null;
  control.on('relay', (payload: Buffer) => back?.accept(payload, 'relay'));
  const relay = relayRoute(control);
  const audio = streamAudio(ctx, () => (paired ? relay : null));
  await holdPeer(ctx, peer, { stop: [audio], audio: back });
}

async function mobile(ctx: RoleContext): Promise<void> {
  const peer = await openPeer(ctx, 'mobile');
  const { control } = peer;
  const detector = new ChangeDetector(ctx, (via) => control.send({ type: 'address-change', reason: via }));
  const audio = new AudioReceiver(ctx, { first: () => detector.audioStarted(), alive: () => detector.alive() });
  control.on('relay', (payload: Buffer) => audio.accept(payload, 'relay'));
  const relay = relayRoute(control);
  const outgoing = twoWay(ctx) ? streamAudio(ctx, () => relay) : null;
  await detector.start();
  await holdPeer(ctx, peer, { stop: [outgoing, detector], audio });
}

const strategy: Strategy = {
  name: 'relay-only',
  needsIpv4: controlNeedsIpv4,
  describe: 'Baseline: audio always through the intermediate\'s relay (TURN-like), never direct; ' +
    'shows the latency and relay cost of never going direct.',
  options: { ...LIVENESS_OPTION, ...FAMILY_OPTION },
  intermediate: runIntermediate,
  answerer,
  mobile,
};
export default strategy;
