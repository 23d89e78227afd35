// How the warm-path mobile (mobile.ts) chooses its paths — the one thing `seamless` changes
// (strategies/seamless/policy.ts): which path carries the audio and which gets a copy, how often each
// path is pinged, and whether the choice is made again on every ping tick (a policy that watches a
// path's quality) or only when something happens (a path up or lost, a change, suspect on or over).
import { PathSelector, type PathPolicy, type Redundancy } from '../shared/path-selector.ts';
import { DEAD_MS, KEEPALIVE_MS, PUNCH_INTERVAL_MS, SUSPECT_WINDOW_MS } from './shared.ts';

/** A path as the ping schedule sees it. */
export interface PathState {
  id: number; up: boolean; primary: boolean;
  /** Since the last thing that may open it: the start, a new address, its route back. */
  retryForMs: number;
  /** Since it was lost (or since the start, if never up). */
  downForMs: number;
  /** The OS moved the route away from its uplink (netlink), and nothing has brought it back. */
  routeLost: boolean;
}

export interface MobilePolicy extends PathPolicy {
  /** How long after its last ping a path is pinged again: an up path's keep-warm (and all a policy
   *  sees of it), a path not up's punching. A path unanswered for 2.5 of its intervals (at least
   *  DEAD_MS) is lost. */
  pingEveryMs(p: PathState, t: number): number;
  /** How often a path down for DEAD_MS or more learns its reflexive address again and tells the
   *  answerer, which punches toward it again (its NAT may have moved it). */
  relearnEveryMs(p: PathState): number;
  /** A ping sent on path `path` / its pong back, for a policy that reads them. */
  pinged?(path: number, seq: number, t: number): void;
  ponged?(path: number, seq: number, t: number): void;
  /** A frame that arrived on path `path` (null: the relay), sent at `sentAt` by the answerer's clock. */
  heard?(path: number | null, seq: number, sentAt: number, t: number): void;
  /** Asked on every ping tick, if present: the choice is made again, and while `suspect` the
   *  answerer is asked for copies (`redundancy=suspect`). */
  watch?(t: number): { suspect: boolean; why: string };
  /** Why its last choice moved the primary, in its own terms (logged with the switch). */
  reason?(): string;
  /** How long one `suspect` lasts on this side (the answerer's copies last as long: the strategy's
   *  answerer is told the same). */
  suspectWindowMs: number;
  /** Whether this side copies its own packets (QUIC ACKs) onto the copy path too. */
  copiesOwnPackets: boolean;
  /** Whether the P2P connection sends QUIC keepalive PINGs (PathLayer.noQuicPings if not). */
  quicPings: boolean;
  /** Whether pings carry this side's bytes beyond the media so far (for a budgeted answerer). */
  reportsUpkeep: boolean;
  /** Whether, with no direct path, the relay's packets leave from the uplink this side chooses (the
   *  OS's route, then the next uplink when the audio stops) rather than always the OS's route. */
  steersRelay: boolean;
}

/** standby's: the OS's preferred uplink while its path answers at all (PathSelector), pings every
 *  KEEPALIVE_MS, punches every PUNCH_INTERVAL_MS, a choice only on events. */
export function osPolicy(redundancy: Redundancy): MobilePolicy {
  const selector = new PathSelector(redundancy);
  return {
    pingEveryMs: (p) => (p.up ? KEEPALIVE_MS : PUNCH_INTERVAL_MS),
    relearnEveryMs: () => DEAD_MS,
    select: (paths, hints) => selector.select(paths, hints),
    suspectWindowMs: SUSPECT_WINDOW_MS,
    copiesOwnPackets: true,
    quicPings: true,
    reportsUpkeep: false,
    steersRelay: false,
  };
}
