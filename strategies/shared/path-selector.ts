// Which direct path carries the audio, and which one gets a copy, after iroh's PathSelector. Two
// policies over the same candidates (one per mobile uplink), both applied by one caller,
// PathLayer.reselect: PathSelector (standby's) follows the OS's preference while a path answers at
// all; QualityPathSelector (seamless's, through strategies/seamless/policy.ts) reads loss, RTT and
// jitter (path-quality.ts) and leaves a degrading primary before the OS does, with hysteresis. The relay is what is left when no direct path will do. Pure:
// unit-tested on synthetic path sets and traces (test/unit/path-selector.test.ts).
import type { PathQuality } from './path-quality.ts';

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

/** What PathLayer.reselect applies: a choice of primary and copy among the candidates. */
export interface PathPolicy { select(paths: readonly CandidatePath[], hints?: SelectionHints): Selection }

export class PathSelector implements PathPolicy {
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

// -- quality-aware: a primary chosen on what the probes say, before the OS acts ------------------------
/** A candidate path with what its probes say (path-quality.ts). */
export interface QualityPath { id: number; up: boolean; osPreferred: boolean; quality: PathQuality }
export type Health = 'good' | 'degraded' | 'down';

/** The thresholds, and why (docs/strategies.md "seamless"). */
export const QUALITY_RULES = {
  /** A tenth of the last second's probes unanswered: a fading or congested path. */
  lossDegraded: 0.1,
  /** No answer for 2.5 probe intervals (100 ms): the path may be breaking. */
  silentDegradedMs: 250,
  /** The next frame 40 ms overdue on the path carrying the audio: two frames missing, where a Wi-Fi's
   *  delay varies by a few ms (a path's audio is watched fifty times a second, not ten). */
  mediaSilentDegradedMs: 40,
  /** No answer for this long: gone (standby's DEAD_MS). */
  silentDownMs: 1200,
  /** RTT this much above the path's best: a queue building up (a fading Wi-Fi's delay grows). */
  rttExcessMs: 150,
  /** A path lost within this long does not win back by preference (no ping-pong on a flapping path). */
  flapHoldMs: 30_000,
  /** A preferred path good for this long takes the audio back (arriving home). */
  preferAfterMs: 2000,
};

/** The quality-aware policy, stateful for its hysteresis: the primary stays while it is good; a
 *  degraded or lost primary is left for the best good path (the OS's preferred first, else the lowest
 *  score: RTT + 2·jitter + loss·1000 ms); with none good, the best degraded one, else the relay (null).
 *  A good preferred path takes the audio back after `preferAfterMs` of health, but not within
 *  `flapHoldMs` of having been lost. */
export class QualityPathSelector {
  private primary: number | null = null;
  private readonly goodSince = new Map<number, number>();
  private readonly lostAt = new Map<number, number>();
  private readonly bestRtt = new Map<number, number>();
  constructor(readonly rules = QUALITY_RULES) {}

  health(p: QualityPath): Health {
    const q = p.quality, r = this.rules;
    if (!p.up || q.silentMs >= r.silentDownMs) return 'down';
    if ((q.loss ?? 0) >= r.lossDegraded || q.silentMs >= (q.source === 'media' ? r.mediaSilentDegradedMs : r.silentDegradedMs)) return 'degraded';
    const best = this.bestRtt.get(p.id);
    return q.rttMs !== null && best !== undefined && q.rttMs > best + r.rttExcessMs ? 'degraded' : 'good';
  }

  /** The primary at `t` (null: the relay), whether it changed, and why. */
  select(paths: readonly QualityPath[], t: number): { primary: number | null; changed: boolean; why: string } {
    const health = new Map(paths.map((p) => [p.id, this.health(p)]));
    for (const p of paths) {
      if (p.quality.rttMs !== null && health.get(p.id) === 'good') this.bestRtt.set(p.id, Math.min(this.bestRtt.get(p.id) ?? Infinity, p.quality.rttMs));
      if (health.get(p.id) === 'good') { if (!this.goodSince.has(p.id)) this.goodSince.set(p.id, t); continue; }
      if (this.goodSince.has(p.id)) this.lostAt.set(p.id, t);
      this.goodSince.delete(p.id);
    }
    const good = paths.filter((p) => health.get(p.id) === 'good');
    const current = paths.find((p) => p.id === this.primary);
    let next = current ?? null, why = 'stays';
    if (!current || health.get(current.id) !== 'good') {
      next = pick(good) ?? pick(paths.filter((p) => health.get(p.id) === 'degraded')) ?? null;
      why = current ? `${current.id} ${health.get(current.id)}` : 'no primary';
    } else if (!current.osPreferred) {
      const home = good.find((p) => p.osPreferred && t - this.goodSince.get(p.id)! >= this.rules.preferAfterMs &&
        t - (this.lostAt.get(p.id) ?? -Infinity) >= this.rules.flapHoldMs);
      if (home) { next = home; why = `${home.id} preferred and good`; }
    }
    const primary = next?.id ?? null;
    const changed = primary !== this.primary;
    this.primary = primary;
    return { primary, changed, why: changed ? why : 'stays' };
  }
}

const score = (q: PathQuality) => (q.rttMs ?? 1000) + 2 * q.jitterMs + 1000 * (q.loss ?? 0);
function pick(paths: readonly QualityPath[]): QualityPath | null {
  return paths.find((p) => p.osPreferred) ?? [...paths].sort((a, b) => score(a.quality) - score(b.quality))[0] ?? null;
}
