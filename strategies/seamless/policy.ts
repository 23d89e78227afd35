// seamless's choice of paths: what each path's probes say (PathWindow) and, for the primary, what the
// audio arriving on it says (MediaWindow), judged by the quality-aware selector (QualityPathSelector)
// instead of the OS's preference; the choice is made again on every tick, so a primary that degrades
// (a fading Wi-Fi, a Wi-Fi gone silent while its link is up) is left before the OS acts. Its probes
// cost bytes, so it probes as little as it can (docs/strategies.md "seamless"): calm — the primary good
// and carrying audio — the standbys once a second, the primary every 5 s (its audio judges it fifty
// times a second); alert — the primary not good, or no audio on it yet — every path every 100 ms, so
// that the path it moves to is known good now, not a second ago.
import { MediaWindow, PathWindow, type PathQuality } from '../shared/path-quality.ts';
import { QualityPathSelector, type CandidatePath, type Health, type QualityPath, type Redundancy, type SelectionHints } from '../shared/path-selector.ts';
import { now } from '../shared/peer.ts';
import { FRAME_MS } from '../../core/playout.ts';
import type { MobilePolicy, PathState } from '../standby/policy.ts';
import { DEAD_MS } from '../standby/shared.ts';

/** Alert probing; what QUALITY_RULES' silence thresholds assume (2.5 intervals). */
export const PROBE_MS = 100;
/** Calm probing: the standbys' keep-warm (NAT bindings last ≥ 30 s) and their RTT. */
export const CALM_PROBE_MS = 1000;
/** The primary, judged by its audio, is pinged only for its RTT (the log's, and the selector's if the
 *  audio stops). */
export const PRIMARY_PROBE_MS = 5000;
/** A path not up is punched every PROBE_MS for PUNCH_BURST_MS after something that may open it (the
 *  start, a new address, the route back), else once a calm interval: a lost path's old addresses are
 *  not worth fifty punches a second (standby's), a gone Wi-Fi's even less. */
export const PUNCH_BURST_MS = 500;
/** A path's RTT for a new primary's first audio when its probes have none. */
const UNKNOWN_RTT_MS = 200;
/** How long one `suspect` makes the answerer copy; asked again while the primary stays not good. */
export const COPY_WINDOW_MS = 300;

const describe = (id: number, health: Health, q: PathQuality) =>
  `path ${id} ${health} (loss ${q.loss === null ? '∅' : `${Math.round(q.loss * 100)} %`}, rtt ${q.rttMs?.toFixed(0) ?? '∅'} ms, silent ${q.silentMs.toFixed(0)} ms)`;

/** `logMode`: told when probing turns calm or alert, and why. */
export function qualityPolicy(redundancy: Redundancy, logMode: (mode: 'calm' | 'alert', why: string) => void = () => {}): MobilePolicy {
  const probes = new Map<number, PathWindow>();
  const probed = (id: number) => {
    let w = probes.get(id);
    if (!w) probes.set(id, w = new PathWindow());
    return w;
  };
  /** The primary's audio, from the moment it became primary. */
  let media: MediaWindow | null = null;
  const selector = new QualityPathSelector();
  let primary: number | null = null;
  let reason = '';
  let seen: readonly CandidatePath[] = [];
  /** A path's quality: its probes', with the primary's loss and silence from its audio once it has any. */
  const quality = (id: number, t: number): PathQuality => {
    const q = probed(id).quality(t);
    const m = id === primary ? media?.quality(t) : null;
    return m ? { ...q, loss: m.loss ?? q.loss, silentMs: m.silentMs, source: 'media' } : q;
  };
  const judged = (paths: readonly CandidatePath[], t: number, avoid: number | null = null): QualityPath[] =>
    paths.map((p) => ({ id: p.id, up: p.up && p.id !== avoid, osPreferred: p.osPreferred, quality: quality(p.id, t) }));
  const primaryHealth = (t: number): Health | null => {
    const q = judged(seen, t).find((p) => p.id === primary);
    return q ? selector.health(q) : null;
  };
  let mode: 'calm' | 'alert' = 'alert';
  const alert = (t: number) => {
    const health = primaryHealth(t);
    const why = health !== 'good' ? `primary ${health ?? 'none'}` : !media?.quality(t) ? 'no audio on the primary yet' : '';
    if ((why ? 'alert' : 'calm') !== mode) logMode(mode = why ? 'alert' : 'calm', why);
    return mode === 'alert';
  };

  return {
    pingEveryMs(p: PathState, t: number) {
      if (!p.up) return p.retryForMs < PUNCH_BURST_MS && !p.routeLost ? PROBE_MS : CALM_PROBE_MS;
      if (p.primary) return media?.quality(t) ? PRIMARY_PROBE_MS : PROBE_MS;
      return alert(t) ? PROBE_MS : CALM_PROBE_MS;
    },
    // a path that stays down (a symmetric NAT in the way) is re-learned and re-punched ever less often
    relearnEveryMs: (p) => Math.max(DEAD_MS, p.downForMs),
    pinged: (path, seq, t) => probed(path).sent(seq, t),
    ponged: (path, seq, t) => probed(path).answered(seq, t),
    heard(path, seq, sentAt, t) { if (path !== null && path === primary) media!.heard(seq, sentAt, t); },
    select(paths, hints: SelectionHints = {}) {
      const t = now();
      seen = paths;
      const qs = judged(paths, t, hints.avoid ?? null);
      const was = qs.find((q) => q.id === primary);
      const chosen = selector.select(qs, t);
      const health = new Map(qs.map((q) => [q.id, selector.health(q)]));
      if (chosen.changed) {
        reason = was ? `${chosen.why}: ${describe(was.id, health.get(was.id)!, was.quality)}` : chosen.why;
        // the audio is due on the new primary once the answerer can have followed: a round trip on it
        const rtt = qs.find((q) => q.id === chosen.primary)?.quality.rttMs ?? UNKNOWN_RTT_MS;
        media = new MediaWindow(FRAME_MS, t + rtt);
      }
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
    suspectWindowMs: COPY_WINDOW_MS,
    copiesOwnPackets: false,
    quicPings: false,
    reportsUpkeep: true,
    steersRelay: true,
  };
}
