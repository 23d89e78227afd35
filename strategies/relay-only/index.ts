// relay-only (baseline): audio always goes through the intermediate's relay (TURN-like), never
// direct. A change needs nothing but the mobile's control connection following it: QUIC migrates
// it passively on the intermediate as soon as the mobile sends from the new address, which the
// mobile makes happen at once by signalling the change (netlink or silence).
import type { RoleContext, Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { ChangeDetector, LIVENESS_OPTION } from '../shared/netwatch.ts';
import { aborted, PeerSocket } from '../shared/peer.ts';
import { ControlClient } from '../shared/control.ts';
import { AudioReceiver, relayRoute, streamAudio, twoWay } from '../shared/streaming.ts';

async function answerer(ctx: RoleContext): Promise<void> {
  const ps = new PeerSocket();
  await ps.start();
  const control = await ControlClient.connect(ctx, ps, 'answerer');
  let paired = false;
  control.on('peer', () => { if (!paired) { paired = true; ctx.log.log('path', { state: 'relay' }); } });
  const back = twoWay(ctx) ? new AudioReceiver(ctx, {}, 'received.answerer.wav') : null;
  control.on('relay', (payload: Buffer) => back?.accept(payload, 'relay'));
  const relay = relayRoute(control);
  const audio = streamAudio(ctx, () => (paired ? relay : null));
  ctx.report('ready');
  await aborted(ctx.signal);
  audio.stop();
  await back?.finish();
  await control.close();
  await ps.stop();
}

async function mobile(ctx: RoleContext): Promise<void> {
  const ps = new PeerSocket();
  await ps.start();
  const control = await ControlClient.connect(ctx, ps, 'mobile');
  const detector = new ChangeDetector(ctx, (via) => control.send({ type: 'address-change', reason: via }));
  const audio = new AudioReceiver(ctx, { first: () => detector.audioStarted(), alive: () => detector.alive() });
  control.on('relay', (payload: Buffer) => audio.accept(payload, 'relay'));
  const relay = relayRoute(control);
  const outgoing = twoWay(ctx) ? streamAudio(ctx, () => relay) : null;
  await detector.start();
  ctx.report('ready');
  await aborted(ctx.signal);
  outgoing?.stop();
  detector.stop();
  await audio.finish();
  await control.close();
  await ps.stop();
}

const strategy: Strategy = {
  name: 'relay-only',
  describe: 'Baseline: audio always through the intermediate\'s relay (TURN-like), never direct; ' +
    'shows the latency and relay cost of never going direct.',
  options: LIVENESS_OPTION,
  intermediate: runIntermediate,
  answerer,
  mobile,
};
export default strategy;
