// The WebRTC app's two roles, on whichever stack runs the PeerConnection: libwebrtc through
// @roamhq/wrtc (index.ts) or a browser's (strategies/chromium/). The answerer answers every offer
// (a newer one overtakes an older); the mobile offers, and restarts ICE as its `trigger` says
// (offerer.ts). The audio is the bench's frames on the data channel, or, where the stack has an audio
// source and sink of its own, a real track (`media=track`, track.ts).
import type { RoleContext, Strategy, StrategyOption } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { Signals } from '../shared/control.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { appDetector, countingStunUpkeep, genOf, intermediateWithTurn } from '../shared/webrtc.ts';
import { LibWebRtcPeer, rtcConfig, type LibWebRtcSignals, type PeerConnection } from './peer.ts';
import type { Anchor } from './rtp-frames.ts';
import type { TrackHooks } from './track.ts';
import { Offerer } from './offerer.ts';

/** A role's PeerConnection as the stack opened it. */
export interface OpenedPc {
  pc: PeerConnection;
  /** Before the app restarts ICE (libwebrtc: the mobile's usable uplinks follow the default route). */
  beforeRestart?: () => Promise<void>;
  close(): Promise<void> | void;
  /** `media=track`'s ends, where the stack has them. */
  track?: {
    sender(path: () => PathKind | null, anchor: (a: Anchor) => void): { stop(): void };
    receiver(path: () => PathKind | null, hooks: TrackHooks): TrackEnd;
  };
}
interface TrackEnd { stop(): void; finish(): Promise<void>; anchor(a: Anchor): void }

export interface WebRtcStack {
  /** The name handshakes are logged with. */
  remote: string;
  open(ctx: RoleContext, config: RTCConfiguration): Promise<OpenedPc>;
}

/** What calls restartIce(), on either stack; `alone`: who acts without a restart. */
export const triggerOption = (alone: string): StrategyOption => ({
  describe: 'what calls restartIce(): app (netlink/liveness, and the ICE state), ice (the ICE state only, as a web page ' +
    `without network events) or none (${alone} alone, no restart)`, default: 'app', values: ['app', 'ice', 'none'],
});

/** The three roles of a WebRTC app on `stack`: coturn beside the intermediate, the peers' STUN counted as upkeep. */
export const webrtcRoles = (stack: WebRtcStack): Pick<Strategy, 'intermediate' | 'answerer' | 'mobile'> => ({
  intermediate: intermediateWithTurn,
  answerer: countingStunUpkeep(answerer(stack)),
  mobile: countingStunUpkeep(mobile(stack)),
});

/** A stack with track ends declares the `media` option; the others carry the frames on the channel. */
const wantsTrack = (ctx: RoleContext, opened: OpenedPc): boolean => opened.track !== undefined && ctx.option('media') === 'track';

export function answerer(stack: WebRtcStack) {
  return async (ctx: RoleContext): Promise<void> => {
    const opened = await stack.open(ctx, rtcConfig(ctx));   // first: an offer may come as soon as the peers pair
    const rendezvous = await openPeer(ctx, 'answerer', { relay: false });   // WebRTC has its own sockets
    const signals = new Signals<LibWebRtcSignals>(rendezvous.control);
    const track = wantsTrack(ctx, opened);
    const peer = new LibWebRtcPeer(ctx, signals, () => {}, opened.pc, !track);
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
    const audio = track ? opened.track!.sender(() => peer.path, (a) => signals.send('rtp', a))
      : streamAudio(ctx, (): AudioRoute | null => (peer.open && peer.path ? { path: peer.path, send } : null));
    await holdPeer(ctx, rendezvous, { stop: [audio], close: () => { peer.close(); return opened.close(); } });
  };
}

export function mobile(stack: WebRtcStack) {
  return async (ctx: RoleContext): Promise<void> => {
    const opened = await stack.open(ctx, rtcConfig(ctx));
    const rendezvous = await openPeer(ctx, 'mobile', { relay: false });
    const { control } = rendezvous;
    const signals = new Signals<LibWebRtcSignals>(control);
    const trigger = ctx.option('trigger');
    const track = wantsTrack(ctx, opened);
    // the app restarts once the OS has moved the app to its new default network
    const detector = appDetector(ctx, () => void (opened.beforeRestart?.() ?? Promise.resolve()).then(() => offerer.negotiate(true)));
    const peer = new LibWebRtcPeer(ctx, signals, () => { if (trigger !== 'none') void offerer.negotiate(true); }, opened.pc, !track);
    const offerer = new Offerer(ctx, peer, signals, trigger !== 'none', stack.remote);
    const hooks = { first: () => detector?.audioStarted(), alive: () => detector?.alive() };
    let audio: AudioReceiver | TrackEnd;
    if (track) {
      const receiver = audio = opened.track!.receiver(() => peer.path, hooks);
      signals.on('rtp', (a) => receiver.anchor(a));
      let connected = false;   // DTLS once: a restart keeps it
      peer.pc.onconnectionstatechange = () => {
        if (connected || peer.pc.connectionState !== 'connected') return;
        connected = true;
        ctx.log.log('handshake.ok', { remote: stack.remote, with: 'peer' });
      };
    } else {
      const receiver = audio = new AudioReceiver(ctx, hooks);
      peer.channel!.onmessage = (e) => receiver.accept(new Uint8Array(e.data as ArrayBuffer), peer.path ?? 'direct');
      peer.channel!.onopen = () => ctx.log.log('handshake.ok', { remote: stack.remote, with: 'peer' });
    }

    signals.on('candidate', (c) => void peer.addCandidate(c));
    const onPeer = () => offerer.paired();
    control.on('peer', onPeer);
    if (control.peer) onPeer();
    await detector?.start();
    await holdPeer(ctx, rendezvous, { stop: [detector, offerer, track ? (audio as TrackEnd) : null], audio,
      close: () => { peer.close(); return opened.close(); } });
  };
}
