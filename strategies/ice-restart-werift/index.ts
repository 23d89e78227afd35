// ice-restart-werift: WebRTC with werift (pure TypeScript), which has a real ICE restart: on a
// change the mobile (offerer) calls restartIce() and re-negotiates through the intermediate; ICE
// gathers and checks again under new credentials while DTLS and SCTP — and so the data channel —
// survive. One PeerConnection, one DTLS handshake for the whole run.
//
// werift 0.24.4 (the last release for Node 20) needs three workarounds, each found in its source:
// - after a restart it never starts connectivity checks (PeerConnection.connect() returns early
//   while DTLS is connected): both sides call iceTransport.start() once the new offer/answer is applied;
// - `maxRetransmits: 0` is taken as fully reliable (`!!0` in sctp.ts): 1 is used, the smallest
//   that really abandons a lost message;
// - the DCEP open drops the unordered flag: the channel is negotiated (same id and options on
//   both sides), so no DCEP open is needed.
// A restart re-gathers host and relay candidates but not server-reflexive ones for sockets it
// already has, so behind NATs it tends to land on TURN (docs/strategies.md).
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import type { RoleContext, Strategy } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { Signals } from '../shared/control.ts';
import { controlNeedsIpv4, familyOf } from '../shared/family.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { TURN_PORT } from '../shared/turn.ts';
import { logDtlsKeys } from './dtls-keys.ts';
import {
  appDetector, countingStunUpkeep, genOf, icePolicy, iceStateSays, intermediateWithTurn, logPair, WEBRTC_OPTIONS, type SdpSignal } from '../shared/webrtc.ts';

const PAIR_POLL_MS = 50;   // werift has no event for a change of the selected pair

/** The PeerConnection with its negotiated audio channel and the selected pair as a path. */
class Peer {
  readonly pc: RTCPeerConnection;
  readonly channel: RTCDataChannel;
  gen = 0;
  path: PathKind | null = null;   // null: no nominated pair (werift silently drops what is sent then)
  private lastPair = '';
  private readonly poll: NodeJS.Timeout;
  constructor(private readonly ctx: RoleContext, onIceTrouble: () => void) {
    const host = ctx.intermediate.addrs[0];
    const p = ctx.pairings[0]!;
    this.pc = new RTCPeerConnection({
      iceServers: [{ urls: `stun:${host}:${TURN_PORT}` },
        { urls: `turn:${host}:${TURN_PORT}?transport=udp`, username: p.id, credential: p.secret }],
      iceUseIpv6: familyOf(ctx) === 'dual', iceTransportPolicy: icePolicy(ctx),
    });
    this.channel = this.pc.createDataChannel('audio', { ordered: false, maxRetransmits: 1, negotiated: true, id: 0 });
    logDtlsKeys(this.pc);
    this.pc.iceConnectionStateChange.subscribe((state) => { if (iceStateSays(ctx, this.gen, state)) onIceTrouble(); });
    this.poll = setInterval(() => this.readPair(), PAIR_POLL_MS);
  }
  private readPair(): void {
    const n = this.pc.iceTransports[0]?.connection.nominated;
    const key = n ? `${n.localCandidate.type} ${n.localCandidate.host}:${n.localCandidate.port} ${n.remoteCandidate.host}:${n.remoteCandidate.port}` : '';
    if (key === this.lastPair) return;
    this.lastPair = key;
    const was = this.path;
    this.path = n ? logPair(this.ctx, this.gen, { type: n.localCandidate.type, address: n.localCandidate.host, port: n.localCandidate.port },
      { type: n.remoteCandidate.type, address: n.remoteCandidate.host, port: n.remoteCandidate.port }) : null;
    if (this.ctx.role === 'answerer' && this.path !== was) this.ctx.log.log('path', { state: this.path ?? 'none' });
  }
  /** After a restart's offer/answer is applied: start the checks werift would not start itself. */
  kickIce(): void {
    if (this.gen > 0) for (const t of this.pc.iceTransports) void t.start().catch(() => {});
  }
  get open(): boolean { return this.channel.readyState === 'open'; }
  async close(): Promise<void> {
    clearInterval(this.poll);
    await this.pc.close().catch(() => {});
  }
}

async function answerer(ctx: RoleContext): Promise<void> {
  const rendezvous = await openPeer(ctx, 'answerer', { relay: false });   // WebRTC has its own sockets
  const { control } = rendezvous;
  const peer = new Peer(ctx, () => {});
  const signals = new Signals<{ sdp: SdpSignal }>(control);
  signals.on('sdp', (offer) => {
    void (async () => {
      peer.gen = genOf(offer);
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());   // resolves once gathered
      signals.send('sdp', { gen: peer.gen, sdp: peer.pc.localDescription!.sdp, type: 'answer' });
      peer.kickIce();
    })().catch((e) => ctx.log.log('error', { message: `answer: ${(e as Error).message}` }));
  });
  const send = (frame: Buffer) => { try { peer.channel.send(frame); } catch { /* closed */ } };
  const audio = streamAudio(ctx, (): AudioRoute | null => (peer.open && peer.path ? { path: peer.path, send } : null));
  await holdPeer(ctx, rendezvous, { stop: [audio], close: () => peer.close() });
}

async function mobile(ctx: RoleContext): Promise<void> {
  const rendezvous = await openPeer(ctx, 'mobile', { relay: false });
  const { control } = rendezvous;
  const detector = appDetector(ctx, () => void negotiate(true));
  const peer = new Peer(ctx, () => void negotiate(true));
  const audio = new AudioReceiver(ctx, { first: () => detector?.audioStarted(), alive: () => detector?.alive() });
  peer.channel.onMessage.subscribe((data) => { if (typeof data !== 'string') audio.accept(data, peer.path ?? 'direct'); });
  peer.channel.stateChanged.subscribe((state) => {
    if (state === 'open') ctx.log.log('handshake.ok', { remote: 'webrtc', with: 'peer' });
  });

  let answered: ((sdp: string) => void) | null = null;
  const signals = new Signals<{ sdp: SdpSignal }>(control);
  signals.on('sdp', (answer) => { if (genOf(answer) === peer.gen) answered?.(answer.sdp); });
  /** The first offer, or an ICE restart: new credentials, new candidates, same DTLS and channel. */
  let busy = false;
  let again = false;
  async function negotiate(restart: boolean): Promise<void> {
    if (busy) { again = restart; return; }
    busy = true;
    try {
      do {
        again = false;
        if (restart) { peer.gen++; ctx.log.logOther('ice.restart', { gen: peer.gen }); peer.pc.restartIce(); }
        else ctx.log.log('handshake.start', { remote: 'webrtc', with: 'peer' });
        await peer.pc.setLocalDescription(await peer.pc.createOffer());   // resolves once gathered
        const answer = new Promise<string>((r) => { answered = r; });
        signals.send('sdp', { gen: peer.gen, sdp: peer.pc.localDescription!.sdp, type: 'offer' });
        await peer.pc.setRemoteDescription({ type: 'answer', sdp: await answer });
        peer.kickIce();
        restart = true;
      } while (again && !ctx.signal.aborted);
    } catch (e) {
      ctx.log.log('error', { message: `negotiate: ${(e as Error).message}` });
    } finally {
      busy = false;
    }
  }
  const onPeer = () => { if (peer.gen === 0 && !busy && !peer.open) void negotiate(false); };
  control.on('peer', onPeer);
  if (control.peer) onPeer();
  await detector?.start();
  await holdPeer(ctx, rendezvous, { stop: [detector], audio, close: () => peer.close() });
}

const strategy: Strategy = {
  name: 'ice-restart-werift',
  needsIpv4: controlNeedsIpv4,
  describe: 'WebRTC with werift (pure TypeScript), which restarts ICE for real: on a change the ' +
    'mobile re-negotiates new ICE credentials through the intermediate; DTLS and the data channel survive.',
  options: WEBRTC_OPTIONS,
  notes: [
    'Performs a real restartIce; werift 0.24.4 gathers once per ICE generation, never replaces a nominated pair and has no ' +
      'renomination, so it cannot make-before-break (docs/strategies.md "No ice-continual").',
  ],
  intermediate: intermediateWithTurn,
  answerer: countingStunUpkeep(answerer),
  mobile: countingStunUpkeep(mobile),
};
export default strategy;
