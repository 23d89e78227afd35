// `--opt media=track`: the call's audio as a real libwebrtc audio track — the bench's sample fed to an
// RTCAudioSource in 10 ms chunks on a drift-free clock, encoded with Opus as libwebrtc negotiates it,
// decoded and played out by NetEQ into an RTCAudioSink, whose output is received.wav. The bench's frame
// metrics still apply, with libwebrtc's RTP counters as the frame clock (rtp-frames.ts): the answerer
// logs `audio.sent` for every 20 ms frame it fed, as a packet or as never sent (fed while libwebrtc
// made no packets), and signals the packet → frame offset (`rtp` anchors) through the intermediate; the
// mobile names each packet its counters show arriving by those anchors. The anchors are the bench's
// measurement, not the call's: a few signalling messages a run. libwebrtc's own counters go into the
// log as `rtc.audio`, its concealment spells onto the timeline.
import wrtc, { type AudioData, type RTCAudioSink } from '@roamhq/wrtc';
import type { RoleContext } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { FRAME_MS } from '../../core/playout.ts';
import { writeWav } from '../../core/wav.ts';
import { writeFileSync } from 'node:fs';
import { AudioSource } from '../shared/audio.ts';
import { now } from '../shared/peer.ts';
import { ReceivedFrames, SentFrames, type Anchor } from './rtp-frames.ts';

/** How often the RTP counters are read (libwebrtc's stats change at most every 50 ms: rtp-frames.ts). */
const POLL_MS = 20;
/** How often libwebrtc's concealment counters go into the log (for the timeline). */
const COUNTERS_MS = 100;
const CHUNK_MS = 10;   // what RTCAudioSource takes at a time

type Stats = Map<string, { type: string; [k: string]: unknown }>;
const rtp = async (pc: RTCPeerConnection, type: string) =>
  [...(await pc.getStats() as unknown as Stats).values()].find((s) => s.type === type);
const n = (v: unknown) => (typeof v === 'number' ? v : 0);

/** The answerer's side: the sample into libwebrtc, and `audio.sent` per 20 ms frame. */
export class TrackSender {
  private readonly source = new wrtc.nonstandard.RTCAudioSource();
  private readonly track = this.source.createTrack();
  private readonly sample: AudioSource;
  private fed = 0;          // 20 ms frames fed
  private readonly fedAt: number[] = [];
  private readonly frames = new SentFrames();
  private bytes = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  constructor(private readonly ctx: RoleContext, pc: RTCPeerConnection, private readonly path: () => PathKind | null,
    anchor: (a: Anchor) => void) {
    this.sample = AudioSource.fromFile(ctx.audio.sample);
    pc.addTrack(this.track);
    const start = now();
    // drift-free, as the bench's own sender (shared/audio.ts): every tick feeds the frames due since
    // the start, a late timer catches up, and a frame's send time is its place on that schedule
    this.timers.push(setInterval(() => {
      while (this.fed * FRAME_MS <= now() - start) this.feed(start + this.fed * FRAME_MS);
    }, CHUNK_MS / 2));
    this.timers.push(setInterval(() => void rtp(pc, 'outbound-rtp').then((s) => {
      const { sent, skipped, anchor: a } = this.frames.next(this.fed, n(s?.packetsSent));
      if (a) anchor(a);
      const bytes = sent.length ? Math.round((n(s?.bytesSent) - this.bytes) / sent.length) : 0;
      this.bytes = n(s?.bytesSent);
      const path = this.path() ?? 'none';
      for (const k of skipped) this.ctx.log.log('audio.sent', { seq: k, path: 'none' }, this.fedAt[k]);
      for (const k of sent) this.ctx.log.log('audio.sent', { seq: k, path, bytes }, this.fedAt[k]);
    }).catch(() => {}), POLL_MS));
  }
  private feed(at: number): void {
    const pcm = this.sample.frame(this.fed);
    const { sampleRate } = this.sample.info;
    const perChunk = (sampleRate * CHUNK_MS) / 1000;
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    for (let c = 0; c * perChunk < samples.length; c++) {
      this.source.onData({ samples: samples.slice(c * perChunk, (c + 1) * perChunk), sampleRate, bitsPerSample: 16, channelCount: 1, numberOfFrames: perChunk });
    }
    this.fedAt.push(at);
    this.fed++;
  }
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.track.stop();
  }
}

export interface TrackHooks { first(): void; alive(): void }

/** The mobile's side: frames from the RTP counters, libwebrtc's counters, and its playout as received.wav. */
export class TrackReceiver {
  private sink: RTCAudioSink | null = null;
  private readonly played: Int16Array[] = [];
  private playedRate = 0;
  private readonly frames = new ReceivedFrames();
  private packets = 0;
  private started = false;
  private readonly timers: NodeJS.Timeout[] = [];
  constructor(private readonly ctx: RoleContext, pc: RTCPeerConnection, private readonly path: () => PathKind | null,
    private readonly hooks: TrackHooks) {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      this.sink = new wrtc.nonstandard.RTCAudioSink(e.track);
      this.sink.ondata = (d) => this.play(d);
    };
    this.timers.push(setInterval(() => void this.poll(pc).catch(() => {}), POLL_MS));
    let concealed = 0, concealing = false;
    this.timers.push(setInterval(() => void rtp(pc, 'inbound-rtp').then((s) => {
      if (!s) return;
      const pick = ['concealedSamples', 'silentConcealedSamples', 'concealmentEvents', 'totalSamplesReceived', 'jitterBufferDelay',
        'jitterBufferEmittedCount', 'insertedSamplesForDeceleration', 'removedSamplesForAcceleration', 'packetsLost', 'packetsReceived'];
      ctx.log.logOther('rtc.audio', Object.fromEntries(pick.map((k) => [k, n(s[k])])));
      // on the timeline: where libwebrtc's own playout conceals (once audio has begun)
      const growing = n(s.concealedSamples) > concealed;
      concealed = n(s.concealedSamples);
      if (this.started && growing !== concealing) ctx.log.log('timeline.mark', { what: growing ? 'libwebrtc conceals' : 'libwebrtc plays' });
      concealing = this.started && growing;
    }).catch(() => {}), COUNTERS_MS));
  }
  /** NetEQ's output, 10 ms a call; before the first packet it plays silence at 16 kHz, which is not kept. */
  private play(d: AudioData): void {
    if (!this.started) return;
    if (this.playedRate && d.sampleRate !== this.playedRate) return;
    this.playedRate = d.sampleRate;
    const mono = new Int16Array(d.numberOfFrames);
    for (let i = 0; i < mono.length; i++) mono[i] = d.samples[i * d.channelCount]!;   // the first channel
    this.played.push(mono);
  }
  private async poll(pc: RTCPeerConnection): Promise<void> {
    const s = await rtp(pc, 'inbound-rtp');
    if (!s) return;
    const got = n(s.packetsReceived) > this.packets;
    this.packets = n(s.packetsReceived);
    this.log(this.frames.next(n(s.packetsReceived), n(s.packetsLost), n(s.lastPacketReceivedTimestamp) || now(), now()));
    if (!got) return;
    if (!this.started) { this.started = true; this.ctx.report('audio'); this.hooks.first(); }
    this.hooks.alive();
  }
  /** The frame the sender's first packet carried (rtp-frames.ts). */
  anchor(a: Anchor): void { this.frames.anchor(a); this.log(this.frames.ready(now())); }
  private log(frames: { seq: number; t: number }[]): void {
    const via = this.path() ?? 'direct';
    for (const { seq, t } of frames) this.ctx.log.log('audio.recv', { seq, path: via }, t);
  }
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.log(this.frames.ready(now(), true));
    this.sink?.stop();
  }
  /** libwebrtc's playout since its first packet, at the sample's rate (decimated from NetEQ's 48 kHz). */
  finish(): Promise<void> {
    const rate = AudioSource.fromFile(this.ctx.audio.sample).info.sampleRate;
    const all = new Int16Array(this.played.reduce((a, c) => a + c.length, 0));
    this.played.reduce((at, c) => { all.set(c, at); return at + c.length; }, 0);
    const pcm = resample(all, this.playedRate || rate, rate);
    writeFileSync(`${this.ctx.runDir}/received.wav`, writeWav({ sampleRate: rate, channels: 1, bitsPerSample: 16 }, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)));
    return Promise.resolve();
  }
}

/** Whole-ratio decimation behind a windowed-sinc low-pass at 0.45 of the new rate (48 → 16 kHz). */
export function resample(x: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return x;
  const ratio = from / to;
  if (!Number.isInteger(ratio)) throw new RangeError(`cannot resample ${from} Hz to ${to} Hz`);
  const taps = 8 * ratio + 1, mid = (taps - 1) / 2, fc = 0.45 / ratio;
  const h = Array.from({ length: taps }, (_, i) => {
    const t = i - mid;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    return sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (taps - 1)));
  });
  const out = new Int16Array(Math.floor(x.length / ratio));
  for (let j = 0; j < out.length; j++) {
    let acc = 0;
    for (let i = 0; i < taps; i++) acc += h[i]! * (x[j * ratio + i - mid] ?? 0);
    out[j] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}
