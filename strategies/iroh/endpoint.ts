// A peer's iroh endpoint as the bench configures it — iroh's minimal preset (no n0 DNS or public
// relays), the intermediate's relay as its only relay, everything else at iroh's defaults — and
// what the run logs of it: its paths as iroh lists them. docs/strategies.md "iroh".
import { createHash } from 'node:crypto';
import * as iroh from '@number0/iroh';
import type { RoleContext } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { overhead } from '../shared/overhead.ts';

export const ALPN = [...Buffer.from('migbench/audio/0')];
/** TCP, beside the control server's UDP port. */
export const relayUrl = (ctx: RoleContext) => `http://${ctx.intermediate.addrs[0]}:${ctx.intermediate.controlPort}`;

export type PeerRole = 'answerer' | 'mobile';
/** Each peer's key, derived from its pairing's secret: the intermediate knows which two keys its
 *  relay serves without being told, and the mobile knows whom to dial. */
export function secretKey(secret: string, role: PeerRole): iroh.SecretKey {
  return iroh.SecretKey.fromBytes([...createHash('sha256').update(`migbench iroh ${role} ${secret}`).digest()]);
}
export const endpointIdHex = (secret: string, role: PeerRole) => Buffer.from(secretKey(secret, role).public().toBytes()).toString('hex');

export async function bindEndpoint(ctx: RoleContext, role: PeerRole): Promise<iroh.Endpoint> {
  const b = iroh.Endpoint.builder();
  iroh.presetMinimal(b);
  b.secretKey(secretKey(ctx.pairings[0]!.secret, role).toBytes());
  const relays = iroh.RelayMap.empty();
  relays.insert({ url: relayUrl(ctx) });   // no quicPort: no QUIC address discovery (relay.ts)
  b.relayMode(iroh.RelayMode.custom(relays));
  b.alpns([ALPN]);
  b.bindAddr('0.0.0.0:0');
  return b.bind();
}

/** iroh's IPv4 UDP port. `bindAddr` sets only the IPv4 socket: iroh binds an IPv6 one too, as by
 *  default, and uses it where the network has IPv6 (docs/strategies.md "IPv6"). */
export function udpPort(ep: iroh.Endpoint): number {
  const v4 = ep.boundSockets().find((s) => !s.startsWith('['));
  if (!v4) throw new Error(`iroh bound no IPv4 socket (${ep.boundSockets().join(', ')})`);
  return Number(v4.slice(v4.lastIndexOf(':') + 1));
}

export interface PathView { id: string; remote: string; relay: boolean; selected: boolean; rttMs: number; txBytes: number }
const view = (p: iroh.PathSnapshot): PathView => ({ id: p.id, remote: p.remoteAddr, relay: p.isRelay, selected: p.isSelected, rttMs: p.rttMs, txBytes: p.stats.udpTxBytes });

/** The connection's selected path as the audio's label; 'none' before iroh has selected one. */
export const selectedKind = (paths: PathView[]): PathKind | 'none' => {
  const s = paths.find((p) => p.selected);
  return s ? (s.relay ? 'relay' : 'direct') : 'none';
};

/** Polls iroh's path list every `everyMs` and logs it (`iroh.paths`) whenever a path opens, closes or
 *  is selected; `onChange` gets each new list. Polled, not watched: the binding's watchers panic
 *  when called from JavaScript in @number0/iroh 1.1.0 (docs/strategies.md "iroh"). What iroh sends
 *  on the paths the audio is not on — the relay path's upkeep once direct, probes and punches toward an
 *  address before it is selected — is its path upkeep (docs/costs.md). */
export function watchPaths(ctx: RoleContext, conn: iroh.Connection, onChange: (paths: PathView[]) => void, everyMs = 50): { stop(): void } {
  let last = '';
  const sent = new Map<string, { tx: number; inUse: boolean }>();
  const poll = () => {
    let snapshot: iroh.PathSnapshot[];
    try { snapshot = conn.paths(); } catch { return; }   // the connection is closing
    // iroh may open more than one path to the selected address and send on either: a path is in use
    // when it goes where the selected one goes
    const using = snapshot.find((p) => p.isSelected)?.remoteAddr;
    for (const p of snapshot) {
      const before = sent.get(p.id);
      const inUse = p.remoteAddr === using;
      // a path first seen in use is the one the connection was made on: its handshake is not upkeep
      if (before ? !before.inUse : !inUse) overhead.keepalive += p.stats.udpTxBytes - (before?.tx ?? 0);
      sent.set(p.id, { tx: p.stats.udpTxBytes, inUse });
    }
    const paths = snapshot.map(view);
    const key = paths.map((p) => `${p.id} ${p.remote} ${p.relay} ${p.selected}`).sort().join('|');
    if (key === last) return;
    last = key;
    ctx.log.logOther('iroh.paths', { paths });
    onChange(paths);
  };
  poll();
  const timer = setInterval(poll, everyMs);
  return { stop: () => clearInterval(timer) };
}
