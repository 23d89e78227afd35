// A bench's records, from its run folders or, for a snapshot (docs/data/<bench>/: runs.csv and
// bench.json only, no logs or audio), from its runs.csv: the tables in docs/ are regenerated from
// those snapshots by `migbench report --markdown` (docs/report.md, "Tables in docs").
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readRecords, type RunRecord } from './bench.ts';
import type { LinkProfile, LinkSlot } from './driver.ts';
import { METRIC_ORDER, type RunMetrics } from './metrics.ts';
import type { RunSpec } from './run.ts';

/** The records of a bench folder: its run folders if it has any, else its runs.csv. */
export function benchRecords(dir: string): RunRecord[] {
  const fromRuns = readRecords(dir);
  if (fromRuns.length || !existsSync(path.join(dir, 'runs.csv'))) return fromRuns;
  const bench = existsSync(path.join(dir, 'bench.json')) ? JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) : {};
  return recordsFromCsv(readFileSync(path.join(dir, 'runs.csv'), 'utf8'), bench.config ?? {});
}

type Row = Record<string, string>;
/** What runs.csv does not carry per row, from the bench's config. */
interface ConfigPart { warmupS?: number; observeS?: number; jitterBufferMs?: number; audio?: RunSpec['audio']; staggerMs?: number }

const ROLES = ['intermediate', 'answerer', 'mobile'];
const LINK_SLOTS: LinkSlot[] = ['intermediate', 'answerer', 'wifi', 'cellular'];

export function recordsFromCsv(text: string, config: ConfigPart): RunRecord[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Row[];
  return rows.map((r) => {
    const links: Partial<Record<LinkSlot, LinkProfile>> = {};
    for (const slot of LINK_SLOTS) {
      const v = r[`link_${slot}`] ?? 'lan';
      if (v !== 'lan') links[slot] = v.startsWith('{') ? JSON.parse(v) : v;
    }
    const pairs = Number(r.pairs || 1);
    const spec: RunSpec = {
      strategy: r.strategy!, options: Object.fromEntries((r.options || '').split(';').filter(Boolean).map((kv) => kv.split('=', 2) as [string, string])),
      nat: { answerer: r.nat_answerer!, wifi: r.nat_wifi!, cellular: r.nat_cellular! }, links, event: r.event!,
      rep: Number(r.rep), seed: Number(r.seed), audio: config.audio ?? 'answerer-to-mobile', jitterBufferMs: config.jitterBufferMs ?? 80,
      warmupS: config.warmupS ?? 4, observeS: config.observeS ?? 8,
      ...(pairs > 1 ? { pairs, staggerMs: config.staggerMs ?? 200 } : {}),
    };
    return {
      id: r.id!, label: r.label!, spec, status: r.status as RunRecord['status'], ...(r.error ? { error: r.error } : {}),
      ...(r.emulation ? { emulation: r.emulation } : {}), ...(r.gap_ms !== '' && r.gap_ms !== undefined ? { metrics: metricsOf(r) } : {}),
    };
  });
}

/** csv-stringify writes true as 1, false and null as an empty cell. */
function metricsOf(r: Row): RunMetrics {
  const m: Record<string, unknown> = {};
  for (const k of METRIC_ORDER) {
    if (k === 'cpu_s') continue;
    const v = r[k];
    m[k] = k === 'success' ? v === '1' || v === 'true' : v === '' || v === undefined ? null : Number(v);
  }
  m.cpu_s = Object.fromEntries(ROLES.flatMap((role) => (r[`cpu_${role}_s`] ? [[role, Number(r[`cpu_${role}_s`])]] : [])));
  return m as unknown as RunMetrics;
}
