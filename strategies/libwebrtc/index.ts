// libwebrtc: the WebRTC of Chrome, Meet, Teams and Whereby (libwebrtc M106 through @roamhq/wrtc
// 0.10.0, wrapped, never patched). One PeerConnection for the whole run; audio on an unordered,
// maxRetransmits 0 data channel; STUN and TURN from the bench's coturn; offers, answers and trickled
// candidates through the intermediate. On a change the mobile (the offerer) calls restartIce() and
// re-negotiates — when the app hears the OS (`trigger=app`, as `ice-restart` does), when libwebrtc's
// own ICE state says disconnected/failed (`trigger=ice`, a web page without network events), or never
// (`trigger=none`: libwebrtc alone). The timers each trigger waits on are in docs/strategies.md "libwebrtc".
import type { RoleContext, Strategy } from '../contract.ts';
import { Signals } from '../shared/control.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import {
  appDetector, countingStunUpkeep, genOf, intermediateWithTurn, WEBRTC_OPTIONS } from '../shared/webrtc.ts';
import { LibWebRtcPeer, type LibWebRtcSignals } from './peer.ts';
import { TrackReceiver, TrackSender } from './track.ts';
import { Offerer } from './offerer.ts';
import { DefaultUplinkOnly, PORT_RANGE } from './uplinks.ts';

async function answerer(ctx: RoleContext): Promise<void> {
  const rendezvous = await openPeer(ctx, 'answerer', { relay: false });   // WebRTC has its own sockets
  const signals = new Signals<LibWebRtcSignals>(rendezvous.control);
  const track = ctx.option('media') === 'track';
  const peer = new LibWebRtcPeer(ctx, signals, () => {}, undefined, !track);
  let answering = Promise.resolve();
  signals.on('sdp', (offer) => {
    answering = answering.then(async () => {
      const gen = genOf(offer);
      if (gen < peer.gen) return;   // an offer overtaken by a newer one
      peer.gen = gen;
      await peer.setRemote(gen, { type: 'offer', sdp: offer.sdp });
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      signals.send('sdp', { gen, sdp: peer.pc.localDescription!.sdp, type: 'answer' });
    }).catch((e: Error) => ctx.log.log('error', { message: `answer: ${e.message}` }));
  });
  signals.on('candidate', (c) => void peer.addCandidate(c));
  const send = (frame: Buffer) => { try { peer.channel?.send(frame as Uint8Array<ArrayBuffer>); } catch { /* closing: lost */ } };
  const audio = track ? new TrackSender(ctx, peer.pc, () => peer.path, (a) => signals.send('rtp', a))
    : streamAudio(ctx, (): AudioRoute | null => (peer.open && peer.path ? { path: peer.path, send } : null));
  await holdPeer(ctx, rendezvous, { stop: [audio], close: () => peer.close() });
}

async function mobile(ctx: RoleContext): Promise<void> {
  const rendezvous = await openPeer(ctx, 'mobile', { relay: false });
  const { control } = rendezvous;
  const signals = new Signals<LibWebRtcSignals>(control);
  const trigger = ctx.option('trigger');
  const uplinks = ctx.option('uplinks') === 'default'
    ? new DefaultUplinkOnly(ctx.intermediate.addrs[0]!, (blocked) => ctx.log.logOther('uplinks.blocked', { blocked }),
      (e) => ctx.log.log('error', { message: `uplinks: ${e.message}` })) : null;
  await uplinks?.start();   // before the PeerConnection gathers
  // the app restarts once the OS has moved the app to its new default network
  const detector = appDetector(ctx, () => void (uplinks?.sync() ?? Promise.resolve()).then(() => offerer.negotiate(true)));
  const track = ctx.option('media') === 'track';
  const peer = new LibWebRtcPeer(ctx, signals, () => { if (trigger !== 'none') void offerer.negotiate(true); }, uplinks ? PORT_RANGE : undefined, !track);
  const offerer = new Offerer(ctx, peer, signals, trigger !== 'none');
  const hooks = { first: () => detector?.audioStarted(), alive: () => detector?.alive() };
  let audio: AudioReceiver | TrackReceiver;
  if (track) {
    const receiver = audio = new TrackReceiver(ctx, peer.pc, () => peer.path, hooks);
    signals.on('rtp', (a) => receiver.anchor(a));
    let connected = false;   // DTLS once: a restart keeps it
    peer.pc.onconnectionstatechange = () => {
      if (connected || peer.pc.connectionState !== 'connected') return;
      connected = true;
      ctx.log.log('handshake.ok', { remote: 'libwebrtc', with: 'peer' });
    };
  } else {
    const receiver = audio = new AudioReceiver(ctx, hooks);
    peer.channel!.onmessage = (e) => receiver.accept(new Uint8Array(e.data as ArrayBuffer), peer.path ?? 'direct');
    peer.channel!.onopen = () => ctx.log.log('handshake.ok', { remote: 'libwebrtc', with: 'peer' });
  }

  signals.on('candidate', (c) => void peer.addCandidate(c));
  const onPeer = () => offerer.paired();
  control.on('peer', onPeer);
  if (control.peer) onPeer();
  await detector?.start();
  await holdPeer(ctx, rendezvous, { stop: [detector, offerer, track ? (audio as TrackReceiver) : null], audio,
    close: () => { peer.close(); return uplinks?.stop(); } });
}

const strategy: Strategy = {
  name: 'libwebrtc',
  describe: "Chrome's WebRTC (libwebrtc M106 through @roamhq/wrtc), one PeerConnection for the run: on a change " +
    'the mobile restarts ICE (restartIce) and re-negotiates through the intermediate, when the app hears the OS, ' +
    "when libwebrtc's ICE state says so, or never; DTLS and the data channel survive.",
  options: {
    ...WEBRTC_OPTIONS,
    trigger: {
      describe: 'what calls restartIce(): app (netlink/liveness, and the ICE state), ice (the ICE state only, as a web page ' +
        'without network events) or none (libwebrtc alone, no restart)', default: 'app', values: ['app', 'ice', 'none'],
    },
    media: {
      describe: "the call's audio: datachannel (the bench's Opus frames on an unordered, unreliable data channel) or track " +
        "(a libwebrtc audio track: its Opus, NetEQ's playout as received.wav, its concealment counters as rtc.audio)",
      default: 'datachannel', values: ['datachannel', 'track'],
    },
    uplinks: {
      describe: "the mobile's networks libwebrtc may use: default (the default route's, as a phone's OS gives an app; " +
        'the others dropped in its namespace) or all (every interface, libwebrtc on a Linux host)', default: 'default', values: ['default', 'all'],
    },
  },
  notes: [
    '@roamhq/wrtc 0.10.0 (libwebrtc M106) has no continual-gathering switch: candidates are gathered once per ICE ' +
      'generation, and libwebrtc re-reads the interface list every 2 s (docs/strategies.md "libwebrtc").',
    'Here libwebrtc cannot tell Wi-Fi from cellular (no network monitor on Linux; both uplinks cost 50) and with uplinks=all ranks ' +
      'cellular first, so its call is not on Wi-Fi when a Wi-Fi event hits; the default, uplinks=default, gives it the default ' +
      'route only, as a phone OS gives an app (docs/strategies.md "libwebrtc").',
  ],
  intermediate: intermediateWithTurn,
  answerer: countingStunUpkeep(answerer),
  mobile: countingStunUpkeep(mobile),
};
export default strategy;
