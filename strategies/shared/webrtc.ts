// What the WebRTC strategies (ice-restart with node-datachannel, ice-restart-werift) share:
// coturn beside the intermediate, the `trigger` option, signalling bodies tagged with the
// ICE/PeerConnection generation, and the ice.state / ice.pair events.
import type { RoleContext, Strategy, StrategyOption } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { runIntermediate } from './intermediate.ts';
import { ChangeDetector, LIVENESS_OPTION } from './netwatch.ts';
import { startTurn } from './turn.ts';
import { countingUpkeep } from './nftcount.ts';
import { FAMILY_OPTION } from './family.ts';

export const WEBRTC_OPTIONS: Record<string, StrategyOption> = {
  trigger: {
    describe: 'what starts the re-negotiation: app (netlink/liveness, and the ICE state) or ice (the ICE state only, ' +
      'as an app that ignores OS events)', default: 'app', values: ['app', 'ice'],
  },
  relayOnly: {
    describe: 'peers that gather relay candidates only (ICE transport policy "relay"), e.g. to put TURN on one ' +
      'side of the path: none, mobile, answerer or both', default: 'none', values: ['none', 'mobile', 'answerer', 'both'],
  },
  ...LIVENESS_OPTION,
  // the signalling connection's family (shared/family.ts); werift gathers IPv6 candidates only with it
  ...FAMILY_OPTION,
};

/** A connection attempt (a new PeerConnection, an ICE restart) not connected this long after its offer
 *  is given up and a new one offered, as a WebRTC app's connection timeout would: once in 480 runs of
 *  the default matrix ICE connected (TURN, symmetric NATs) and ice-restart's channel never opened. The
 *  slowest open seen was 3.3 s. */
export const OPEN_TIMEOUT_MS = 5000;

/** This role's ICE transport policy under `--opt relayOnly=`. */
export const icePolicy = (ctx: RoleContext): 'all' | 'relay' =>
  [ctx.role, 'both'].includes(ctx.option('relayOnly')) ? 'relay' : 'all';

/** Every STUN-format message a WebRTC peer sends — connectivity checks, consent freshness, TURN
 *  allocations, permissions, channel binds and refreshes: its path upkeep, as hole punches and probes
 *  are the QUIC strategies'. The stacks do not report them, so nftables in the peer's namespace
 *  counts them (the STUN magic cookie at byte 4 of the UDP payload); a Send indication carries
 *  audio, not upkeep, and is left out. Added to the role's keepalive overhead. */
const STUN_UPKEEP = [{ name: 'stun', match: ['meta', 'l4proto', 'udp', '@th,96,32', '0x2112a442', '@th,64,16', '!=', '0x0016'], framing: 0 }];

export const countingStunUpkeep = (role: (ctx: RoleContext) => Promise<void>) => countingUpkeep('migbench_stun', STUN_UPKEEP, role);

/** The intermediate of a WebRTC strategy: the usual rendezvous/signalling plus coturn (STUN+TURN). */
export const intermediateWithTurn: Strategy['intermediate'] = async (ctx) => {
  const turn = await startTurn(ctx);
  try { await runIntermediate(ctx); } finally { await turn.stop(); }
};

/** With `trigger=app` the shared netlink/liveness detector calls `onChange`; with `trigger=ice`
 *  there is none and only the ICE state machine (see `iceStateSays`) notices anything. */
export const appDetector = (ctx: RoleContext, onChange: () => void): ChangeDetector | null =>
  ctx.option('trigger') === 'app' ? new ChangeDetector(ctx, onChange) : null;

/** Logs an ICE state; returns true (and logs the detection) when the state means the path is gone. */
export function iceStateSays(ctx: RoleContext, gen: number, state: string): boolean {
  ctx.log.logOther('ice.state', { gen, state });
  if (state !== 'disconnected' && state !== 'failed') return false;
  ctx.log.log('netchange.detected', { via: 'ice', detail: state });
  return true;
}

export interface CandidateInfo { type: string; address: string; port: number }
/** Logs the selected candidate pair; host/srflx/prflx pairs are direct, a relay candidate on either
 *  side means TURN. `extra`: what else the stack tells about it (libwebrtc: its count of pair changes). */
export function logPair(ctx: RoleContext, gen: number, local: CandidateInfo, remote: CandidateInfo,
  extra: Record<string, unknown> = {}): PathKind {
  const path: PathKind = local.type === 'relay' || remote.type === 'relay' ? 'relay' : 'direct';
  ctx.log.logOther('ice.pair', { gen, local: `${local.type} ${local.address}:${local.port}`,
    remote: `${remote.type} ${remote.address}:${remote.port}`, path, ...extra });
  return path;
}

/** The generation a signalling body belongs to (-1 if it names none). */
export const genOf = (body: unknown) => (typeof (body as { gen?: unknown })?.gen === 'number' ? (body as { gen: number }).gen : -1);
export interface SdpSignal { gen: number; sdp: string; type: string }
