// One libwebrtc RTCPeerConnection for the whole run, as a browser app keeps one: STUN and TURN from the
// bench's coturn, trickled candidates tagged with the ICE generation (a restart starts a new one), the
// audio data channel negotiated on both sides (no DCEP round trip), and the selected candidate pair
// read from getStats() — this binding's RTCIceTransport.getSelectedCandidatePair() throws "Not yet
// implemented", and a getStats() costs ≈ 0.4 ms here (docs/strategies.md "libwebrtc").
import type { RoleContext } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import type { Signals } from '../shared/control.ts';
import { TURN_PORT } from '../shared/turn.ts';
import { icePolicy, iceStateSays, logPair, type SdpSignal } from '../shared/webrtc.ts';
import type { Anchor } from './rtp-frames.ts';

export interface CandidateSignal { gen: number; candidate: string; mid: string | null; mline: number | null }
/** `rtp`: media=track's packet → frame anchors (rtp-frames.ts), the bench's measurement. */
export type LibWebRtcSignals = { sdp: SdpSignal; candidate: CandidateSignal; rtp: Anchor };

/** How often the selected pair is read: a pair change shows on the timeline within this. */
const PAIR_POLL_MS = 50;

type StatsEntry = { type: string; [k: string]: unknown };

/** What the app uses of a PeerConnection: libwebrtc's own (@roamhq/wrtc, index.ts) or a browser's
 *  (strategies/chromium/page-peer.ts), so that one app runs on either stack. */
export type PeerConnection = Pick<RTCPeerConnection, 'localDescription' | 'iceConnectionState' | 'connectionState' | 'onicecandidate' |
  'oniceconnectionstatechange' | 'onconnectionstatechange' | 'setLocalDescription' | 'setRemoteDescription' | 'addIceCandidate' |
  'restartIce' | 'close'> & {
  createOffer(): Promise<RTCSessionDescriptionInit>;
  createAnswer(): Promise<RTCSessionDescriptionInit>;
  getStats(): Promise<RTCStatsReport>;
  createDataChannel(label: string, init: RTCDataChannelInit): DataChannel;
};
export type DataChannel = Pick<RTCDataChannel, 'binaryType' | 'readyState' | 'onmessage' | 'onopen' | 'close'> & { send(data: Uint8Array<ArrayBuffer>): void };

/** The bench's coturn for STUN and TURN (the pairing's credentials), the `relayOnly` policy;
 *  everything else at the stack's defaults. */
export function rtcConfig(ctx: RoleContext): RTCConfiguration {
  const host = ctx.intermediate.addrs[0];
  const p = ctx.pairings[0]!;
  return {
    iceServers: [{ urls: `stun:${host}:${TURN_PORT}` },
      { urls: `turn:${host}:${TURN_PORT}?transport=udp`, username: p.id, credential: p.secret }],
    iceTransportPolicy: icePolicy(ctx),
  };
}

export class LibWebRtcPeer {
  /** The audio data channel (`media=datachannel`); null when the audio is a track. */
  readonly channel: DataChannel | null;
  /** This side's ICE generation: 0, then one more per restart (the mobile's offers set it). */
  gen = 0;
  /** The generation whose remote description is applied; candidates of a later one wait for it. */
  private remoteGen = -1;
  private waiting: CandidateSignal[] = [];
  path: PathKind | null = null;   // null: no selected pair yet
  private lastPair = '';
  private readonly poll: NodeJS.Timeout;
  /** `pc`: made with rtcConfig(ctx) by the stack. */
  constructor(private readonly ctx: RoleContext, signals: Signals<LibWebRtcSignals>, onIceTrouble: () => void,
    readonly pc: PeerConnection, channel = true) {
    this.channel = channel ? this.pc.createDataChannel('audio', { ordered: false, maxRetransmits: 0, negotiated: true, id: 0 }) : null;
    if (this.channel) this.channel.binaryType = 'arraybuffer';
    this.pc.onicecandidate = (e) => {
      if (e.candidate) ctx.log.logOther('ice.local', { gen: this.gen, candidate: e.candidate.candidate });
      if (e.candidate) signals.send('candidate', { gen: this.gen, candidate: e.candidate.candidate, mid: e.candidate.sdpMid, mline: e.candidate.sdpMLineIndex });
    };
    this.pc.oniceconnectionstatechange = () => { if (iceStateSays(ctx, this.gen, this.pc.iceConnectionState)) onIceTrouble(); };
    this.poll = setInterval(() => void this.readPair().catch(() => {}), PAIR_POLL_MS);
  }

  /** Applies the other side's description of generation `gen`, then the candidates that came early. */
  async setRemote(gen: number, init: RTCSessionDescriptionInit): Promise<void> {
    await this.pc.setRemoteDescription(init);
    this.remoteGen = gen;
    const now = this.waiting.filter((c) => c.gen === gen);
    this.waiting = this.waiting.filter((c) => c.gen > gen);
    for (const c of now) await this.addCandidate(c);
  }
  /** A trickled candidate: stale generations are dropped, later ones wait for their description. */
  async addCandidate(c: CandidateSignal): Promise<void> {
    if (c.gen < this.remoteGen) return;
    if (c.gen > this.remoteGen) { this.waiting.push(c); return; }
    await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.mid, sdpMLineIndex: c.mline })
      .catch((e: Error) => this.ctx.log.logOther('ice.candidate.rejected', { gen: c.gen, message: e.message }));
  }

  private async readPair(): Promise<void> {
    const stats = await this.pc.getStats() as unknown as Map<string, StatsEntry>;   // RTCStatsReport is one
    const transport = [...stats.values()].find((s) => s.type === 'transport');
    const pair = stats.get(String(transport?.selectedCandidatePairId));
    const changes = Number(transport?.selectedCandidatePairChanges ?? 0);
    const local = stats.get(String(pair?.localCandidateId)), remote = stats.get(String(pair?.remoteCandidateId));
    const key = local && remote ? `${String(local.id)} ${String(remote.id)}` : '';
    if (key === this.lastPair) return;
    this.lastPair = key;
    const was = this.path;
    const info = (c: StatsEntry) => ({ type: String(c.candidateType), address: String(c.address), port: Number(c.port) });
    this.path = local && remote ? logPair(this.ctx, this.gen, info(local), info(remote), { changes }) : null;
    if (this.ctx.role === 'answerer' && this.path !== was) this.ctx.log.log('path', { state: this.path ?? 'none' });
  }

  get open(): boolean { return this.channel?.readyState === 'open'; }
  /** Always close: the binding's cleanup at exit aborted before 0.10.0 (docs/strategies.md "libwebrtc"). */
  close(): void {
    clearInterval(this.poll);
    try { this.channel?.close(); this.pc.close(); } catch { /* already closed */ }
  }
}
