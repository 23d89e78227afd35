// What a listener heard, per event (`migbench report --markdown --heard`): for each strategy × NAT
// cell, the gap beside audible_ms and the MOS before and through the event, and what the call cost
// against its own bytes. Every scored run counted, as in the summary (docs/report.md "Every run counted").
import type { RunRecord } from './records.ts';
import { byEvent, chartRows, groupBy, heardMedians, outcome, type ChartRow } from './scored-rows.ts';
import { censoredMedian, formatValue, measuredMedian } from './stats.ts';

const HEAD = ['strategy', 'NAT', 'runs', 'ok', 'gap_ms', 'audible_ms', 'mos_pre', 'mos_event', 'media kB', 'relay %', 'dup %', 'keepalive %'];

function cells(rs: ChartRow[], mosPre: ReadonlyMap<string, number | null>): string[] {
  const med = (k: 'relay_pct' | 'dup_pct' | 'keepalive_pct') => formatValue(measuredMedian(rs.map((r) => r[k])), 1);
  const kB = measuredMedian(rs.map((r) => r.media_bytes));
  const heard = heardMedians(rs);
  return [String(rs.length), `${rs.filter((r) => r.success).length}/${rs.length}`,
    formatValue(censoredMedian(rs.map((r) => outcome(r, 'gap_ms')))), formatValue(heard.audible),
    formatValue(measuredMedian(rs.map((r) => mosPre.get(r.id) ?? null)), 2), formatValue(heard.mos, 2),
    kB === null ? '∅' : (kB / 1000).toFixed(1), med('relay_pct'), med('dup_pct'), med('keepalive_pct')];
}

/** One markdown table per event: medians per strategy × NAT (gap and audible censored at the window,
 *  mos_event with a failed run at the floor, costs as measured). */
export function heardMarkdown(records: RunRecord[]): string {
  const mosPre = new Map(records.map((r) => [r.id, r.metrics?.mos_pre ?? null]));
  return byEvent(chartRows(records)).map(([event, rows]) => [`#### ${event}`, '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`,
    ...[...groupBy(rows, (r) => `${r.label}\0${r.nat}`).entries()].sort(([a], [b]) => a.localeCompare(b))
      .map(([k, rs]) => `| ${[...k.split('\0'), ...cells(rs, mosPre)].join(' | ')} |`), ''].join('\n')).join('\n');
}
