// A browser's RTCPeerConnection, driven from the role: the page holds the real one (Chromium's
// libwebrtc, its network handling, its ICE), and this proxy gives the libwebrtc strategy's app logic
// (strategies/libwebrtc/peer.ts, offerer.ts) the part of the standard API it uses, so the same app
// runs on either stack. Calls go in over the DevTools protocol in order; the page's events (ICE
// candidates, states, the channel's messages) come back as binding calls; the channel's binary
// messages cross as base64. A received frame is timed when the role hears of it: both crossings add
// ≈ 3 ms to the base delay (docs/strategies.md "chromium").
import type { DataChannel, PeerConnection } from '../libwebrtc/peer.ts';
import type { Cdp } from './cdp.ts';

const BINDING = '__rtc';

/** Runs in the page (stringified): the PeerConnection, its events out through the binding, and the
 *  functions the proxy calls. Only standard WebRTC and DOM. */
function pageSetup(config: RTCConfiguration, binding: string): void {
  type Page = { pc: RTCPeerConnection; ch?: RTCDataChannel; openChannel(label: string, init: RTCDataChannelInit): void; send(b64: string): void;
    stats(): Promise<unknown[]> } & Record<string, (payload: string) => void>;
  const g = globalThis as unknown as Page;
  const emit = (kind: string, data?: unknown) => g[binding]!(JSON.stringify([kind, data]));
  const pc = g.pc = new RTCPeerConnection(config);
  pc.onicecandidate = (e) => emit('candidate', e.candidate ? e.candidate.toJSON() : null);
  pc.oniceconnectionstatechange = () => emit('ice', pc.iceConnectionState);
  pc.onconnectionstatechange = () => emit('connection', pc.connectionState);
  g.openChannel = (label, init) => {
    const ch = g.ch = pc.createDataChannel(label, init);
    ch.binaryType = 'arraybuffer';
    ch.onopen = () => emit('open');
    ch.onclose = () => emit('close');
    ch.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      let s = '';
      for (const b of new Uint8Array(e.data)) s += String.fromCharCode(b);
      emit('message', btoa(s));
    };
  };
  g.send = (b64) => {
    const s = atob(b64);
    const bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    g.ch?.send(bytes);
  };
  g.stats = async () => [...(await pc.getStats()).values()];
}

const call = (fn: string, ...args: unknown[]) => `${fn}(${args.map((a) => JSON.stringify(a) ?? 'undefined').join(', ')})`;

class PageChannel {
  binaryType: BinaryType = 'arraybuffer';
  readyState: RTCDataChannelState = 'connecting';
  onmessage: RTCDataChannel['onmessage'] = null;
  onopen: RTCDataChannel['onopen'] = null;
  constructor(private readonly cdp: Cdp) {}
  /** Fire and forget, as RTCDataChannel.send: a frame the page cannot send (closing) is lost. */
  send(data: Uint8Array<ArrayBuffer>): void {
    void this.cdp.send('Runtime.evaluate', { expression: call('send', Buffer.from(data).toString('base64')) }).catch(() => {});
  }
  close(): void { void this.cdp.evaluate(call('ch?.close')).catch(() => {}); }
  /** The page's event, delivered as the DOM would (the handlers are typed for the DOM's). */
  event(kind: string, data: unknown): void {
    if (kind === 'open') { this.readyState = 'open'; this.onopen?.call(this as never, new Event('open')); }
    if (kind === 'close') this.readyState = 'closed';
    if (kind === 'message') {
      const bytes = Buffer.from(String(data), 'base64');
      this.onmessage?.call(this as never, { data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) } as MessageEvent);
    }
  }
}

export class PagePeerConnection implements PeerConnection {
  localDescription: RTCSessionDescription | null = null;
  iceConnectionState: RTCIceConnectionState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  onicecandidate: RTCPeerConnection['onicecandidate'] = null;
  oniceconnectionstatechange: RTCPeerConnection['oniceconnectionstatechange'] = null;
  onconnectionstatechange: RTCPeerConnection['onconnectionstatechange'] = null;
  private channel: PageChannel | null = null;
  private constructor(private readonly cdp: Cdp) {}

  /** The page's PeerConnection with `config`, its events bound to this proxy. */
  static async open(cdp: Cdp, config: RTCConfiguration): Promise<PagePeerConnection> {
    const pc = new PagePeerConnection(cdp);
    await cdp.bind(BINDING, (payload) => {
      const [kind, data] = JSON.parse(payload) as [string, unknown];
      pc.event(kind, data);
    });
    // `__name`: run from TypeScript (tsx: esbuild's keepNames), the function's text calls this helper
    await cdp.evaluate(`((__name) => (${pageSetup.toString()})(${JSON.stringify(config)}, ${JSON.stringify(BINDING)}))((f) => f)`);
    return pc;
  }

  private event(kind: string, data: unknown): void {
    const self = this as never;
    if (kind === 'candidate') this.onicecandidate?.call(self, { candidate: data } as RTCPeerConnectionIceEvent);
    else if (kind === 'ice') { this.iceConnectionState = data as RTCIceConnectionState; this.oniceconnectionstatechange?.call(self, new Event('ice')); }
    else if (kind === 'connection') { this.connectionState = data as RTCPeerConnectionState; this.onconnectionstatechange?.call(self, new Event('connection')); }
    else this.channel?.event(kind, data);
  }

  createDataChannel(label: string, init: RTCDataChannelInit): DataChannel {
    this.channel = new PageChannel(this.cdp);
    void this.cdp.evaluate(call('openChannel', label, init)).catch(() => {});
    return this.channel;
  }
  createOffer(): Promise<RTCSessionDescriptionInit> { return this.cdp.evaluate('pc.createOffer().then(({ type, sdp }) => ({ type, sdp }))'); }
  createAnswer(): Promise<RTCSessionDescriptionInit> { return this.cdp.evaluate('pc.createAnswer().then(({ type, sdp }) => ({ type, sdp }))'); }
  async setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
    this.localDescription = await this.cdp.evaluate(`pc.setLocalDescription(${JSON.stringify(d)}).then(() => pc.localDescription.toJSON())`);
  }
  async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> { await this.cdp.evaluate(call('pc.setRemoteDescription', d)); }
  async addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> { await this.cdp.evaluate(call('pc.addIceCandidate', c)); }
  restartIce(): void { void this.cdp.evaluate('pc.restartIce()').catch(() => {}); }
  async getStats(): Promise<RTCStatsReport> {
    const all = await this.cdp.evaluate<{ id: string }[]>('stats()');
    return new Map(all.map((s) => [s.id, s])) as unknown as RTCStatsReport;
  }
  close(): void { void this.cdp.evaluate('pc.close()').catch(() => {}); }
}
