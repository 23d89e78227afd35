// Any runs.csv columns as a markdown table (`migbench report --markdown --columns a,b`): medians per
// group of runs, the groups being what varies in the bench (strategy label, NATs, links, event,
// pairs). Read from runs.csv itself, so a docs/data snapshot gives the same table as the bench.
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS } from './records.ts';
import { formatValue, median } from './stats.ts';

/** Columns shown in whole units (ms, bytes, counts); the rest (CPU seconds) with two decimals. */
const WHOLE = /(_ms|_bytes|_bps)$|^(frames_|handshakes|signal_msgs|pre_event)/;
const KEYS = ['label', 'nat_answerer', 'nat_wifi', 'nat_cellular', 'ip', 'link_intermediate', 'link_answerer', 'link_wifi', 'link_cellular', 'event', 'pairs'];

/** Rows: one per group of ok and failed runs (invalid runs are never scored); a cell is the median
 *  over the runs that have the value, with how many had it when some did not, or for a column that
 *  is not a number, each run's value. */
export function columnsMarkdown(csv: string, columns: readonly string[]): string {
  const unknown = columns.filter((c) => !CSV_COLUMNS.includes(c));
  if (unknown.length) throw new Error(`not a runs.csv column: ${unknown.join(', ')} (see docs/bench.md)`);
  const rows = (parse(csv, { columns: true, skip_empty_lines: true }) as Record<string, string>[]).filter((r) => r.status !== 'invalid');
  const varying = KEYS.filter((k) => new Set(rows.map((r) => r[k])).size > 1 || k === 'label');
  const groups = new Map<string, Record<string, string>[]>();
  for (const r of rows) {
    const k = varying.map((c) => r[c]).join('\0');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const numeric = (c: string) => rows.every((r) => !r[c] || Number.isFinite(Number(r[c])));
  const head = [...varying, 'runs', ...columns.map((c) => (numeric(c) ? `${c} (median)` : c))];
  const body = [...groups.values()].map((rs) => [...varying.map((c) => rs[0]![c]!), String(rs.length), ...columns.map((c) => {
    const values = rs.map((r) => r[c] ?? '').filter((v) => v !== '');
    // a column that is not a number (per_event_concealed_ms: "80/0/60/…") is listed run by run
    if (values.some((v) => !Number.isFinite(Number(v)))) return values.join('; ') || '∅';
    const xs = values.map(Number);
    return formatValue(median(xs), WHOLE.test(c) ? 0 : 2).replace(/\.00$/, '') + (xs.length < rs.length ? ` (${xs.length}/${rs.length})` : '');
  })]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
