// Checks from the capture (issue 18, after the QUIC interop runner): what the packets of a captured
// run say, set beside what the bench measured from its logs. An independent observer: a
// disagreement is reported in the run's meta.json (`captureChecks`), never hidden; a check the
// capture cannot decide (no plain QUIC between the peers: WebRTC, overlay's tagged packets) says so.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { BuildInfo } from '../driver.ts';
import type { RunMetrics } from '../metrics.ts';

export interface CaptureCheck { name: string; verdict: 'agree' | 'disagree' | 'n/a'; detail: string }

/** tshark's fields, one packet a line, tab-separated (nothing if tshark cannot read the file). */
function fields(pcap: string, filter: string, names: string[]): string[][] {
  try {
    return execFileSync('tshark', ['-n', '-r', pcap, '-Y', filter, '-T', 'fields', ...names.flatMap((n) => ['-e', n])],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 }).split('\n').filter(Boolean).map((l) => l.split('\t'));
  } catch {
    return [];
  }
}

/** P2P QUIC connections the mobile opened: distinct source connection ids of the Initial packets
 *  it sent to anything but the intermediate. Rows: ip.src, ip.dst, quic.scid (the first counts, for
 *  a coalesced datagram). */
export function p2pConnections(rows: string[][], mobile: readonly string[], intermediate: readonly string[]): number {
  return new Set(rows.filter(([src, dst]) => mobile.includes(src!) && !intermediate.includes(dst!))
    .map(([, , scid]) => scid!.split(',')[0])).size;
}

/** Endpoints (address:port) other than the intermediate's that sent to the answerer's NAT from `t`
 *  on and never before it. Rows: frame.time_epoch (s), ip.src, udp.srcport, ip.dst; the NAT's own
 *  address is the one the intermediate sends to. */
export function newPeerEndpoints(rows: string[][], intermediate: readonly string[], tMs: number): string[] {
  const own = new Set(rows.filter(([, src]) => intermediate.includes(src!)).map(([, , , dst]) => dst!));
  const peers = rows.filter(([, src]) => !intermediate.includes(src!) && !own.has(src!)).map(([t, src, port]) => [Number(t) * 1000, `${src}:${port}`] as const);
  const before = new Set(peers.filter(([t]) => t < tMs).map(([, e]) => e));
  return [...new Set(peers.filter(([t]) => t >= tMs).map(([, e]) => e))].filter((e) => !before.has(e));
}

/** The checks of one captured run: the P2P handshakes the bench counted, against the capture's; and
 *  after the mobile moved to another uplink (`moved`) in a run that returned to direct, the answerer's
 *  NAT hearing the mobile from a new endpoint. */
export function captureChecks(dir: string, info: BuildInfo, metrics: RunMetrics, eventT: number | null, moved: boolean): CaptureCheck[] {
  const mobile = (info.hosts.mobile ?? []).map((u) => u.addr);
  const initials = info.linkEnds.filter((e) => e.node === 'mobile')
    .flatMap((e) => fields(path.join(dir, `${e.dev}.pcap`), 'quic.long.packet_type == 0', ['ip.src', 'ip.dst', 'quic.scid']));
  const seen = p2pConnections(initials, mobile, info.intermediate);
  const checks: CaptureCheck[] = [seen === 0
    ? { name: 'handshakes', verdict: 'n/a', detail: 'no plain QUIC between the peers in the capture' }
    : { name: 'handshakes', verdict: seen === metrics.handshakes ? 'agree' : 'disagree',
      detail: `the bench counted ${metrics.handshakes} P2P handshakes, the capture shows ${seen} P2P QUIC connections opened by the mobile` }];
  const nat = info.linkEnds.find((e) => e.slot === 'answerer');
  if (eventT === null || !moved || metrics.direct_ms === null || !nat) {
    checks.push({ name: 'new address', verdict: 'n/a', detail: 'the mobile did not move to another uplink, or the run never went direct again' });
  } else {
    const fresh = newPeerEndpoints(fields(path.join(dir, `${nat.dev}.pcap`), 'udp', ['frame.time_epoch', 'ip.src', 'udp.srcport', 'ip.dst']), info.intermediate, eventT);
    checks.push({ name: 'new address', verdict: fresh.length ? 'agree' : 'disagree',
      detail: fresh.length ? `the answerer's NAT saw ${fresh.join(', ')} first after the event, and the bench saw direct audio again`
        : 'the bench saw direct audio again after the event, but the answerer\'s NAT saw no new address' });
  }
  return checks;
}
