// Issue 29's goal, per cell (`migbench report --markdown --inaudible`): in how many runs a listener
// heard the change (a run is inaudible when it recovered with audible_ms 0), in how many the goal was
// met (inaudible, and its own MOS drop at most GOAL_MOS_DROP), how far the MOS dropped
// through the event (mos_pre − mos_event; a failed run's mos_event at the floor, as --heard counts
// it, and its mos_pre, if it measured none, its cell's median) and what the call cost beyond its
// media (extra_pct). Every scored run in N; invalid runs are counted beside it, never scored (docs/report.md "Every run counted").
import type { RunRecord } from './records.ts';
import { byEvent, chartRows, groupBy, mosOutcome, networkName } from './scored-rows.ts';
import { eventLabel } from './schedule.ts';
import { formatValue, measuredMedian } from './stats.ts';

const HEAD = ['strategy', 'NAT', 'runs', 'audible runs', 'goal met', 'MOS drop', 'extra %', 'invalid'];
/** Issue 29: no audible gap and the MOS at most this far below the pre-event window's. */
export const GOAL_MOS_DROP = 0.1;

export function inaudibleMarkdown(records: RunRecord[]): string {
  const byId = new Map(records.map((r) => [r.id, r.metrics]));
  const invalid = records.filter((r) => r.status === 'invalid');
  return byEvent(chartRows(records)).map(([event, rows]) => [`#### ${event}`, '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`,
    ...[...groupBy(rows, (r) => `${r.label}\0${r.nat}`).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, rs]) => {
      const [label, natLabel] = k.split('\0') as [string, string];
      const heard = rs.filter((r) => !(r.success && r.audible_ms === 0)).length;
      // a failed run that measured nothing is heard before the event as its cell's others were
      const cellPre = measuredMedian(rs.map((r) => byId.get(r.id)?.mos_pre ?? null));
      const drops = rs.map((r) => {
        const pre = byId.get(r.id)?.mos_pre ?? (r.status === 'failed' ? cellPre : null), ev = mosOutcome(r);
        return pre === null || ev === null ? null : pre - ev;
      });
      const drop = measuredMedian(drops);
      const met = rs.filter((r, i) => r.success && r.audible_ms === 0 && drops[i] !== null && drops[i]! <= GOAL_MOS_DROP + 1e-9).length;
      const extra = measuredMedian(rs.map((r) => byId.get(r.id)?.extra_pct ?? null));
      const bad = invalid.filter((r) => r.label === label && networkName(r.spec) === natLabel && eventLabel(r.spec.event) === event).length;
      return `| ${[label, natLabel, String(rs.length), `${heard}/${rs.length}`, `${met}/${rs.length}`, formatValue(drop, 2), formatValue(extra, 1), String(bad)].join(' | ')} |`;
    }), ''].join('\n')).join('\n');
}
