// relay-repunch — the original system (kota-yata/p2p-quic-migration), re-implemented:
// the mobile detects a change (netlink, or silence on the audio path) and tells the intermediate
// over its control connection; the intermediate, which now sees the mobile's new address on that
// authenticated connection, tells the answerer; the answerer sends audio through the relay at once
// while both punch toward each other; the mobile dials a NEW P2P QUIC connection; when it is up the
// answerer returns audio to it and stops relaying. (The original waited a fixed 200 ms after the
// netlink event before signalling; this one signals at once — docs/strategies.md.)
import type { QUICConnection } from '@matrixai/quic';
import type { RoleContext, Strategy } from '../contract.ts';
import { AudioSender, AudioSink, AudioSource, decodeFrame } from '../shared/audio.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { LivenessWatchdog, NetlinkWatcher } from '../shared/netwatch.ts';
import {
  aborted, ControlClient, dedupe, now, PeerSocket, Puncher, within, type PeerInfo,
} from '../shared/peer.ts';
import { attachDatagrams, type Datagrams } from '../shared/quic.ts';
import { endpointKey, type Endpoint } from '../shared/signalling.ts';

const STALE_MS = 200;   // queued audio older than this is useless to a jitter buffer: purge it

const targetsOf = (p: PeerInfo): Endpoint[] => dedupe([p.reflexive, ...p.host]);

async function answerer(ctx: RoleContext): Promise<void> {
  const ps = new PeerSocket();
  await ps.start();
  let direct: { conn: QUICConnection; dg: Datagrams } | null = null;
  let path: 'direct' | 'relay' | 'none' = 'none';
  let puncher: Puncher | null = null;
  const setPath = (p: typeof path) => { if (p !== path) { path = p; ctx.log.log('path', { state: p }); } };
  const stopPunch = () => { puncher?.stop(); puncher = null; };

  const server = await ps.serve((conn) => {
    // A new P2P connection from the mobile: the direct path is back (or up for the first time).
    ctx.log.log('handshake.ok', { remote: `${conn.remoteHost}:${conn.remotePort}`, with: 'peer' });
    const previous = direct;
    direct = { conn, dg: attachDatagrams(conn, () => {}) };
    stopPunch();
    setPath('direct');
    if (previous) void previous.conn.stop({ force: true }).catch(() => {});
    conn.addEventListener('EventQUICConnectionStopped', () => {
      if (direct?.conn === conn) { direct = null; setPath(control.peer ? 'relay' : 'none'); }
    }, { once: true });
  });
  const control = await ControlClient.connect(ctx, ps, 'answerer');
  control.on('peer', (info: PeerInfo) => {
    // The mobile appeared or moved: relay at once (if we were streaming), punch toward it.
    if (info.changed && path !== 'none') setPath('relay');
    ctx.log.log('punch.start', { remote: endpointKey(info.reflexive) });
    stopPunch();
    const p = new Puncher(ps, ctx.pairings[0]!.id, targetsOf(info));
    puncher = p;
    void p.heard.then((from) => ctx.log.log('punch.ok', { remote: endpointKey(from) }));
  });

  const source = AudioSource.fromFile(ctx.audio.sample);
  const sender = new AudioSender(source, (frame, seq, sentAt) => {
    if (path === 'direct' && direct) {
      direct.dg.purge((d) => (decodeFrame(Buffer.from(d))?.sentAt ?? 0) < sentAt - STALE_MS);
      void direct.dg.send(frame);
      ctx.log.log('audio.sent', { seq, path: 'direct' }, sentAt);
    } else if (path === 'relay') {
      void control.relay(frame);
      ctx.log.log('audio.sent', { seq, path: 'relay' }, sentAt);
    }
  });
  sender.start();
  ctx.report('ready');
  await aborted(ctx.signal);
  sender.stop();
  stopPunch();
  await control.close();
  await server.stop({ force: true }).catch(() => {});
  await ps.stop();
}

async function mobile(ctx: RoleContext): Promise<void> {
  const ps = new PeerSocket();
  await ps.start();
  const sink = new AudioSink({
    jitterBufferMs: ctx.audio.jitterBufferMs,
    onFrame: (f, arrivedAt, duplicate, via) => {
      if (!duplicate) ctx.log.log('audio.recv', { seq: f.seq, path: via, sentAt: f.sentAt }, arrivedAt);
    },
  });
  let firstAudio = true;
  const onAudio = (data: Uint8Array, via: 'direct' | 'relay') => {
    if (ctx.signal.aborted) return;   // received.wav and the log must cover the same frames
    if (sink.accept(Buffer.from(data), now(), via) && firstAudio) {
      firstAudio = false;
      watchdog.start();   // silence only means something once audio has flowed
      ctx.report('audio');
    }
    watchdog.alive();
  };
  let current = null as QUICConnection | null;
  let connecting = false;
  let again = false;

  /** Punch toward the answerer, then dial a new P2P connection from wherever we are now. */
  async function connectDirect(): Promise<void> {
    if (connecting) { again = true; return; }
    connecting = true;
    try {
      do {
        again = false;
        const info = control.peer;
        if (!info || ctx.signal.aborted) return;
        ctx.log.log('punch.start', { remote: endpointKey(info.reflexive) });
        const puncher = new Puncher(ps, ctx.pairings[0]!.id, targetsOf(info));
        try {
          const from = await within(puncher.heard, 5000, 'punch');
          ctx.log.log('punch.ok', { remote: endpointKey(from) });
          ctx.log.log('handshake.start', { remote: endpointKey(from), with: 'peer' });
          const client = await ps.dial(from, 3000);
          ctx.log.log('handshake.ok', { remote: endpointKey(from), with: 'peer' });
          const previous = current;
          current = client.connection;
          attachDatagrams(client.connection, (d) => onAudio(d, 'direct'));
          if (previous) void previous.stop({ force: true }).catch(() => {});
        } catch (e) {
          ctx.log.logOther('repunch.failed', { message: (e as Error).message });
          again = !ctx.signal.aborted;   // keep trying: the relay carries the audio meanwhile
        } finally {
          puncher.stop();
        }
      } while (again);
    } finally {
      connecting = false;
    }
  }

  const changed = (via: string, detail: string) => {
    ctx.log.log('netchange.detected', { via, detail });
    control.send({ type: 'address-change', reason: via });
    void connectDirect();
  };
  const watchdog = new LivenessWatchdog(Number(ctx.options.livenessMs ?? 150), (ms) => changed('liveness', `${ms.toFixed(0)} ms of silence`));
  const control = await ControlClient.connect(ctx, ps, 'mobile');
  control.on('relay', (payload: Buffer) => onAudio(payload, 'relay'));
  control.on('peer', () => void connectDirect());
  if (control.peer) void connectDirect();
  const netlink = new NetlinkWatcher();
  await netlink.start(ctx.intermediate.addrs[0], (from, to) => changed('netlink', `${from?.dev}/${from?.src} -> ${to?.dev}/${to?.src}`));
  ctx.report('ready');
  await aborted(ctx.signal);
  watchdog.stop();
  netlink.stop();
  await sink.writeWav(`${ctx.runDir}/received.wav`);
  await control.close();
  await current?.stop({ force: true }).catch(() => {});
  await ps.stop();
}

const strategy: Strategy = {
  name: 'relay-repunch',
  describe: 'The original system: on a change the mobile signals the intermediate, the answerer ' +
    'relays audio through it at once while both re-punch, then a new P2P QUIC connection takes over.',
  options: { livenessMs: { describe: 'silence on the audio path that counts as a change (ms)', default: '150' } },
  intermediate: runIntermediate,
  answerer,
  mobile,
};
export default strategy;
