// A bench's records: one per finished run, in its run folder (runs/<id>/meta.json, the source of
// truth), and one row each in runs.csv. A snapshot (docs/data/<bench>/: runs.csv and bench.json only,
// no logs or audio) is read back from its runs.csv: the tables in docs/ are regenerated from those
// snapshots by `migbench report --markdown` (docs/report.md, "Tables in docs"). docs/bench.md.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { codecLabel, PCM, type Codec } from '../core/codec.ts';
import type { Playout } from '../core/playout.ts';
import type { LinkProfile, LinkSlot } from './driver.ts';
import { ipLabel, parseIpPlan } from './ip-plan.ts';
import { METRIC_ORDER, type RunMetrics } from './metrics.ts';
import type { RunSpec } from './spec.ts';
import { median } from './stats.ts';

/** What a captured run's packets say about one of its metrics (harness/run/capture-checks.ts). */
export interface CaptureCheck { name: string; verdict: 'agree' | 'disagree' | 'n/a'; detail: string }

export interface RunRecord {
  id: string;
  label: string;
  spec: RunSpec;
  /** invalid: the run's scenario did not happen (never scored, not in N); failed: in N, never a success. */
  status: 'ok' | 'failed' | 'invalid';
  /** The reason of a failed or invalid run. */
  error?: string;
  emulation?: string;
  metrics?: RunMetrics;
  /** With several pairs (spec.pairs): each pair's metrics; `metrics` are pair 1's. */
  pairs?: { pair: number; metrics: RunMetrics }[];
  /** A schedule of several events: what each one cost (harness/metrics.ts eventSegments). */
  perEvent?: { name: string; concealed_ms: number; gap_ms: number }[];
  /** Why the fidelity guard judged the machine, not the strategy, late in this run (harness/run/fidelity.ts). */
  noisy?: string;
  /** Earlier attempts of this run (--retry-failed, or made again because noisy), oldest first;
   *  `folder`: where its run folder was set aside (setAsideAttempt). */
  attempts?: { status: RunRecord['status']; error?: string; metrics?: RunMetrics; noisy?: string; folder?: string }[];
  /** A captured run: what its packets say beside what the bench measured (harness/run/capture-checks.ts). */
  captureChecks?: CaptureCheck[];
}

const SCALAR_METRICS = METRIC_ORDER.filter((k) => k !== 'cpu_s');
const ROLES = ['intermediate', 'answerer', 'mobile'];
export const CSV_COLUMNS = [
  'id', 'label', 'strategy', 'options', 'nat_answerer', 'nat_wifi', 'nat_cellular', 'ip',
  'link_intermediate', 'link_answerer', 'link_wifi', 'link_cellular', 'event', 'rep', 'seed', 'codec', 'status', 'error',
  'emulation', ...SCALAR_METRICS, ...ROLES.map((r) => `cpu_${r}_s`),
  'pairs', 'pairs_gap_median_ms', 'pairs_gap_max_ms', 'pairs_success', 'per_event_concealed_ms', 'noisy',
];

/** pairs, and over every pair: median and max gap_ms, how many succeeded. */
function pairColumns(r: RunRecord): unknown[] {
  const n = r.spec.pairs ?? 1;
  const all = r.pairs?.map((p) => p.metrics) ?? (r.metrics ? [r.metrics] : []);
  if (!all.length) return [n, '', '', ''];
  const gaps = all.map((m) => m.gap_ms);
  return [n, median(gaps), Math.max(...gaps), `${all.filter((m) => m.success).length}/${all.length}`];
}

const linkName = (v: unknown) => (v === undefined ? 'lan' : typeof v === 'string' ? v : JSON.stringify(v));

export function csvRow(r: RunRecord): unknown[] {
  const m = r.metrics;
  return [
    r.id, r.label, r.spec.strategy, Object.entries(r.spec.options).map(([k, v]) => `${k}=${v}`).join(';'),
    r.spec.nat.answerer, r.spec.nat.wifi, r.spec.nat.cellular, ipLabel(r.spec.ip),
    ...(['intermediate', 'answerer', 'wifi', 'cellular'] as const).map((s) => linkName(r.spec.links[s])),
    r.spec.event, r.spec.rep, r.spec.seed, codecLabel(r.spec.codec ?? PCM), r.status, r.error ?? '', r.emulation ?? '',
    ...SCALAR_METRICS.map((k) => (m ? m[k] ?? '' : '')), ...ROLES.map((role) => m?.cpu_s[role] ?? ''),
    ...pairColumns(r), r.perEvent?.map((e) => e.concealed_ms).join('/') ?? '', r.noisy ?? '',
  ];
}

/** Every run folder with a meta.json: finished runs, failed or not. */
export function readRecords(benchDir: string): RunRecord[] {
  const runs = path.join(benchDir, 'runs');
  if (!existsSync(runs)) return [];
  const out: RunRecord[] = [];
  for (const id of readdirSync(runs).sort()) {
    const file = path.join(runs, id, 'meta.json');
    if (!existsSync(file)) continue;   // started, never finished: it runs again
    try { out.push(JSON.parse(readFileSync(file, 'utf8')) as RunRecord); } catch { /* torn: runs again */ }
  }
  return out;
}

/** Moves a run's folder, before the run is made again (the guard found it noisy, or --retry-failed),
 *  to set-aside/<id>/attempt-<k>/ in the bench: what an earlier attempt logged stays to be read,
 *  outside runs/, where no record, aggregate or re-scoring looks. Returns that folder relative to
 *  the bench, or undefined if the run left none. */
export function setAsideAttempt(benchDir: string, id: string, k: number): string | undefined {
  const from = path.join(benchDir, 'runs', id);
  if (!existsSync(from)) return undefined;
  const to = path.join(benchDir, 'set-aside', id, `attempt-${k}`);
  mkdirSync(path.dirname(to), { recursive: true });
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
  return path.relative(benchDir, to);
}

export function writeCsv(benchDir: string, records: RunRecord[]): void {
  const file = path.join(benchDir, 'runs.csv');
  writeFileSync(`${file}.tmp`, stringify([CSV_COLUMNS, ...records.map(csvRow)]));
  renameSync(`${file}.tmp`, file);
}

/** The records of a bench folder: its run folders if it has any, else its runs.csv. */
export function benchRecords(dir: string): RunRecord[] {
  const fromRuns = readRecords(dir);
  if (fromRuns.length || !existsSync(path.join(dir, 'runs.csv'))) return fromRuns;
  const bench = existsSync(path.join(dir, 'bench.json')) ? JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) : {};
  return recordsFromCsv(readFileSync(path.join(dir, 'runs.csv'), 'utf8'), bench.config ?? {});
}

type Row = Record<string, string>;
/** What runs.csv does not carry per row, from the bench's config. */
interface ConfigPart { warmupS?: number; observeS?: number; jitterBufferMs?: number; audio?: RunSpec['audio']; staggerMs?: number; codec?: Codec; playout?: Playout }

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
      codec: r.codec === 'pcm' || !config.codec ? PCM : config.codec,   // a snapshot from before Opus has neither: it sent PCM
      ...(config.playout === 'adaptive' ? { playout: config.playout } : {}),
      warmupS: config.warmupS ?? 4, observeS: config.observeS ?? 8,
      ...(pairs > 1 ? { pairs, staggerMs: config.staggerMs ?? 200 } : {}),
      ...(parseIpPlan(r.ip) ? { ip: parseIpPlan(r.ip) } : {}),   // a snapshot from before IPv6 has no column: IPv4
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
