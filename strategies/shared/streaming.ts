// The audio ends of every QUIC-based strategy: the answerer paces frames onto whatever path the
// strategy picks at that instant; the mobile accepts frames from any path into one sink.
import type { RoleContext } from '../contract.ts';
import { AudioSender, AudioSource, decodeFrame } from './audio.ts';
import { AudioSink } from './audio-sink.ts';
import type { PathKind } from '../../core/events.ts';
import { now } from './peer.ts';
import { type ControlClient } from './control.ts';
import type { Datagrams } from './quic-datagrams.ts';

const STALE_MS = 200;   // queued audio older than this is useless to a jitter buffer: purge it

/** Where one frame goes: its path (for the log) and how to send it; `send` returns false when the
 *  frame could not go (the relay not answering: strategies/shared/relay-end.ts). */
export interface AudioRoute { path: PathKind; send(frame: Buffer, sentAt: number): boolean | void }

/** QUIC DATAGRAMs on a P2P connection; queued frames too old to play are purged first. */
export const directRoute = (datagrams: Datagrams): AudioRoute => ({
  path: 'direct',
  send(frame, sentAt) {
    datagrams.purge((d) => (decodeFrame(Buffer.from(d))?.sentAt ?? 0) < sentAt - STALE_MS);
    void datagrams.send(frame);
  },
});
/** Through the intermediate's relay, on the control connection. */
export const relayRoute = (control: ControlClient): AudioRoute => ({ path: 'relay', send: (frame) => control.relay(frame) });

/** Sends frame after frame on `route()`'s answer at that moment. Before the first route exists
 *  nothing is logged (the stream has not begun); after it, a frame with no route is logged with
 *  path 'none' — it counts as a frame the listener did not get. */
export function streamAudio(ctx: RoleContext, route: () => AudioRoute | null): { stop(): void } {
  let begun = false;
  const sender = new AudioSender(AudioSource.fromFile(ctx.audio.sample), (frame, seq, sentAt) => {
    const r = route();
    if (!r) {
      if (begun) ctx.log.log('audio.sent', { seq, path: 'none' }, sentAt);
      return;
    }
    begun = true;
    if (r.send(frame, sentAt) === false) ctx.log.log('audio.sent', { seq, path: 'none' }, sentAt);
    else ctx.log.log('audio.sent', { seq, path: r.path, bytes: frame.length }, sentAt);
  }, ctx.audio.codec);
  sender.start();
  return { stop: () => sender.stop() };
}

export interface ReceiverHooks { first?: () => void; alive?: () => void }

/** `--audio both`: the answerer also receives (into received.answerer.wav), the mobile also sends. */
export const twoWay = (ctx: RoleContext) => ctx.audio.direction === 'both';

/** The mobile's audio: logs first arrivals, reports the 'audio' milestone and calls `first` once,
 *  calls `alive` on every valid frame (liveness), and writes received.wav covering exactly the
 *  logged frames. */
export class AudioReceiver {
  private readonly sink: AudioSink;
  private first = true;
  private closed = false;
  constructor(private readonly ctx: RoleContext, private readonly hooks: ReceiverHooks = {},
    private readonly wavName = 'received.wav') {
    this.sink = new AudioSink({
      jitterBufferMs: ctx.audio.jitterBufferMs, playout: ctx.audio.playout, spool: `${ctx.runDir}/${wavName}.frames`,
      onFrame: (f, arrivedAt, duplicate, via, fec) => {
        if (!duplicate) ctx.log.log('audio.recv', { seq: f.seq, path: via, sentAt: f.sentAt, ...(fec ? { fec } : {}) }, arrivedAt);
      },
    });
  }
  accept(data: Uint8Array, via: PathKind): void {
    if (this.closed) return;
    if (!this.sink.accept(Buffer.from(data), now(), via)) return;
    if (this.first) { this.first = false; this.ctx.report('audio'); this.hooks.first?.(); }
    this.hooks.alive?.();
  }
  async finish(): Promise<void> {
    this.closed = true;
    await this.sink.writeWav(`${this.ctx.runDir}/${this.wavName}`);
  }
}
