// standby — make-before-break. One QUIC connection for the whole run on the overlay's path layer
// (strategies/shared/paths.ts), with a warm direct path on EVERY mobile uplink plus the relay:
// - the mobile binds one UDP socket per uplink address (source routing sends it out of that
//   uplink), learns each socket's reflexive address from the intermediate's reflector and tells
//   the answerer; both punch; authenticated pings (every KEEPALIVE_MS, well below the NATs' 30 s
//   UDP timeout) keep each path open and its RTT measured (probe.ts);
// - the primary is the path of the uplink the OS prefers if it is up, else the fastest one up,
//   else the relay; the mobile tells the answerer with an authenticated `switch` ON that path
//   (no round trip through the intermediate);
// - on a netlink change, or silence on the primary longer than livenessMs (netwatch.ts), the mobile
//   switches at once to the best standby; the answerer re-sends the frames the mobile missed that
//   can still make their playout deadline (the switch carries the last frame it got);
// - whatever the change broke is re-learned and re-punched in the background (a path without a
//   pong for DEAD_MS is re-discovered), so that a standby exists again;
// - `--opt redundancy=always` copies every packet onto the best standby too (the upper bound);
//   `redundancy=suspect` only while the primary is suspect: a frame overdue on it (SUSPECT_MS of
//   silence, before the liveness miss that switches) or SUSPECT_WINDOW_MS after a netlink change.
//   The mobile asks with an authenticated `suspect` probe on the standby path itself.
import dgram from 'node:dgram';
import type { QUICConnection } from '@matrixai/quic';
import type { RoleContext, Strategy, UplinkInfo } from '../contract.ts';
import { decodeFrame } from '../shared/audio.ts';
import { REFLECT_MAGIC, REFLECTOR_PORT_OFFSET, runIntermediate } from '../shared/intermediate.ts';
import { LIVENESS_OPTION, LivenessWatchdog, livenessMs, NetlinkWatcher, routeChange, routeTo } from '../shared/netwatch.ts';
import { PathLayer, type DirectPath } from '../shared/paths.ts';
import { PathSelector, type Redundancy } from '../shared/path-selector.ts';
import { overhead } from '../shared/overhead.ts';
import { aborted, ControlClient, now, PeerSocket, type PeerInfo } from '../shared/peer.ts';
import { attachDatagrams, onRawPacket, type Datagrams } from '../shared/quic.ts';
import { targetsOf } from '../shared/repunch.ts';
import { endpointKey, type Endpoint } from '../shared/signalling.ts';
import { AudioReceiver, directRoute, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { decodeProbe, encodeProbe, PROBE_LEN, PROBE_TAG, type Probe } from './probe.ts';

const PUNCH_INTERVAL_MS = 20;
const KEEPALIVE_MS = 200;
const DEAD_MS = 1200;          // no pong for this long: the path is gone, learn and punch it again
const REFLECT_RETRY_MS = 200;
const SUSPECT_MS = 45;          // two 20 ms frames overdue (plus jitter): the primary may be breaking
const SUSPECT_WINDOW_MS = 1000; // how long the answerer copies after a `suspect`

interface StandbyBody { paths: { id: number; name: string; addr: string; port: number }[] }

// -- the mobile -------------------------------------------------------------------------------------
/** One mobile uplink's direct path. `up` from its first pong until it is lost: no pong for
 *  DEAD_MS, its uplink gone (netlink), or silence on it while primary (liveness). A path that is
 *  not up is punched every PUNCH_INTERVAL_MS, and after DEAD_MS down its reflexive address is
 *  learned again and sent to the answerer (its NAT may have moved it). */
class UplinkPath {
  readonly sock = dgram.createSocket('udp4');
  reflexive: Endpoint | null = null;
  answerer: Endpoint | null = null;   // where the answerer's pongs came from
  up = false;
  downSince = 0;
  rtt: number | null = null;
  lastPong = 0;
  lastPongSeq = -1;
  lastReflect = 0;
  seq = 0;
  constructor(readonly id: number, readonly uplink: UplinkInfo, private readonly log: RoleContext['log']) {
    this.sock.on('error', () => {});   // ENETUNREACH while the uplink is down: the path just looks dead
  }
  get direct(): DirectPath | null { return this.up && this.answerer ? { to: this.answerer, via: this.sock } : null; }
  lose(t: number, state: 'down' | 'suspect', why: string): void {
    if (!this.up) return;
    this.up = false;
    this.downSince = t;
    this.log.logOther('standby.path', { path: this.uplink.name, state, why });
  }
}

async function mobile(ctx: RoleContext): Promise<void> {
  const secret = ctx.pairings[0]!.secret;
  const redundancy = ctx.option('redundancy');
  const ps = new PeerSocket();
  await ps.start();
  const control = await ControlClient.connect(ctx, ps, 'mobile');
  const layer = await PathLayer.open(ctx, ps, control);
  const paths = ctx.uplinks.map((u, i) => new UplinkPath(i, u, ctx.log));
  let primary: UplinkPath | null = null;
  let preferredDev = (await routeTo(ctx.intermediate.addrs[0]))?.dev;
  let lastSeq = 0;
  const reflector = { addr: ctx.intermediate.addrs[0], port: ctx.intermediate.controlPort + REFLECTOR_PORT_OFFSET };

  const tellAnswerer = () => control.send({ type: 'signal', kind: 'standby', body: {
    paths: paths.filter((p) => p.reflexive).map((p) => ({ id: p.id, name: p.uplink.name, ...p.reflexive! })),
  } satisfies StandbyBody });

  // Which path carries the audio is the policy's (path-selector.ts), applied by the layer; this
  // side tells the answerer when the primary changed, and asks it to copy while suspect.
  const selector = new PathSelector(redundancy as Redundancy);
  const candidates = () => paths.map((p) => ({ id: p.id, up: p.up, rttMs: p.rtt, osPreferred: p.uplink.dev === preferredDev, direct: p.direct }));
  let suspectUntil = 0;
  /** Re-applies the policy after anything that can change it (a path up or lost, a change, suspect
   *  on or over); when the primary changed, tells the answerer with a `switch` on that path. */
  const reselect = (why: string, avoid: UplinkPath | null = null) => {
    const t = now();
    const s = layer.reselect(selector, candidates(), { avoid: avoid?.id ?? null, suspect: t < suspectUntil });
    if (s.primaryChanged) {
      const next = s.primary === null ? null : paths[s.primary]!;
      primary = next;
      ctx.log.logOther('standby.switch', { to: next?.uplink.name ?? 'relay', why, rtt: next?.rtt ?? null });
      if (!next) control.send({ type: 'signal', kind: 'standby-relay', body: {} });   // no direct path left
      if (next) for (let i = 0; i < 2; i++) next.sock.send(encodeProbe(secret, { kind: 'switch', path: next.id, seq: lastSeq, sentAt: t }), next.answerer!.port, next.answerer!.addr);
      if (why === 'netlink') suspect('netlink');
    }
    return s;
  };
  /** redundancy=suspect: for SUSPECT_WINDOW_MS the policy copies this side's packets (QUIC acks)
   *  onto the best standby, and the answerer is asked (on that path itself) to copy onto it too. */
  const suspect = (why: string) => {
    if (redundancy !== 'suspect') return;
    const t = now();
    suspectUntil = t + SUSPECT_WINDOW_MS;
    const s = reselect(`suspect: ${why}`);
    const standby = s.copy === null ? null : paths[s.copy]!;
    if (!standby?.answerer) return;
    ctx.log.logOther('standby.suspect', { primary: primary?.uplink.name ?? 'relay', copyOn: standby.uplink.name, why });
    standby.sock.send(encodeProbe(secret, { kind: 'suspect', path: standby.id, seq: lastSeq, sentAt: t }), standby.answerer.port, standby.answerer.addr);
  };

  for (const p of paths) {
    await new Promise<void>((r) => p.sock.bind(0, p.uplink.addr, () => r()));
    p.sock.on('message', (msg, from) => {
      if (msg.subarray(0, REFLECT_MAGIC.length).equals(REFLECT_MAGIC)) {
        const seen = JSON.parse(msg.subarray(REFLECT_MAGIC.length + 8).toString()) as Endpoint;
        const changed = !p.reflexive || endpointKey(seen) !== endpointKey(p.reflexive);
        if (changed) ctx.log.logOther('standby.reflexive', { path: p.uplink.name, reflexive: endpointKey(seen) });
        p.reflexive = seen;
        if (changed || !p.up) tellAnswerer();   // a path that is down needs the answerer to punch again
        return;
      }
      if (msg[0] === PROBE_TAG) {
        const probe = decodeProbe(secret, msg, now());
        if (probe?.kind !== 'pong' || probe.path !== p.id || probe.seq <= p.lastPongSeq) return;
        const t = now();
        const fresh = !p.up;
        p.lastPongSeq = probe.seq;
        p.lastPong = t;
        p.rtt = t - probe.sentAt;
        p.answerer = { addr: from.address, port: from.port };
        p.up = true;
        if (fresh) {
          ctx.log.log('punch.ok', { remote: `${p.uplink.name} ${endpointKey(p.answerer)}` });
          ctx.log.logOther('standby.path', { path: p.uplink.name, state: 'up', rtt: p.rtt });
          reselect('path up');
        }
        return;
      }
      layer.receiveDirect(msg, from);
    });
  }

  // Pings: every PUNCH_INTERVAL_MS toward every answerer candidate while a path is not up, every
  // KEEPALIVE_MS toward the answerer once it is; reflexive addresses re-learned while it is not.
  let tick = 0;
  const pinger = setInterval(() => {
    const t = now();
    tick++;
    const targets = control.peer ? targetsOf(control.peer) : [];
    for (const p of paths) {
      if (p.up && t - p.lastPong >= DEAD_MS) {
        p.lose(t, 'down', 'no pong');
        if (p === primary) reselect('keepalive lost', p);
      }
      // learn the reflexive address: until known, and again every DEAD_MS while down
      const every = p.reflexive ? (p.up || t - p.downSince < DEAD_MS ? Infinity : DEAD_MS) : REFLECT_RETRY_MS;
      if (t - p.lastReflect >= every) {
        p.lastReflect = t;
        overhead.keepalive += REFLECT_MAGIC.length + 8;
        p.sock.send(Buffer.concat([REFLECT_MAGIC, Buffer.alloc(8)]), reflector.port, reflector.addr);
      }
      if (p.up && tick % (KEEPALIVE_MS / PUNCH_INTERVAL_MS) !== 0) continue;
      const ping = encodeProbe(secret, { kind: 'ping', path: p.id, seq: ++p.seq, sentAt: t });
      for (const to of p.up && p.answerer ? [p.answerer] : targets) { p.sock.send(ping, to.port, to.addr); overhead.keepalive += ping.length; }
    }
    if (suspectUntil && t > suspectUntil) { suspectUntil = 0; reselect('suspect over'); }
  }, PUNCH_INTERVAL_MS);

  // silence on the primary: the threshold every strategy uses (its probes' own 1.2 s rule is apart)
  const watchdog = new LivenessWatchdog(livenessMs(ctx), (ms) => {
    ctx.log.log('netchange.detected', { via: 'liveness', detail: `${ms.toFixed(0)} ms of silence on ${primary?.uplink.name ?? 'relay'}` });
    primary?.lose(now(), 'suspect', 'liveness');   // only its next pong makes it up again
    reselect('liveness', primary);
  });
  const netlink = new NetlinkWatcher();
  await netlink.start(ctx.intermediate.addrs[0], (from, to) => {
    preferredDev = to?.dev;
    ctx.log.log('netchange.detected', { via: 'netlink', detail: routeChange(from, to) });
    const lost = paths.find((p) => p.uplink.dev === from?.dev && p.uplink.dev !== to?.dev);
    lost?.lose(now(), 'down', 'netlink');
    reselect('netlink', lost ?? null);
    watchdog.quiet();
  });

  const overdue = new LivenessWatchdog(SUSPECT_MS, () => suspect('frame overdue'));
  const audio = new AudioReceiver(ctx, {
    first: () => { watchdog.start(); overdue.start(); },
    alive: () => { watchdog.alive(); overdue.alive(); },
  });
  let conn: QUICConnection | null = null;
  let dialled = false;
  const connect = async () => {
    dialled = true;
    conn = await layer.connect(ctx, 'standby');
    if (conn) {
      attachDatagrams(conn, (d) => {
        const f = decodeFrame(Buffer.from(d));
        if (f && f.seq > lastSeq) lastSeq = f.seq;
        audio.accept(d, layer.arrivedVia);
      });
    }
  };
  const onPeer = (_info: PeerInfo) => { if (!dialled) void connect(); tellAnswerer(); };
  control.on('peer', onPeer);
  if (control.peer) onPeer(control.peer);
  ctx.report('ready');
  await aborted(ctx.signal);
  clearInterval(pinger);
  watchdog.stop();
  overdue.stop();
  netlink.stop();
  await audio.finish();
  await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
  for (const p of paths) p.sock.close();
  await layer.close();
  await control.close();
  await ps.stop();
}

// -- the answerer -----------------------------------------------------------------------------------
async function answerer(ctx: RoleContext): Promise<void> {
  const secret = ctx.pairings[0]!.secret;
  const redundancy = ctx.option('redundancy');
  const ps = new PeerSocket();
  await ps.start();
  const control = await ControlClient.connect(ctx, ps, 'answerer');
  const layer = await PathLayer.open(ctx, ps, control, (path) => ctx.log.log('path', { state: path }));
  /** Per mobile path: where its authenticated pings come from (or, until then, its reflexive). */
  const mobilePaths = new Map<number, { name: string; to: Endpoint; heard: number; punchUntil: number }>();
  let primaryId = -1;
  let datagrams: Datagrams | null = null;
  const recent: { frame: Buffer; seq: number; sentAt: number }[] = [];
  let lastSwitch = -1;
  let copyUntil = 0;   // redundancy=suspect: copying onto a standby until then

  control.on('signal', (msg: { kind: string; body?: unknown }) => {
    if (msg.kind === 'standby-relay') { primaryId = -1; layer.useRelay(); ctx.log.logOther('standby.switch', { to: 'relay' }); return; }
    if (msg.kind !== 'standby') return;
    for (const p of (msg.body as StandbyBody).paths) {
      const known = mobilePaths.get(p.id);
      const to = { addr: p.addr, port: p.port };
      if (known && endpointKey(known.to) === endpointKey(to) && now() - known.heard < DEAD_MS) continue;
      mobilePaths.set(p.id, { name: p.name, to, heard: known?.heard ?? 0, punchUntil: now() + 5000 });
      ctx.log.log('punch.start', { remote: `${p.name} ${endpointKey(to)}` });
    }
  });
  // Punch toward mobile paths not heard from yet (opens this side's NAT for their pings).
  const puncher = setInterval(() => {
    const t = now();
    if (copyUntil && t > copyUntil) { copyUntil = 0; layer.setCopy(null); }
    for (const [id, p] of mobilePaths) {
      if (t - p.heard < DEAD_MS || t > p.punchUntil) continue;
      overhead.keepalive += PROBE_LEN;
      void ps.socket.send(encodeProbe(secret, { kind: 'ping', path: id, seq: 0, sentAt: t }), p.to.port, p.to.addr).catch(() => {});
    }
  }, PUNCH_INTERVAL_MS);

  const offProbe = onRawPacket(ps.socket, (msg, from) => {
    if (msg[0] !== PROBE_TAG) return;
    const t = now();
    const probe: Probe | null = decodeProbe(secret, msg, t);
    if (!probe || probe.kind === 'pong') return;
    const p = mobilePaths.get(probe.path) ?? { name: `path${probe.path}`, to: { addr: from.address, port: from.port }, heard: 0, punchUntil: 0 };
    p.to = { addr: from.address, port: from.port };   // authenticated: its current (peer-reflexive) address
    p.heard = t;
    mobilePaths.set(probe.path, p);
    if (probe.kind === 'suspect') {
      if (redundancy !== 'suspect' || probe.path === primaryId) return;
      layer.setCopy({ to: p.to, via: ps.socket });
      copyUntil = t + SUSPECT_WINDOW_MS;
      ctx.log.logOther('standby.suspect', { copyOn: p.name });
      return;
    }
    if (probe.kind === 'ping') {
      overhead.keepalive += msg.length;   // the pong; the ping is counted by its sender, the mobile
      if (redundancy === 'always' && probe.path !== primaryId) layer.setCopy({ to: p.to, via: ps.socket });
      void ps.socket.send(encodeProbe(secret, { ...probe, kind: 'pong' }), from.port, from.address).catch(() => {});
      return;
    }
    if (probe.sentAt <= lastSwitch) return;   // a copy of the switch already obeyed
    lastSwitch = probe.sentAt;
    primaryId = probe.path;
    layer.setDirect({ to: p.to, via: ps.socket });
    if (redundancy !== 'off') { layer.setCopy(null); copyUntil = 0; }   // always: the next ping from another path sets it again
    ctx.log.logOther('standby.switch', { to: p.name, lastSeq: probe.seq });
    // Loss repair: what the mobile missed and can still play in time goes again, on the new path.
    const deadline = t - ctx.audio.jitterBufferMs + 10;
    for (const r of recent) {
      if (r.seq > probe.seq && r.sentAt > deadline && datagrams) { overhead.duplicate += r.frame.length; void datagrams.send(r.frame); }
    }
  });

  let route: AudioRoute | null = null;
  let conn: QUICConnection | null = null;
  const server = await layer.serve((c) => {
    ctx.log.log('handshake.ok', { remote: 'standby', with: 'peer' });
    conn = c;
    datagrams = attachDatagrams(c, () => {});
    const direct = directRoute(datagrams);
    route = {
      get path() { return layer.path; },
      send(frame, sentAt) {
        recent.push({ frame, seq: decodeFrame(frame)?.seq ?? -1, sentAt });
        if (recent.length > 50) recent.shift();
        direct.send(frame, sentAt);
      },
    };
    ctx.log.log('path', { state: layer.path });
  });
  const audio = streamAudio(ctx, () => route);
  ctx.report('ready');
  await aborted(ctx.signal);
  audio.stop();
  clearInterval(puncher);
  offProbe();
  await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
  await server.stop({ force: true }).catch(() => {});
  await layer.close();
  await control.close();
  await ps.stop();
}

const strategy: Strategy = {
  name: 'standby',
  describe: 'Make-before-break: one QUIC connection over a warm direct path on every mobile uplink plus ' +
    'the relay; on a change or a liveness miss it switches at once to the best standby, no handshake.',
  options: {
    redundancy: {
      describe: 'copy every packet onto the best standby path: off; always (the upper bound); suspect (only while the primary looks broken)',
      default: 'off', values: ['off', 'always', 'suspect'],
    },
    ...LIVENESS_OPTION,
  },
  intermediate: runIntermediate,
  answerer,
  mobile,
};
export default strategy;
