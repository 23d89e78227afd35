// How the warm-path mobile (mobile.ts) chooses its paths — the one thing `seamless` changes
// (strategies/seamless/policy.ts): which path carries the audio and which gets a copy, how often an up
// path is pinged, and whether the choice is made again on every ping tick (a policy that watches a
// path's quality) or only when something happens (a path up or lost, a change, suspect on or over).
import { PathSelector, type PathPolicy, type Redundancy } from '../shared/path-selector.ts';
import { KEEPALIVE_MS } from './shared.ts';

export interface MobilePolicy extends PathPolicy {
  /** How often an up path is pinged: its keep-warm, and all a policy sees of it. */
  pingEveryMs: number;
  /** A ping sent on path `path` / its pong back, for a policy that reads them. */
  pinged?(path: number, seq: number, t: number): void;
  ponged?(path: number, seq: number, t: number): void;
  /** Asked on every ping tick, if present: the choice is made again, and while `suspect` the
   *  answerer is asked for copies (`redundancy=suspect`). */
  watch?(t: number): { suspect: boolean; why: string };
  /** Why its last choice moved the primary, in its own terms (logged with the switch). */
  reason?(): string;
}

/** standby's: the OS's preferred uplink while its path answers at all (PathSelector), pings every
 *  KEEPALIVE_MS, a choice only on events. */
export function osPolicy(redundancy: Redundancy): MobilePolicy {
  const selector = new PathSelector(redundancy);
  return { pingEveryMs: KEEPALIVE_MS, select: (paths, hints) => selector.select(paths, hints) };
}
