// standby's answerer: follows the mobile's switches, pongs its probes, copies while asked, re-sends what the mobile missed.
import type { QUICConnection } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import { decodeFrame } from '../shared/audio.ts';
import { PathLayer } from '../shared/paths.ts';
import { overhead } from '../shared/overhead.ts';
import { now } from '../shared/peer.ts';
import { Signals } from '../shared/control.ts';
import { holdPeer, openPeer } from '../shared/peer-role.ts';
import { attachDatagrams, onRawPacket, type Datagrams } from '../shared/quic.ts';
import { endpointKey, type Endpoint } from '../shared/signalling.ts';
import { directRoute, streamAudio, type AudioRoute } from '../shared/streaming.ts';
import { decodeProbe, encodeProbe, PROBE_LEN, PROBE_TAG, type Probe } from './probe.ts';
import { DEAD_MS, PUNCH_INTERVAL_MS, SUSPECT_WINDOW_MS, type StandbySignals } from './shared.ts';

export async function answerer(ctx: RoleContext): Promise<void> {
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

  const signals = new Signals<StandbySignals>(control);
  signals.on('standby-relay', () => { primaryId = -1; layer.useRelay(); ctx.log.logOther('standby.switch', { to: 'relay' }); });
  signals.on('standby', (body) => {
    for (const p of body.paths ?? []) {
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
  await holdPeer(ctx, peer, {
    stop: [audio, () => clearInterval(puncher), offProbe],
    close: async () => {
      await (conn as QUICConnection | null)?.stop({ force: true }).catch(() => {});
      await server.stop({ force: true }).catch(() => {});
      await layer.close();
    },
  });
}
