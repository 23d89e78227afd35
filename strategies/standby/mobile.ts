// standby's mobile: a warm direct path on every uplink, the policy's primary, switches and loss-repair requests.
import { isIPv6 } from 'node:net';
import type { QUICConnection } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import { decodeFrame } from '../shared/audio.ts';
import { REFLECT_MAGIC, REFLECTOR_PORT_OFFSET } from '../shared/intermediate.ts';
import { LivenessWatchdog, livenessMs, NetlinkWatcher, routeChange, routeTo } from '../shared/netwatch.ts';
import { PathLayer } from '../shared/paths.ts';
import type { Redundancy } from '../shared/path-selector.ts';
import { overhead } from '../shared/overhead.ts';
import { now } from '../shared/peer.ts';
import { Signals, type PeerInfo } from '../shared/control.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { familyOf, globalIpv6Of } from '../shared/family.ts';
import { UplinkPath } from './uplink-path.ts';
import { attachDatagrams } from '../shared/quic-datagrams.ts';
import { targetsOf } from '../shared/repunch.ts';
import { endpointKey, type Endpoint } from '../shared/signalling.ts';
import { AudioReceiver } from '../shared/streaming.ts';
import { decodeProbe, encodeProbe, PROBE_TAG } from './probe.ts';
import { osPolicy, type MobilePolicy } from './policy.ts';
import { DEAD_MS, PUNCH_INTERVAL_MS, REFLECT_RETRY_MS, SUSPECT_MS, type StandbySignals } from './shared.ts';

/** A steered relay (MobilePolicy.steersRelay) stays on an uplink at least this long before moving on. */
const RELAY_HOLD_MS = 300;
/** How often an IPv6 path checks that its address is still there (family=dual). */
const RENUMBER_CHECK_MS = 250;

export const mobile = (ctx: RoleContext): Promise<void> => warmPathsMobile(ctx, osPolicy(ctx.option('redundancy') as Redundancy));

/** The mobile with a warm path on every uplink, its choice of paths made by `policy`. */
export async function warmPathsMobile(ctx: RoleContext, policy: MobilePolicy): Promise<void> {
  const secret = ctx.pairings[0]!.secret;
  const redundancy = ctx.option('redundancy');
  const peer = await openPeer(ctx, 'mobile');
  const { ps, control } = peer;
  const layer = await PathLayer.open(ctx, ps, control);
  // family=dual: an uplink without IPv4 gets an IPv6 path, and the route the host uses is the IPv4
  // one while there is one, else the IPv6 one (strategies/shared/family.ts)
  const dual = familyOf(ctx) === 'dual';
  const paths = ctx.uplinks.map((u, i) => new UplinkPath(i, u, dual && isIPv6(u.addr), ctx.log));
  const routeDsts = dual ? [ctx.intermediate.addrs[0], ...ctx.intermediate.addrs6.slice(0, 1)] : [ctx.intermediate.addrs[0]];
  let primary: UplinkPath | null = null;
  let preferredDev = (await Promise.all(routeDsts.map(routeTo))).find((r) => r)?.dev;
  let lastSeq = 0;
  const reflectorOf = (p: UplinkPath) => ({ addr: p.ipv6 ? ctx.intermediate.addrs6[0]! : ctx.intermediate.addrs[0], port: ctx.intermediate.controlPort + REFLECTOR_PORT_OFFSET });

  const signals = new Signals<StandbySignals>(control);
  const tellAnswerer = () => signals.send('standby', {
    paths: paths.filter((p) => p.reflexive).map((p) => ({ id: p.id, name: p.uplink.name, ...p.reflexive! })),
  });

  // Which path carries the audio is the policy's (policy.ts), applied by the layer; this side tells
  // the answerer when the primary changed, and asks it to copy while suspect.
  const candidates = () => paths.map((p) => ({ id: p.id, up: p.up, rttMs: p.rtt, osPreferred: p.uplink.dev === preferredDev, direct: p.direct }));
  let suspectUntil = 0;
  // With no direct path the audio goes through the relay. A policy that steers it (seamless) sends the
  // relay's packets from one uplink's own socket, and moves them to another uplink when the OS moves
  // its route or the audio stops there: the relay latches where its packets come from.
  const pathOn = (dev: string | undefined) => paths.find((p) => p.uplink.dev === dev) ?? null;
  let relayOn: UplinkPath | null = null;   // null: the shared socket, the OS's route
  let relayMovedAt = -Infinity;
  let heardAt = -Infinity;
  const steerRelay = (to: UplinkPath | null, why: string) => {
    if (!policy.steersRelay || to === relayOn) return;
    relayOn = to;
    relayMovedAt = now();
    control.relayVia(to ? (packet, port, addr) => to.sock.send(packet, port, addr) : null);
    ctx.log.logOther('standby.relay', { via: to?.uplink.name ?? 'route', why });
  };
  /** The audio is on the relay and has stopped: its packets go out of the next uplink still routed. */
  const relaySilent = (why: string) => {
    if (primary || now() - relayMovedAt < RELAY_HOLD_MS) return;
    const from = relayOn ?? pathOn(preferredDev);
    steerRelay(paths.find((p) => p !== from && !p.routeLost) ?? null, why);
  };
  /** Re-applies the policy after anything that can change it (a path up or lost, a change, suspect
   *  on or over); when the primary changed, tells the answerer with a `switch` on that path. */
  const reselect = (why: string, avoid: UplinkPath | null = null) => {
    const t = now();
    const s = layer.reselect(policy, candidates(), { avoid: avoid?.id ?? null, suspect: t < suspectUntil });
    if (!policy.copiesOwnPackets) layer.setCopy(null);
    if (s.primaryChanged) {
      const next = s.primary === null ? null : paths[s.primary]!;
      primary = next;
      ctx.log.logOther('standby.switch', { to: next?.uplink.name ?? 'relay', why: policy.reason?.() ?? why, rtt: next?.rtt ?? null });
      if (!next) signals.send('standby-relay', {});   // no direct path left
      steerRelay(next ? null : pathOn(preferredDev), next ? 'a direct path' : 'no direct path');
      if (next) for (let i = 0; i < 2; i++) next.sock.send(encodeProbe(secret, { kind: 'switch', path: next.id, seq: lastSeq, sentAt: t }), next.answerer!.port, next.answerer!.addr);
      if (why === 'netlink') suspect('netlink');
      // a policy that watches its paths moved on what it saw: the silence until the answerer follows is
      // that move's, not the new primary's (one change, one detection, as ChangeDetector)
      if (policy.watch) watchdog.quiet();
    }
    return s;
  };
  /** redundancy=suspect: for the policy's suspect window the answerer is asked (on the best standby
   *  itself) to copy onto that path, and this side's packets (QUIC acks) are copied too if the policy
   *  says so. The request carries the last frame heard: a seamless answerer re-sends what came after. */
  const suspect = (why: string) => {
    if (redundancy !== 'suspect') return;
    const t = now();
    suspectUntil = t + policy.suspectWindowMs;
    const s = reselect(`suspect: ${why}`);
    const standby = s.copy === null ? null : paths[s.copy]!;
    if (!standby?.answerer) { ctx.log.logOther('standby.suspect', { primary: primary?.uplink.name ?? 'relay', copyOn: null, why }); return; }
    ctx.log.logOther('standby.suspect', { primary: primary?.uplink.name ?? 'relay', copyOn: standby.uplink.name, why });
    standby.sock.send(encodeProbe(secret, { kind: 'suspect', path: standby.id, seq: lastSeq, sentAt: t }), standby.answerer.port, standby.answerer.addr);
  };

  const receive = (p: UplinkPath) => (msg: Buffer, from: { address: string; port: number }) => {
      if (control.acceptRelay(msg, from)) return;   // the relay, when steered onto this uplink
      if (msg.subarray(0, REFLECT_MAGIC.length).equals(REFLECT_MAGIC)) {
        const seen = JSON.parse(msg.subarray(REFLECT_MAGIC.length + 8).toString()) as Endpoint;
        const changed = !p.reflexive || endpointKey(seen) !== endpointKey(p.reflexive);
        if (changed) ctx.log.logOther('standby.reflexive', { path: p.uplink.name, reflexive: endpointKey(seen) });
        p.reflexive = seen;
        if (changed) p.retry(now());
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
        policy.ponged?.(p.id, probe.seq, t);
        p.answerer = { addr: from.address, port: from.port };
        p.up = true;
        if (fresh) {
          ctx.log.log('punch.ok', { remote: `${p.uplink.name} ${endpointKey(p.answerer)}` });
          ctx.log.logOther('standby.path', { path: p.uplink.name, state: 'up', rtt: p.rtt });
          reselect('path up');
        }
        return;
      }
      layer.receiveDirect(msg, from, p.id);
  };
  for (const p of paths) await p.open(p.uplink.addr, receive(p));
  /** family=dual: an IPv6 path whose address the network took away (renumbering) opens again on the
   *  uplink's new address, learns its reflexive address anew and is punched again. */
  let renumbering = Promise.resolve();
  const followRenumbering = () => { renumbering = renumbering.then(rebindRenumbered); };
  const rebindRenumbered = async () => {
    for (const p of paths.filter((x) => x.ipv6)) {
      const addrs = globalIpv6Of(p.uplink.dev);
      if (!addrs.length || addrs.includes(p.bound)) continue;
      await p.open(addrs[0]!, receive(p));
      ctx.log.logOther('standby.path', { path: p.uplink.name, state: 'rebound', addr: p.bound });
      p.reflexive = null;
      p.lastReflect = -Infinity;
      p.lose(now(), 'down', 'renumbered');
      p.retry(now());
      if (p === primary) reselect('renumbered', p);
    }
  };

  // Pings, as often as the policy says: toward every answerer candidate while a path is not up,
  // toward the answerer once it is; reflexive addresses re-learned while it is not.
  const pinger = setInterval(() => {
    const t = now();
    const targets = control.peer ? targetsOf(control.peer) : [];
    for (const p of paths) {
      const state = { id: p.id, up: p.up, primary: p === primary, retryForMs: t - p.retryAt, downForMs: t - p.downSince, routeLost: p.routeLost };
      const pingEvery = policy.pingEveryMs(state, t);
      if (p.up && t - p.lastPong >= Math.max(DEAD_MS, 2.5 * pingEvery)) {
        p.lose(t, 'down', 'no pong');
        if (p === primary) reselect('keepalive lost', p);
      }
      // learn the reflexive address: until known, and again as the policy says once down DEAD_MS
      const reflectEvery = p.reflexive ? (p.up || t - p.downSince < DEAD_MS ? Infinity : policy.relearnEveryMs(state)) : REFLECT_RETRY_MS;
      if (t - p.lastReflect >= reflectEvery) {
        p.lastReflect = t;
        overhead.keepalive += REFLECT_MAGIC.length + 8;
        const reflector = reflectorOf(p);
        p.sock.send(Buffer.concat([REFLECT_MAGIC, Buffer.alloc(8)]), reflector.port, reflector.addr);
      }
      if (t - p.lastPing < pingEvery - PUNCH_INTERVAL_MS / 2) continue;
      p.lastPing = t;
      const upkeep = policy.reportsUpkeep && p.up ? overhead.keepalive + overhead.duplicate : undefined;
      const ping = encodeProbe(secret, { kind: 'ping', path: p.id, seq: ++p.seq, sentAt: t, upkeep });
      if (p.up) policy.pinged?.(p.id, p.seq, t);   // a probe; a punch toward every candidate is not
      for (const to of p.up && p.answerer ? [p.answerer] : targets.filter((x) => p.reaches(x))) { p.sock.send(ping, to.port, to.addr); overhead.keepalive += ping.length; }
    }
    if (suspectUntil && t > suspectUntil) { suspectUntil = 0; reselect('suspect over'); }
    if (heardAt > 0 && t - heardAt > RELAY_HOLD_MS) relaySilent('still silent');
    const watched = policy.watch?.(t);
    // while the policy finds the primary suspect, the answerer's copies are asked for again before they lapse
    if (watched?.suspect && redundancy === 'suspect' && suspectUntil - t < policy.suspectWindowMs / 2) suspect(watched.why);
    else if (watched) reselect(watched.why);
  }, PUNCH_INTERVAL_MS);

  // silence on the primary: the threshold every strategy uses (its probes' own 1.2 s rule is apart)
  const watchdog = new LivenessWatchdog(livenessMs(ctx), (ms) => {
    ctx.log.log('netchange.detected', { via: 'liveness', detail: `${ms.toFixed(0)} ms of silence on ${primary?.uplink.name ?? 'relay'}` });
    primary?.lose(now(), 'suspect', 'liveness');   // only its next pong makes it up again
    reselect('liveness', primary);
  });
  const netlink = new NetlinkWatcher();
  await netlink.start(routeDsts, (from, to) => {
    if (dual) followRenumbering();
    preferredDev = to?.dev;
    ctx.log.log('netchange.detected', { via: 'netlink', detail: routeChange(from, to) });
    paths.find((p) => p.uplink.dev === to?.dev)?.retry(now());
    const lost = paths.find((p) => p.uplink.dev === from?.dev && p.uplink.dev !== to?.dev);
    lost?.lose(now(), 'down', 'netlink');
    if (lost) lost.routeLost = true;
    reselect('netlink', lost ?? null);
    if (!primary) steerRelay(pathOn(to?.dev), 'netlink');
    watchdog.quiet();
  });

  // and every RENUMBER_CHECK_MS: the old address may go only after the route moved to the new one
  const renumberCheck = paths.some((p) => p.ipv6) ? setInterval(followRenumbering, RENUMBER_CHECK_MS) : undefined;
  const overdue = new LivenessWatchdog(SUSPECT_MS, () => { suspect('frame overdue'); relaySilent('frame overdue'); });
  const audio = new AudioReceiver(ctx, {
    first: () => { watchdog.start(); overdue.start(); },
    alive: () => { heardAt = now(); watchdog.alive(); overdue.alive(); },
  });
  let conn: QUICConnection | null = null;
  let dialled = false;
  const connect = async () => {
    dialled = true;
    conn = await layer.connect(ctx, 'standby', policy.quicPings ? {} : PathLayer.noQuicPings);
    if (conn) {
      attachDatagrams(conn, (d) => {
        const f = decodeFrame(Buffer.from(d));
        if (f && f.seq > lastSeq) lastSeq = f.seq;
        if (f) policy.heard?.(layer.arrivedVia === 'relay' ? null : layer.arrivedOn, f.seq, f.sentAt, now());
        audio.accept(d, layer.arrivedVia);
      });
    }
  };
  const onPeer = (_info: PeerInfo) => { if (!dialled) void connect(); tellAnswerer(); for (const p of paths) p.retry(now()); };
  control.on('peer', onPeer);
  if (control.peer) onPeer(control.peer);
  await holdPeer(ctx, peer, {
    stop: [() => clearInterval(pinger), () => clearInterval(renumberCheck), watchdog, overdue, netlink], audio,
    close: async () => {
      await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
      for (const p of paths) p.sock.close();
      await layer.close();
    },
  });
}
