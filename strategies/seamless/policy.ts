// seamless's choice of paths: what each path's probes say over the last second (PathWindow), judged by
// the quality-aware selector (QualityPathSelector), instead of the OS's preference. Every path is
// probed every PROBE_MS; the choice is made again on every tick, so a primary that degrades (a fading
// Wi-Fi, a Wi-Fi gone silent while its link is up) is left before the OS acts; while the primary is not
// good, the best good other path gets a copy of everything (docs/strategies.md "seamless").
import { PathWindow, type PathQuality } from '../shared/path-quality.ts';
import { QualityPathSelector, type CandidatePath, type Health, type QualityPath, type Redundancy, type SelectionHints } from '../shared/path-selector.ts';
import { now } from '../shared/peer.ts';
import type { MobilePolicy } from '../standby/policy.ts';

/** What PathWindow's loss and silence thresholds assume (QUALITY_RULES: 2.5 intervals of silence). */
export const PROBE_MS = 100;

const describe = (id: number, health: Health, q: PathQuality) =>
  `path ${id} ${health} (loss ${q.loss === null ? '∅' : `${Math.round(q.loss * 100)} %`}, rtt ${q.rttMs?.toFixed(0) ?? '∅'} ms, silent ${q.silentMs.toFixed(0)} ms)`;

export function qualityPolicy(redundancy: Redundancy): MobilePolicy {
  const windows = new Map<number, PathWindow>();
  const window = (id: number) => {
    let w = windows.get(id);
    if (!w) windows.set(id, w = new PathWindow());
    return w;
  };
  const selector = new QualityPathSelector();
  let primary: number | null = null;
  let reason = '';
  let seen: readonly CandidatePath[] = [];
  const judged = (paths: readonly CandidatePath[], t: number, avoid: number | null = null): QualityPath[] =>
    paths.map((p) => ({ id: p.id, up: p.up && p.id !== avoid, osPreferred: p.osPreferred, quality: window(p.id).quality(t) }));

  return {
    pingEveryMs: PROBE_MS,
    pinged: (path, seq, t) => window(path).sent(seq, t),
    ponged: (path, seq, t) => window(path).answered(seq, t),
    select(paths, hints: SelectionHints = {}) {
      const t = now();
      seen = paths;
      const qs = judged(paths, t, hints.avoid ?? null);
      const was = qs.find((q) => q.id === primary);
      const chosen = selector.select(qs, t);
      const health = new Map(qs.map((q) => [q.id, selector.health(q)]));
      if (chosen.changed) reason = was ? `${chosen.why}: ${describe(was.id, health.get(was.id)!, was.quality)}` : chosen.why;
      primary = chosen.primary;
      const copying = redundancy === 'always' ||
        (redundancy === 'suspect' && (hints.suspect === true || (primary !== null && health.get(primary) !== 'good')));
      const copy = copying ? qs.find((q) => q.id !== primary && health.get(q.id) === 'good') ?? null : null;
      return { primary, copy: copy?.id ?? null };
    },
    reason: () => reason,
    watch(t) {
      const q = judged(seen, t).find((p) => p.id === primary);
      if (!q) return { suspect: false, why: 'quality' };
      const health = selector.health(q);
      return { suspect: health !== 'good', why: describe(q.id, health, q.quality) };
    },
  };
}
