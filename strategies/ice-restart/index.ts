// ice-restart: WebRTC with node-datachannel (libdatachannel + libjuice). Audio on an unordered,
// maxRetransmits 0 data channel; STUN and TURN from a real coturn on the intermediate host;
// offers, answers and candidates travel through the intermediate's signalling.
//
// libdatachannel has no ICE restart (libdatachannel#545, open; libjuice rejects changed remote
// credentials: "ICE restart is not supported", agent.c). So, as its users do, a change is answered
// with a NEW PeerConnection negotiated through the intermediate — triggered by the app's own change
// detection (netlink/liveness, `--opt trigger=app`, default) and by the ICE state going
// disconnected/failed, or by the ICE state machine alone (`--opt trigger=ice`).
import nodeDataChannel, { type DataChannel, type PeerConnection } from 'node-datachannel';
import type { RoleContext, Strategy } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { Signals } from '../shared/control.ts';
import { controlNeedsIpv4 } from '../shared/family.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { AudioReceiver, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { TURN_PORT } from '../shared/turn.ts';
import {
  appDetector, countingStunUpkeep, genOf, icePolicy, iceStateSays, intermediateWithTurn, logPair, OPEN_TIMEOUT_MS, WEBRTC_OPTIONS, type SdpSignal } from '../shared/webrtc.ts';

interface CandidateSignal { gen: number; candidate: string; mid: string }
/** What the peers signal each other through the intermediate. */
type IceSignals = { sdp: SdpSignal; candidate: CandidateSignal };

/** One PeerConnection generation with its logging; the path is read from the selected pair. */
class Session {
  readonly pc: PeerConnection;
  /** Held here on purpose: a DataChannel whose JS wrapper is garbage-collected is closed by its
   *  destructor (node-datachannel), which made channels "randomly" never open. */
  channel: DataChannel | null = null;
  path: PathKind = 'direct';
  constructor(private readonly ctx: RoleContext, readonly gen: number, signals: Signals<IceSignals>,
    onIceTrouble: () => void) {
    this.pc = new nodeDataChannel.PeerConnection(`${ctx.role}-${gen}`, { iceServers: iceServers(ctx), iceTransportPolicy: icePolicy(ctx) });
    this.pc.onLocalDescription((sdp, type) => signals.send('sdp', { gen, sdp, type }));
    this.pc.onLocalCandidate((candidate, mid) => signals.send('candidate', { gen, candidate, mid }));
    this.pc.onIceStateChange((state) => {
      if (iceStateSays(ctx, gen, state)) onIceTrouble();
      if (state === 'connected' || state === 'completed') this.readPair();
    });
  }
  readPair(): void {
    const pair = this.pc.getSelectedCandidatePair();
    if (pair) this.path = logPair(this.ctx, this.gen, pair.local, pair.remote);
  }
  /** Applies a signal of this generation (others are stale or not yet this session's). */
  apply(s: { sdp: SdpSignal } | { candidate: CandidateSignal }): void {
    if ('sdp' in s) { if (genOf(s.sdp) === this.gen) this.pc.setRemoteDescription(s.sdp.sdp, s.sdp.type as 'offer' | 'answer'); }
    else if (genOf(s.candidate) === this.gen) this.pc.addRemoteCandidate(s.candidate.candidate, s.candidate.mid);
  }
  close(): void {
    try { this.channel?.close(); this.pc.close(); } catch { /* already closed */ }
  }
}

/** STUN and TURN (UDP) on the intermediate, in libdatachannel's form. */
function iceServers(ctx: RoleContext) {
  const host = ctx.intermediate.addrs[0];
  const p = ctx.pairings[0]!;
  return [`stun:${host}:${TURN_PORT}`, { hostname: host, port: TURN_PORT, username: p.id, password: p.secret, relayType: 'TurnUdp' as const }];
}

/** libdatachannel's own log, at the level `--opt rtcLog=` asks for, into the event log. */
function rtcLog(ctx: RoleContext): void {
  if (ctx.option('rtcLog') === 'None') return;
  nodeDataChannel.initLogger(ctx.option('rtcLog') as 'Warning',
    (level, message) => ctx.log.logOther('rtc.log', { level, message: message.slice(0, 500) }));
}

async function answerer(ctx: RoleContext): Promise<void> {
  rtcLog(ctx);
  const peer = await openPeer(ctx, 'answerer', { relay: false });   // WebRTC has its own sockets
  const { control } = peer;
  let session: Session | null = null;
  let channel: DataChannel | null = null;
  const signals = new Signals<IceSignals>(control);
  signals.on('sdp', (sdp) => {
    const gen = genOf(sdp);
    if (gen > (session?.gen ?? -1)) {   // a new generation: the mobile started over
      session?.close();
      channel = null;
      const s = new Session(ctx, gen, signals, () => {});
      session = s;
      s.pc.onDataChannel((dc) => {
        s.channel = dc;
        dc.onOpen(() => { channel = dc; s.readPair(); ctx.log.log('path', { state: s.path }); });
        if (dc.isOpen()) { channel = dc; s.readPair(); ctx.log.log('path', { state: s.path }); }
        dc.onClosed(() => { if (channel === dc) channel = null; });
      });
    }
    session?.apply({ sdp });
  });
  signals.on('candidate', (candidate) => session?.apply({ candidate }));
  // a send on a channel whose transport just broke throws (EPIPE: seen under wifi-fade); that frame
  // is lost, as on any dead path, and the role goes on
  const route: AudioRoute = { path: 'direct', send: (frame) => { try { channel?.sendMessageBinary(frame); } catch { /* lost */ } } };
  const audio = streamAudio(ctx, () => (channel?.isOpen() && session ? { ...route, path: session.path } : null));
  await holdPeer(ctx, peer, { stop: [audio], close: () => (session as Session | null)?.close() });   // no cleanup(): see mobile()
}

async function mobile(ctx: RoleContext): Promise<void> {
  rtcLog(ctx);
  const peer = await openPeer(ctx, 'mobile', { relay: false });
  const { control } = peer;
  const signals = new Signals<IceSignals>(control);
  let session: Session | null = null;
  let gen = 0;
  const detector = appDetector(ctx, () => restart());
  const audio = new AudioReceiver(ctx, { first: () => detector?.audioStarted(), alive: () => detector?.alive() });

  /** A new PeerConnection and data channel; the offer goes out through the intermediate. */
  function restart(): void {
    if (ctx.signal.aborted || !control.peer) return;
    session?.close();
    const s = new Session(ctx, gen++, signals, () => { if (s === session) restart(); });
    session = s;
    ctx.log.log('handshake.start', { remote: 'webrtc', with: 'peer' });
    const dc = s.pc.createDataChannel('audio', { unordered: true, maxRetransmits: 0 });
    s.channel = dc;
    const timeout = setTimeout(() => {
      if (s !== session || dc.isOpen()) return;
      ctx.log.logOther('handshake.failed', { with: 'peer', gen: s.gen, message: `data channel not open after ${OPEN_TIMEOUT_MS} ms` });
      restart();
    }, OPEN_TIMEOUT_MS);
    ctx.signal.addEventListener('abort', () => clearTimeout(timeout), { once: true });
    dc.onOpen(() => { clearTimeout(timeout); s.readPair(); ctx.log.log('handshake.ok', { remote: `webrtc gen ${s.gen}`, with: 'peer' }); });
    dc.onMessage((msg) => { if (s === session && typeof msg !== 'string') audio.accept(Buffer.from(msg as Buffer), s.path); });
  }

  signals.on('sdp', (sdp) => session?.apply({ sdp }));
  signals.on('candidate', (candidate) => session?.apply({ candidate }));
  control.on('peer', (info: { changed: boolean }) => { if (!session || info.changed) restart(); });
  if (control.peer && !session) restart();
  await detector?.start();
  // No nodeDataChannel.cleanup(): on the mobile it crashed (SIGSEGV/SIGABRT) or hung in most runs
  // once a second PeerConnection had been used (measured: 0 of 9 clean exits with it, 4 of 4 without);
  // the process exits right after this, and that frees everything.
  await holdPeer(ctx, peer, { stop: [detector], audio, close: () => (session as Session | null)?.close() });
}

const strategy: Strategy = {
  name: 'ice-restart',
  needsIpv4: controlNeedsIpv4,
  describe: 'WebRTC (node-datachannel/libdatachannel, coturn for STUN+TURN). libdatachannel cannot ' +
    'restart ICE, so a change brings a new PeerConnection negotiated through the intermediate.',
  options: {
    ...WEBRTC_OPTIONS,
    rtcLog: { describe: "libdatachannel's log level, into the event log as rtc.log", default: 'None', values: ['None', 'Fatal', 'Error', 'Warning', 'Info', 'Debug', 'Verbose'] },
  },
  notes: [
    'Builds a new PeerConnection per change: node-datachannel 0.33.4 (libdatachannel 0.24.5, libjuice) gathers candidates once, ' +
      'never nominates a second pair and refuses an ICE restart (libdatachannel issue #545, libjuice #130), so it can neither ' +
      'restart ICE nor make-before-break; make-before-break is compared as standby (docs/strategies.md "No ice-continual").',
  ],
  intermediate: intermediateWithTurn,
  answerer: countingStunUpkeep(answerer),
  mobile: countingStunUpkeep(mobile),
};
export default strategy;
