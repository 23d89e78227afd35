// Figure 4 — the original's claim re-made against the stacks people run (`make figures ONLY=4`,
// harness/configs/claim.json): its README says WebRTC's ICE restart "takes about 5 seconds or more"
// and that relaying while re-punching beats it. Here libwebrtc (Chrome's WebRTC) with each trigger,
// the two other WebRTC stacks, the faithful original, iroh, nebula and standby meet Wi-Fi →
// cellular, an Android-like handover and a fading Wi-Fi. The verdict rule was fixed before
// measuring (docs/report.md "Figure 4").
import { ciLayers, figureConfig, markShape, MAX_WIDTH, medianCi, RUN_MARK, SPLIT_AXIS, strategyColour, title, wrap, type FigureInput, type Layout } from './figure-marks.ts';
import { FAITHFUL } from './figure-field.ts';
import { outcome, type InvalidRun } from './scored-rows.ts';
import { SCHEMA, type Spec } from './report-charts.ts';
import { censoredMedian, formatValue, type Censored } from './stats.ts';

/** The WebRTC rows the claim is about: libwebrtc with an app's triggers (claim.json's labels). */
export const LIBWEBRTC_TRIGGERS = ['libwebrtc (trigger=app)', 'libwebrtc (trigger=ice)'] as const;
export const CLAIM_MS = 5000;
/** Medians closer than one frame are a tie: neither beats the other. */
export const TIE_MS = 20;

export interface ClaimRow { strategy: string; base: string; event: string; rep: number; gap_ms: number; censored: boolean; success: boolean; id: string }

export function claimRows(rows: FigureInput[]): ClaimRow[] {
  return rows.map((r) => {
    const gap = outcome(r, 'gap_ms');
    return { strategy: r.label, base: r.strategy, event: r.event, rep: r.rep, gap_ms: gap.value, censored: gap.censored, success: r.success, id: r.id };
  });
}

/** claim.json's events, in its order; any other after them. */
const EVENT_ORDER = ['wifi-to-cellular', 'handover:2000', 'wifi-fade:4'];
const rank = (e: string) => (EVENT_ORDER.includes(e) ? EVENT_ORDER.indexOf(e) : EVENT_ORDER.length);
const events = (rows: ClaimRow[]) => [...new Set(rows.map((r) => r.event))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
export const medianGap = (rows: ClaimRow[], strategy: string, event: string): Censored | null =>
  censoredMedian(rows.filter((r) => r.strategy === strategy && r.event === event).map((r) => ({ value: r.gap_ms, censored: r.censored })));

/** Whether `a`'s median gap is shorter than `b`'s by more than a frame; a censored median is only a
 *  lower bound, so it never wins, and loses to any uncensored one below it. */
export function beats(a: Censored | null, b: Censored | null): boolean {
  if (!a || !b || a.censored) return false;
  return a.value < b.value - TIE_MS;
}

export interface ClaimVerdict {
  /** Per libwebrtc trigger: an event whose median gap is ≥ 5 s (a censored median counts), and
   *  whether the original beat it in every event. */
  triggers: { trigger: string; slowEvents: string[]; originalBeatsEverywhere: boolean }[];
  holds: boolean;
}

/** The rule, fixed before measuring: the claim holds if, for at least one libwebrtc trigger, its
 *  median gap is ≥ 5 s in at least one of the events and the faithful original's median gap is
 *  shorter than its own in every event. */
export function claimVerdict(rows: ClaimRow[]): ClaimVerdict {
  const evs = events(rows);
  const triggers = LIBWEBRTC_TRIGGERS.filter((t) => rows.some((r) => r.strategy === t)).map((trigger) => ({
    trigger,
    slowEvents: evs.filter((e) => { const m = medianGap(rows, trigger, e); return m !== null && m.value >= CLAIM_MS; }),
    originalBeatsEverywhere: evs.length > 0 && evs.every((e) => beats(medianGap(rows, FAITHFUL, e), medianGap(rows, trigger, e))),
  }));
  return { triggers, holds: triggers.some((t) => t.slowEvents.length > 0 && t.originalBeatsEverywhere) };
}

/** One panel per event, strategies down, the gap across (log): runs, each median with its 95 % CI, the
 *  README's two statements as rules. */
export function claimSpec(rows: ClaimRow[], layout: Layout = 'page'): Spec {
  const colour = strategyColour(rows, layout);
  const scale = { scale: { type: 'log', domain: [10, 20000], nice: false }, axis: { format: '~s' } };
  const x = { type: 'quantitative', title: 'gap_ms (ms, log; no gap: at 10)', ...scale };
  const claims = [{ ms: 1000, claim: 'its switch < 1 s' }, { ms: CLAIM_MS, claim: 'ICE restart ≈ 5 s' }];
  const panel = (event: string) => {
    const rs = rows.filter((r) => r.event === event).map((r) => ({ ...r, gap_ms: Math.max(r.gap_ms, 10) }));
    const labels = [...new Set(rs.map((r) => r.strategy))];
    const stats = labels.map((strategy) => ({ strategy, ...medianCi(rs.filter((r) => r.strategy === strategy).map((r) => ({ value: r.gap_ms, censored: r.censored })))! }));
    const y = { field: 'strategy', type: 'nominal', title: null, sort: labels, ...(layout === 'column' ? { axis: SPLIT_AXIS } : {}) };
    return {
      title: { text: wrap(event, MAX_WIDTH[layout] - 20, 11), fontSize: 11 },
      width: layout === 'page' ? 420 : 120, height: { step: layout === 'page' ? 24 : 40 },
      layer: [
        { data: { values: claims }, mark: { type: 'rule', color: 'gray' },
          encoding: { x: { ...x, field: 'ms' }, strokeDash: { field: 'claim', type: 'nominal', title: 'the original README',
            scale: { domain: claims.map((c) => c.claim), range: [[2, 2], [7, 3]] } } } },
        { data: { values: rs }, transform: [RUN_MARK], mark: { type: 'point', filled: true, size: 30, opacity: 0.6 },
          encoding: { y: { ...y, bandPosition: 0.4 }, x: { ...x, field: 'gap_ms' }, color: colour, shape: markShape('x') } },
        ...ciLayers({ data: { values: stats } }, 'x', { y: { ...y, bandPosition: 0.85 } }, colour, scale),
      ],
    };
  };
  return {
    $schema: SCHEMA, config: figureConfig(layout, true), title: title('Figure 4 — the original\'s claim against the stacks people run', layout),
    vconcat: events(rows).map(panel), resolve: { scale: { y: 'independent' } },
  };
}

const fmt = (v: Censored | null) => formatValue(v, 0, ' ms');

/** The README section: median gaps per strategy and event, whom the original beats, the verdict.
 *  `invalid`: the runs of these cells that were never scored (their scenario did not happen as set). */
export function claimNotes(rows: ClaimRow[], invalid: InvalidRun[] = []): string[] {
  const evs = events(rows);
  const labels = [...new Set(rows.map((r) => r.strategy))];
  const out = ['## Figure 4 — the original\'s claim against the stacks people run', '',
    'The original README: WebRTC\'s ICE restart takes "about 5 seconds or more"; relaying while re-punching beats it. ' +
    'Cell: median `gap_ms` (success x/N over scored runs; "k invalid": runs never scored, docs/bench.md); a median that reaches a run that did not recover is `> window`. ' +
    `"original beats" compares the faithful original's median with the row's (a win needs more than ${TIE_MS} ms; a censored median never wins).`, '',
    `| strategy | ${evs.join(' | ')} | original beats it in |`, `|---|${evs.map(() => '---|').join('')}---|`];
  for (const s of labels) {
    const cells = evs.map((e) => {
      const rs = rows.filter((r) => r.strategy === s && r.event === e);
      const bad = invalid.filter((r) => r.label === s && r.event === e).length;
      const unscored = bad ? `, ${bad} invalid` : '';
      return rs.length ? `${fmt(medianGap(rows, s, e))} (${rs.filter((r) => r.success).length}/${rs.length}${unscored})` : bad ? `– (${bad} invalid)` : '–';
    });
    const won = s === FAITHFUL ? '–' : `${evs.filter((e) => beats(medianGap(rows, FAITHFUL, e), medianGap(rows, s, e))).length}/${evs.length}`;
    out.push(`| ${s} | ${cells.join(' | ')} | ${won} |`);
  }
  const v = claimVerdict(rows);
  out.push('', `**Does the claim hold?** ${v.holds ? 'Yes' : 'No'}, by the rule set before measuring (for a libwebrtc trigger, a median ` +
    `gap ≥ 5 s in at least one event, and the faithful original shorter in every event): ` +
    (v.triggers.map((t) => `${t.trigger}: ≥ 5 s in ${t.slowEvents.length ? t.slowEvents.join(', ') : 'no event'}, ` +
      `the original ${t.originalBeatsEverywhere ? 'shorter in every event' : 'not shorter in every event'}`).join('; ') || 'no libwebrtc runs') + '.', '');
  return out;
}
