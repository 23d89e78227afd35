// Checks from the capture (issue 18, after the QUIC interop runner): what the packets of a captured
// run say, set beside what the bench measured from its logs. An independent observer: a
// disagreement is reported in the run's meta.json (`captureChecks`), never hidden; a check the
// capture cannot decide (no plain QUIC between the peers: WebRTC, overlay's tagged packets) says so.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { BuildInfo } from '../driver.ts';
import type { RunMetrics } from '../metrics.ts';
import { mergeLogs } from '../event-logs.ts';
import type { CaptureCheck } from '../records.ts';

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

/** Where the answerer's NAT sent most of its packets for the peer (address:port, anything but the
 *  intermediate) in [fromMs, toMs): the mobile's endpoint as the direct path saw it; null if none.
 *  Rows: frame.time_epoch (s), ip.src, ip.dst, udp.dstport; the NAT's own address is the one the
 *  intermediate sends to. */
export function peerEndpoint(rows: string[][], intermediate: readonly string[], fromMs: number, toMs: number): string | null {
  const own = new Set(rows.filter(([, src]) => intermediate.includes(src!)).map(([, , dst]) => dst!));
  const counts = new Map<string, number>();
  for (const [t, src, dst, port] of rows) {
    const ms = Number(t) * 1000;
    if (ms < fromMs || ms >= toMs || !own.has(src!) || intermediate.includes(dst!)) continue;
    counts.set(`${dst}:${port}`, (counts.get(`${dst}:${port}`) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/** The window either side of the event that names the direct path's endpoint (ms). */
export const ENDPOINT_WINDOW_MS = 1000;

/** The audio frames' seqs in the relay packets the intermediate sent: read from the bytes, as an
 *  observer would — the relay's 9-byte header (tag 0x3E, session, counter: strategies/shared/relay.ts),
 *  then the frame (0xA1 PCM or 0xA2 Opus, flags, seq u32 big-endian: docs/audio.md). Rows: ip.src, data.data (hex). */
export function relayedSeqs(rows: string[][], intermediate: readonly string[]): Set<number> {
  const seqs = new Set<number>();
  for (const [src, hex] of rows) {
    if (!intermediate.includes(src!) || !hex || hex.length < 30 || !hex.startsWith('3e') || !['a1', 'a2'].includes(hex.slice(18, 20))) continue;
    seqs.add(parseInt(hex.slice(22, 30), 16));
  }
  return seqs;
}

/** Frames the mobile counted as arrived by the relay, against the relay packets the capture saw leave
 *  the intermediate: each counted frame must be among them (the converse need not hold: a relayed
 *  copy may be lost on the way, or come second to a direct one). */
export function relayCheck(counted: ReadonlySet<number>, captured: ReadonlySet<number>): CaptureCheck {
  if (!counted.size) return { name: 'relayed frames', verdict: 'n/a', detail: `the mobile counted no frame by the relay (the capture shows ${captured.size} relayed)` };
  if (!captured.size) {
    return { name: 'relayed frames', verdict: 'n/a', detail: `the mobile counted ${counted.size} frames by a relay, and no relay packet of the capture carries a plain audio frame: this strategy's relay carries them encrypted` };
  }
  const missing = [...counted].filter((seq) => !captured.has(seq));
  return { name: 'relayed frames', verdict: missing.length ? 'disagree' : 'agree',
    detail: missing.length ? `${missing.length} of the ${counted.size} frames the mobile counted as relayed are in no relay packet of the capture (first: seq ${missing[0]})`
      : `the ${counted.size} frames the mobile counted as relayed are all in the ${captured.size} relay packets the capture saw leave the intermediate` };
}

/** The checks of one captured run: the P2P handshakes the bench counted, against the capture's; and
 *  after an event that gave the mobile a new public endpoint (`newEndpoint`: another uplink, or its
 *  NAT's new ports) in a run that returned to direct, the answerer's NAT sending to a new endpoint
 *  of the mobile: not only hearing one (make-before-break heard it before the event); and the frames
 *  the mobile counted as relayed, in the relay packets the intermediate sent. */
export function captureChecks(dir: string, info: BuildInfo, metrics: RunMetrics, eventT: number | null, newEndpoint: boolean): CaptureCheck[] {
  const mobile = (info.hosts.mobile ?? []).map((u) => u.addr);
  const initials = info.linkEnds.filter((e) => e.node === 'mobile')
    .flatMap((e) => fields(path.join(dir, `${e.dev}.pcap`), 'quic.long.packet_type == 0', ['ip.src', 'ip.dst', 'quic.scid']));
  const seen = p2pConnections(initials, mobile, info.intermediate);
  const checks: CaptureCheck[] = [seen === 0
    ? { name: 'handshakes', verdict: 'n/a', detail: 'no plain QUIC between the peers in the capture' }
    : { name: 'handshakes', verdict: seen === metrics.handshakes ? 'agree' : 'disagree',
      detail: `the bench counted ${metrics.handshakes} P2P handshakes, the capture shows ${seen} P2P QUIC connections opened by the mobile` }];
  const nat = info.linkEnds.find((e) => e.slot === 'answerer');
  if (eventT === null || !newEndpoint || metrics.direct_ms === null || !nat) {
    checks.push({ name: 'new address', verdict: 'n/a', detail: 'the mobile got no new public endpoint (no uplink move, no NAT rebinding), or the run never went direct again' });
  } else {
    // not ICMP: an ICMP error quotes the packet it answers, and tshark lists both headers' addresses
    const rows = fields(path.join(dir, `${nat.dev}.pcap`), 'udp && !icmp', ['frame.time_epoch', 'ip.src', 'ip.dst', 'udp.dstport']);
    const before = peerEndpoint(rows, info.intermediate, eventT - ENDPOINT_WINDOW_MS, eventT);
    const back = eventT + metrics.direct_ms;
    const after = peerEndpoint(rows, info.intermediate, back, back + ENDPOINT_WINDOW_MS);
    checks.push(before === null ? { name: 'new address', verdict: 'n/a', detail: 'the answerer\'s NAT sent nothing to the peer in the second before the event' }
      : { name: 'new address', verdict: after !== null && after !== before ? 'agree' : 'disagree',
        detail: `the answerer's NAT sent to the peer at ${before} before the event and at ${after ?? 'nothing'} once the bench saw direct audio again` });
  }
  const central = info.linkEnds.find((e) => e.node === 'intermediate');
  if (central) {
    const counted = new Set(mergeLogs(dir).filter((e) => e.type === 'audio.recv' && e.role === 'mobile' && e['path'] === 'relay').map((e) => e['seq'] as number));
    checks.push(relayCheck(counted, relayedSeqs(fields(path.join(dir, `${central.dev}.pcap`), 'udp && !icmp && data.data', ['ip.src', 'data.data']), info.intermediate)));
  }
  return checks;
}
