// standby's answerer (seamless's too, with its options): follows the mobile's switches, pongs its probes,
// copies while asked, re-sends what the mobile missed, and keeps its copies within a budget if given one.
import type { QUICConnection } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import { decodeFrame } from '../shared/audio.ts';
import { PathLayer } from '../shared/paths.ts';
import { overhead } from '../shared/overhead.ts';
import { now } from '../shared/peer.ts';
import { Signals } from '../shared/control.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { attachDatagrams, type Datagrams } from '../shared/quic-datagrams.ts';
import { onRawPacket } from '../shared/quic-sockets.ts';
import { endpointKey, type Endpoint } from '../shared/signalling.ts';
import { directRoute, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { decodeProbe, encodeProbe, PROBE_LEN, PROBE_TAG, type Probe } from './probe.ts';
import { DEAD_MS, PUNCH_INTERVAL_MS, SUSPECT_WINDOW_MS, type StandbySignals } from './shared.ts';

/** How the answerer keeps its side and copies: how often and for how long after a signal it punches
 *  a mobile path not heard from for `quietMs`, whether the P2P connection sends QUIC PINGs, for how
 *  long it copies after one `suspect`, whether a `suspect` also brings a re-send of what the mobile
 *  missed, and the most it may send beyond the media (% of it; null: no cap). */
export interface AnswererRules {
  punchEveryMs: number; punchForMs: number; quietMs: number; quicPings: boolean;
  copyWindowMs: number; repairOnSuspect: boolean; budgetPct: number | null;
}

export const answerer = (ctx: RoleContext): Promise<void> => warmPathsAnswerer(ctx, {
  punchEveryMs: PUNCH_INTERVAL_MS, punchForMs: 5000, quietMs: DEAD_MS, quicPings: true,
  copyWindowMs: SUSPECT_WINDOW_MS, repairOnSuspect: false, budgetPct: null,
});

export async function warmPathsAnswerer(ctx: RoleContext, rules: AnswererRules): Promise<void> {
  const secret = ctx.pairings[0]!.secret;
  const redundancy = ctx.option('redundancy');
  const peer = await openPeer(ctx, 'answerer');
  const { ps, control } = peer;
  const layer = await PathLayer.open(ctx, ps, control, (path) => ctx.log.log('path', { state: path }));
  /** Per mobile path: where its authenticated pings come from (or, until then, its reflexive). */
  const mobilePaths = new Map<number, { name: string; to: Endpoint; heard: number; punchUntil: number }>();
  let primaryId = -1;
  let datagrams: Datagrams | null = null;
  const recent: { frame: Buffer; seq: number; sentAt: number }[] = [];
  let lastSwitch = -1;
  let copyUntil = 0;   // redundancy=suspect: copying onto a standby until then
  let repairedUpTo = -1;
  let mediaBytes = 0;
  /** The budget: what this side sent beyond the media, plus what the mobile says it did (its pings
   *  carry it, `upkeep`; a second old at most). */
  let mobileUpkeep = 0;
  const spent = () => overhead.keepalive + overhead.duplicate + mobileUpkeep;
  const affordable = () => rules.budgetPct === null || spent() < (rules.budgetPct / 100) * mediaBytes;
  let overBudget = false;
  const stopCopies = () => { copyUntil = 0; layer.setCopy(null); };

  const signals = new Signals<StandbySignals>(control);
  signals.on('standby-relay', () => { primaryId = -1; layer.useRelay(); ctx.log.logOther('standby.switch', { to: 'relay' }); });
  signals.on('standby', (body) => {
    for (const p of body.paths ?? []) {
      const known = mobilePaths.get(p.id);
      const to = { addr: p.addr, port: p.port };
      const same = known && endpointKey(known.to) === endpointKey(to);
      if (same && now() - known.heard < rules.quietMs) continue;
      // a new address has not been heard from: punched at once, not after the old one went quiet
      mobilePaths.set(p.id, { name: p.name, to, heard: same ? known.heard : 0, punchUntil: now() + rules.punchForMs });
      ctx.log.log('punch.start', { remote: `${p.name} ${endpointKey(to)}` });
    }
  });
  // Punch toward mobile paths not heard from lately (opens this side's NAT for their pings).
  const puncher = setInterval(() => {
    const t = now();
    if (copyUntil && t > copyUntil) stopCopies();
    if (!affordable() !== overBudget) {
      overBudget = !overBudget;
      if (overBudget) stopCopies();
      ctx.log.logOther('standby.budget', { over: overBudget, spent: spent(), mediaBytes });
    }
    for (const [id, p] of mobilePaths) {
      if (t - p.heard < rules.quietMs || t > p.punchUntil) continue;
      overhead.keepalive += PROBE_LEN;
      void ps.socket.send(encodeProbe(secret, { kind: 'ping', path: id, seq: 0, sentAt: t }), p.to.port, p.to.addr).catch(() => {});
    }
  }, rules.punchEveryMs);

  const offProbe = onRawPacket(ps.socket, (msg, from) => {
    const t = now();
    if (msg[0] !== PROBE_TAG) {   // the connection's packets: the path they come on is open (QUIC checks them)
      for (const p of mobilePaths.values()) if (p.to.addr === from.address && p.to.port === from.port) p.heard = t;
      return;
    }
    const probe: Probe | null = decodeProbe(secret, msg, t);
    if (!probe || probe.kind === 'pong') return;
    const p = mobilePaths.get(probe.path) ?? { name: `path${probe.path}`, to: { addr: from.address, port: from.port }, heard: 0, punchUntil: 0 };
    p.to = { addr: from.address, port: from.port };   // authenticated: its current (peer-reflexive) address
    p.heard = t;
    mobilePaths.set(probe.path, p);
    if (probe.kind === 'suspect') {
      if (redundancy !== 'suspect' || probe.path === primaryId || overBudget) return;
      layer.setCopy({ to: p.to, via: ps.socket });
      copyUntil = t + rules.copyWindowMs;
      ctx.log.logOther('standby.suspect', { copyOn: p.name, lastSeq: probe.seq });
      // the re-sends first (on both paths now): within a budget they are worth more than the copies after
      if (rules.repairOnSuspect) repair(probe.seq, t);
      return;
    }
    if (probe.kind === 'ping') {
      if (probe.upkeep !== undefined) mobileUpkeep = Math.max(mobileUpkeep, probe.upkeep);
      if (redundancy === 'always' && probe.path !== primaryId && !overBudget) layer.setCopy({ to: p.to, via: ps.socket });
      const pong = encodeProbe(secret, { kind: 'pong', path: probe.path, seq: probe.seq, sentAt: probe.sentAt });
      overhead.keepalive += pong.length;   // the ping is counted by its sender, the mobile
      void ps.socket.send(pong, from.port, from.address).catch(() => {});
      return;
    }
    if (probe.sentAt <= lastSwitch) return;   // a copy of the switch already obeyed
    lastSwitch = probe.sentAt;
    primaryId = probe.path;
    layer.setDirect({ to: p.to, via: ps.socket });
    if (redundancy !== 'off') { layer.setCopy(null); copyUntil = 0; }   // always: the next ping from another path sets it again
    ctx.log.logOther('standby.switch', { to: p.name, lastSeq: probe.seq });
    repair(probe.seq, t);
  });
  /** Loss repair: what the mobile missed after `lastSeq` and can still play in time goes again, on the
   *  paths in use now; a frame once re-sent after a `suspect` is not re-sent for the next one. */
  const repair = (lastSeq: number, t: number) => {
    const deadline = t - ctx.audio.jitterBufferMs + 10;
    for (const r of recent) {
      if (r.seq <= lastSeq || r.sentAt <= deadline || !datagrams || (rules.repairOnSuspect && r.seq <= repairedUpTo)) continue;
      if (!affordable()) break;
      overhead.duplicate += r.frame.length;
      repairedUpTo = Math.max(repairedUpTo, r.seq);
      void datagrams.send(r.frame);
    }
  };

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
        mediaBytes += frame.length;
        recent.push({ frame, seq: decodeFrame(frame)?.seq ?? -1, sentAt });
        if (recent.length > 50) recent.shift();
        direct.send(frame, sentAt);
      },
    };
    ctx.log.log('path', { state: layer.path });
  }, rules.quicPings ? {} : PathLayer.noQuicPings);
  const audio = streamAudio(ctx, () => route);
  await holdPeer(ctx, peer, {
    stop: [audio, () => clearInterval(puncher), offProbe],
    close: async () => {
      await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
      await server.stop({ force: true }).catch(() => {});
      await layer.close();
    },
  });
}
