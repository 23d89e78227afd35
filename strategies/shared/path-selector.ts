// Which direct path carries the audio, and which one gets a copy: a small policy with one caller
// (PathLayer.reselect), after iroh's PathSelector. Candidate paths in (one per mobile uplink: up or
// not, its measured RTT, whether the OS prefers its uplink), {primary, copy} out; the relay is what
// is left when no direct path is up. Pure, so it is unit-tested on synthetic path sets.

export interface CandidatePath { id: number; up: boolean; rttMs: number | null; osPreferred: boolean }
/** Copy every packet onto a second path: never; always (the upper bound); only while the primary is suspect. */
export type Redundancy = 'off' | 'always' | 'suspect';
/** A path id, or null for the relay (primary) / no copy. */
export interface Selection { primary: number | null; copy: number | null }
export interface SelectionHints {
  /** A path not to use even if it looks up (the one that just failed). */
  avoid?: number | null;
  /** The primary looks broken (frames overdue, an uplink change just now). */
  suspect?: boolean;
}

export class PathSelector {
  constructor(readonly redundancy: Redundancy = 'off') {}

  /** The primary: the OS-preferred uplink's path if it is up, else the fastest path up, else the
   *  relay. The copy (per `redundancy`): the best other path up. */
  select(paths: readonly CandidatePath[], hints: SelectionHints = {}): Selection {
    const primary = best(paths.filter((p) => p.id !== hints.avoid));
    const copying = this.redundancy === 'always' || (this.redundancy === 'suspect' && hints.suspect === true);
    const copy = copying ? best(paths.filter((p) => p.id !== primary?.id)) : null;
    return { primary: primary?.id ?? null, copy: copy?.id ?? null };
  }
}

function best(paths: readonly CandidatePath[]): CandidatePath | null {
  const up = paths.filter((p) => p.up);
  return up.find((p) => p.osPreferred) ?? [...up].sort((a, b) => (a.rttMs ?? Infinity) - (b.rttMs ?? Infinity))[0] ?? null;
}
