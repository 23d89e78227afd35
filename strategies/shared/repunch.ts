// Re-punch and open a NEW P2P QUIC connection after every change — the shape shared by
// relay-repunch (relay bridges the gap) and reconnect (nothing bridges it).
// The mobile (QUIC client) detects the change by netlink or by silence, tells the intermediate on
// its own authenticated control connection and punches toward the answerer; the intermediate tells
// the answerer the mobile's new reflexive address; the answerer punches back; the mobile dials as
// soon as it hears the answerer's punch; the answerer sends audio on the newest connection.
import type { QUICConnection, QUICServer } from '@matrixai/quic';
import type { RoleContext, Strategy, UplinkInfo } from '../contract.ts';
import { ChangeDetector, detectBy, NetlinkWatcher, routeChange } from './netwatch.ts';
import { dedupe, PeerSocket, Puncher, within } from './peer.ts';
import { ControlClient, type PeerInfo } from './control.ts';
import { holdPeer, openPeer } from './peer-role.ts';
import { p2pAudio, type Media } from './media.ts';
import { nudge } from './quic-datagrams.ts';
import { canonical } from './family.ts';
import { endpointKey, type Endpoint } from './signalling.ts';
import { AudioReceiver, relayRoute, streamAudio, twoWay, type AudioRoute } from './streaming.ts';

export interface RepunchOptions {
  /** While the new connection is being made, send audio through the intermediate's relay. */
  relayWhilePunching: boolean;
  /** Watch for changes (netlink, silence) and re-punch at once; without it, only the P2P
   *  connection dying (QUIC idle timeout) starts a new one — what a plain QUIC app does. */
  detectChanges: boolean;
  /** Without detectChanges: on a netlink change send a PING on the current connection at once, so
   *  the answerer's QUIC learns the new address now and not at the next keepalive (quic-migration). */
  nudge?: (ctx: RoleContext) => boolean;
  /** Reads the `detect` option (netlink | probe: DETECT_OPTION, which the strategy declares). */
  detectOption?: boolean;
  /** Reads the options of the original's other ways (relay-repunch declares them): `settleMs` (a
   *  fixed wait after a detection before signalling) and `media` (datagram | stream). */
  originalOptions?: boolean;
}

export const targetsOf = (p: PeerInfo): Endpoint[] => dedupe([p.reflexive, ...p.host]);

export function repunchRoles(opts: RepunchOptions): Pick<Strategy, 'answerer' | 'mobile'> {
  const mediaOf = (ctx: RoleContext): Media => (opts.originalOptions ? ctx.option('media') as Media : 'datagram');
  async function answerer(ctx: RoleContext): Promise<void> {
    let direct: { conn: QUICConnection; route: AudioRoute } | null = null;
    let path: 'direct' | 'relay' | 'none' = 'none';
    let puncher: Puncher | null = null;
    const setPath = (p: typeof path) => { if (p !== path) { path = p; ctx.log.log('path', { state: p }); } };
    const stopPunch = () => { puncher?.stop(); puncher = null; };
    const bridge = () => setPath(opts.relayWhilePunching ? 'relay' : 'none');
    const back = twoWay(ctx) ? new AudioReceiver(ctx, {}, 'received.answerer.wav') : null;

    const onConnection = (conn: QUICConnection) => {
      ctx.log.log('handshake.ok', { remote: endpointKey({ addr: canonical(conn.remoteHost), port: conn.remotePort }), with: 'peer' });
      const previous = direct;
      direct = { conn, route: p2pAudio(conn, mediaOf(ctx), (d) => back?.accept(d, 'direct')) };
      stopPunch();
      setPath('direct');
      if (previous) void previous.conn.stop({ force: true }).catch(() => {});
      conn.addEventListener('EventQUICConnectionStopped', () => {
        if (direct?.conn === conn) { direct = null; bridge(); }
      }, { once: true });
    };
    let server: QUICServer | null = null;
    // the P2P server listens before the intermediate can tell the mobile where to dial
    const peer = await openPeer(ctx, 'answerer', {}, async (ps) => { server = await ps.serve(onConnection); });
    const { ps, control } = peer;
    control.on('relay', (payload: Buffer) => back?.accept(payload, 'relay'));
    control.on('peer', (info: PeerInfo) => {
      // The mobile appeared or moved. Audio starts on the relay too (where allowed), so a pair
      // that cannot be punched still streams.
      if (info.changed || path === 'none') {
        if (!opts.relayWhilePunching && direct) { void direct.conn.stop({ force: true }).catch(() => {}); direct = null; }
        bridge();
      }
      ctx.log.log('punch.start', { remote: endpointKey(info.reflexive) });
      stopPunch();
      const p = new Puncher(ps, ctx.pairings[0]!.id, targetsOf(info));
      puncher = p;
      void p.heard.then((from) => ctx.log.log('punch.ok', { remote: endpointKey(from) }));
    });
    const relay = relayRoute(control);
    const audio = streamAudio(ctx, () =>
      path === 'direct' && direct ? direct.route : path === 'relay' ? relay : null);
    await holdPeer(ctx, peer, {
      stop: [audio, stopPunch], audio: back,
      close: () => (server as QUICServer | null)?.stop({ force: true }).catch(() => {}),
    });
  }

  async function mobile(ctx: RoleContext): Promise<void> {
    // `peer` is replaced when the mobile moves to another uplink itself (detect=probe): every use
    // below reads peer.ps / peer.control at that moment
    const peer = await openPeer(ctx, 'mobile');
    const settleMs = opts.originalOptions ? Number(ctx.option('settleMs')) : 0;
    let detections = Promise.resolve();
    const detector = opts.detectChanges ? new ChangeDetector(ctx, (_via, _detail, to) => {
      detections = detections.then(async () => {
        if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
        if (to && !(await moveTo(to))) return;
        changed();
      });
    }, opts.detectOption ? detectBy(ctx) : 'netlink') : null;
    const netlink = !opts.detectChanges && opts.nudge?.(ctx) ? new NetlinkWatcher() : null;
    const audio = new AudioReceiver(ctx, { first: () => detector?.audioStarted(), alive: () => detector?.alive() });
    let current = null as QUICConnection | null;
    let currentRoute = null as AudioRoute | null;
    let connecting = false;
    let again = false;
    let target = '';   // the answerer address the newest attempt punched toward
    let abandon = (): void => {};   // ends the attempt in flight (its socket was left behind by a move)

    /** Punch toward the answerer, then dial a new P2P connection from wherever we are now;
     *  on failure try again (the relay, where there is one, carries the audio meanwhile). */
    async function connectDirect(): Promise<void> {
      if (connecting) { again = true; return; }
      connecting = true;
      try {
        do {
          again = false;
          const { ps, control } = peer;
          const info = control.peer;
          if (!info || ctx.signal.aborted) return;
          target = endpointKey(info.reflexive);
          ctx.log.log('punch.start', { remote: target });
          const puncher = new Puncher(ps, ctx.pairings[0]!.id, targetsOf(info));
          const left = new Promise<never>((_, reject) => { abandon = () => reject(new Error('left behind by a move to another uplink')); });
          left.catch(() => {});   // abandoning a finished attempt is no error
          try {
            const from = await Promise.race([within(puncher.heard, 5000, 'punch'), left]);
            ctx.log.log('punch.ok', { remote: endpointKey(from) });
            ctx.log.log('handshake.start', { remote: endpointKey(from), with: 'peer' });
            const client = await ps.dial(from, 3000);
            ctx.log.log('handshake.ok', { remote: endpointKey(from), with: 'peer' });
            const previous = current;
            current = client.connection;
            currentRoute = p2pAudio(client.connection, mediaOf(ctx), (d) => audio.accept(d, 'direct'));
            client.connection.addEventListener('EventQUICConnectionStopped', () => {
              if (current !== client.connection || ctx.signal.aborted) return;
              // Our connection died (idle timeout: the path is gone). Start over from the rendezvous.
              current = null;
              ctx.log.log('netchange.detected', { via: 'connection-closed', detail: 'P2P connection closed' });
              changed();
            }, { once: true });
            if (previous) void previous.stop({ force: true }).catch(() => {});
          } catch (e) {
            ctx.log.logOther('repunch.failed', { message: (e as Error).message });
            again = !ctx.signal.aborted;
          } finally {
            puncher.stop();
          }
        } while (again);
      } finally {
        connecting = false;
      }
    }

    function changed(): void {
      if (!opts.relayWhilePunching && current) { void current.stop({ force: true }).catch(() => {}); current = null; }
      currentRoute = null;   // the old path is gone: send the other way until a new one is up
      peer.control.send({ type: 'address-change', reason: 'moved' });
      void connectDirect();
    }

    /** Binds everything to uplink `to` (the probes found the one in use dead while the OS still
     *  routes over it): a new socket on its address and a new control connection from there, which
     *  the intermediate takes as this peer's new registration; the old ones are closed. */
    async function moveTo(to: UplinkInfo): Promise<boolean> {
      const ps = new PeerSocket();
      try {
        await ps.start(to.addr);
        const control = await ControlClient.connect(ctx, ps, 'mobile');
        const old = { ...peer };
        const dead = current;
        current = null;   // its path is gone; closing it is no news
        currentRoute = null;
        Object.assign(peer, { ps, control });
        abandon();
        listen(control);
        ctx.log.logOther('uplink.moved', { to: to.name, addr: to.addr });
        void dead?.stop({ force: true }).catch(() => {});
        void old.control.close().then(() => old.ps.stop());
        return true;
      } catch (e) {
        ctx.log.logOther('repunch.failed', { message: `moving to ${to.name}: ${(e as Error).message}` });
        await ps.stop();
        return false;
      }
    }

    // The answerer appeared or moved (an unchanged address needs nothing: we already punch toward it).
    const onPeer = (info: PeerInfo) => {
      if (endpointKey(info.reflexive) !== target || (!current && !connecting)) void connectDirect();
    };
    const listen = (control: ControlClient) => {
      control.on('relay', (payload: Buffer) => audio.accept(payload, 'relay'));
      control.on('peer', onPeer);
    };
    listen(peer.control);
    if (peer.control.peer) onPeer(peer.control.peer);
    const relay: AudioRoute = { path: 'relay', send: (frame, sentAt) => relayRoute(peer.control).send(frame, sentAt) };
    const outgoing = twoWay(ctx) ? streamAudio(ctx, () =>
      currentRoute ?? (opts.relayWhilePunching && peer.control.peer ? relay : null)) : null;
    await detector?.start();
    await netlink?.start(ctx.intermediate.addrs[0], (from, to) => {
      ctx.log.log('netchange.detected', { via: 'netlink', detail: routeChange(from, to) });
      if (current) void nudge(current).catch(() => {});
    });
    await holdPeer(ctx, peer, {
      stop: [outgoing, detector, netlink], audio,
      close: () => current?.stop({ force: true }).catch(() => {}),
    });
  }

  return { answerer, mobile };
}
