// The scored rows of a bench: one row per ok or failed run (invalid runs listed apart, never
// scored), each time metric as a censored outcome (docs/report.md "Every run counted"). Reports,
// figures, the progress line and the fidelity comparison all take them from here.
import type { RunRecord } from './records.ts';
import { ipLabel } from './ip-plan.ts';
import { EVENT_KINDS } from './network-events.ts';
import { eventLabel } from './schedule.ts';
import { censoredMedian, measuredMedian, type Censored } from './stats.ts';

/** One scored run: ok or failed (invalid runs are never scored). A failed run is never a success
 *  and may have no metrics (its metric fields are then null). */
export interface ChartRow {
  /** nat: the network (networkName): its NAT presets and, when a site has IPv6, its address families. */
  id: string; label: string; nat: string; event: string; link: string; rep: number;
  status: 'ok' | 'failed'; error: string | null;
  /** Recovered inside the window, and not failed; otherwise its times are censored at window_ms. */
  success: boolean; window_ms: number;
  gap_ms: number | null; recovery_ms: number | null; direct_ms: number | null; switch_ms: number | null; limit_ms: number | null;
  added_delay_ms: number | null;
  audible_ms: number | null; mos_event: number | null;
  media_bytes: number | null; relay_pct: number | null; dup_pct: number | null; keepalive_pct: number | null;
  limit_standby_ms: number | null; detect_ms: number | null; relay_bytes: number | null;
  dup_bytes: number | null; keepalive_bps: number | null;
  handshakes: number | null; signal_msgs: number | null; cpu_s: number | null;
}

/** A run whose scenario did not happen: listed, never scored, not in N. */
export interface InvalidRun { id: string; label: string; event: string; reason: string }

/** How tables name a run's NATs: one preset, or answerer / wifi / cellular. */
const natName = (n: RunRecord['spec']['nat']) =>
  (n.answerer === n.wifi && n.wifi === n.cellular ? n.answerer : `${n.answerer} / ${n.wifi} / ${n.cellular}`);
/** How tables name a run's network: its NATs, and its address families when not IPv4 everywhere. */
export const networkName = (spec: RunRecord['spec']) => natName(spec.nat) + (ipLabel(spec.ip) ? ` · ${ipLabel(spec.ip)}` : '');
/** How tables name a run's links: one profile, or answerer / wifi / cellular. */
export const linkName = (l: RunRecord['spec']['links']) => {
  const v = [l.answerer, l.wifi, l.cellular].map((x) => (x === undefined ? 'lan' : typeof x === 'string' ? x : 'custom'));
  return v.every((x) => x === v[0]) ? v[0]! : v.join(' / ');
};

/** Every scored run (ok and failed), failed ones with or without metrics. */
export function chartRows(records: RunRecord[]): ChartRow[] {
  return records.flatMap((r) => {
    if (r.status === 'invalid') return [];
    const m = r.metrics;
    return [{
      id: r.id, label: r.label, nat: networkName(r.spec), event: eventLabel(r.spec.event), link: linkName(r.spec.links), rep: r.spec.rep,
      status: r.status, error: r.error ?? null,
      success: r.status === 'ok' && m?.success === true, window_ms: r.spec.observeS * 1000,
      gap_ms: m?.gap_ms ?? null, recovery_ms: m?.recovery_ms ?? null, direct_ms: m?.direct_ms ?? null, switch_ms: m?.switch_ms ?? null, limit_ms: m?.limit_ms ?? null, added_delay_ms: m?.added_delay_ms ?? null,
      audible_ms: m?.audible_ms ?? null, mos_event: m?.mos_event ?? null,
      media_bytes: m?.media_bytes ?? null, relay_pct: m?.relay_pct ?? null, dup_pct: m?.dup_pct ?? null, keepalive_pct: m?.keepalive_pct ?? null,
      limit_standby_ms: m?.limit_standby_ms ?? null, detect_ms: m?.detect_ms ?? null, relay_bytes: m?.relay_bytes ?? null,
      dup_bytes: m ? m.dup_bytes ?? 0 : null, keepalive_bps: m ? m.keepalive_bps ?? 0 : null,
      handshakes: m?.handshakes ?? null, signal_msgs: m?.signal_msgs ?? null,
      cpu_s: m ? Object.values(m.cpu_s).reduce((a, b) => a + b, 0) : null,
    }];
  });
}

export function invalidRuns(records: RunRecord[]): InvalidRun[] {
  return records.filter((r) => r.status === 'invalid').map((r) => ({ id: r.id, label: r.label, event: eventLabel(r.spec.event), reason: r.error ?? '' }));
}

export type TimeMetric = 'gap_ms' | 'recovery_ms' | 'direct_ms' | 'switch_ms' | 'audible_ms';

/** A run's time metric, censored at the observe window when the run never reached it: gap and
 *  recovery when it did not recover (the gap never ended), direct_ms when it never went direct
 *  again, switch_ms when no frame sent after the event arrived; a failed run's times are all
 *  censored (its measurements stopped early). */
export function outcome(r: ChartRow, metric: TimeMetric): Censored {
  const v = r[metric];
  const reached = metric === 'direct_ms' || metric === 'switch_ms' ? r.status === 'ok' && v !== null : r.success;
  return reached ? { value: v!, censored: false } : { value: r.window_ms, censored: true };
}

/** The lowest MOS (G.107 Annex B): what a run without a scored call is counted as. */
export const MOS_FLOOR = 1;

/** A run's mos_event as measured, even when it did not recover (its event window was heard as it
 *  was); a failed run without one counts at the floor, so no run drops out of a median. */
export function mosOutcome(r: ChartRow): number | null {
  return r.mos_event ?? (r.status === 'failed' ? MOS_FLOOR : null);
}

/** The listener's columns of a group of runs: audible_ms (censored as gap_ms) and mos_event
 *  medians, or null each when no run of the group measured them (a snapshot from before Opus). */
export function heardMedians(rs: ChartRow[]): { audible: Censored | null; mos: number | null } {
  if (!rs.some((r) => r.audible_ms !== null)) return { audible: null, mos: null };
  return { audible: censoredMedian(rs.map((r) => outcome(r, 'audible_ms'))), mos: measuredMedian(rs.map(mosOutcome)) };
}

export const NOT_RECOVERED = 'not recovered (censored at window)';

/** CDF points of a time metric per strategy: y = rank / N over ALL the strategy's runs, censored
 *  runs at +∞ (never drawn), so a strategy that lost runs stops below 1. Each point keeps its run's id
 *  (the report links it to the run's page). */
export function cdfPoints(rows: ChartRow[], metric: TimeMetric): { label: string; ms: number; cdf: number; id: string }[] {
  return [...groupBy(rows, (r) => r.label)].flatMap(([label, rs]) => rs.map((r) => ({ id: r.id, o: outcome(r, metric) }))
    .filter(({ o }) => !o.censored).sort((a, b) => a.o.value - b.o.value)
    .map(({ id, o }, i) => ({ label, ms: o.value, cdf: (i + 1) / rs.length, id })));
}

/** Rows grouped by event, in the events table's order (harness/network-events.ts), so benches read alike. */
export function byEvent<T extends { event: string }>(rows: T[]): [string, T[]][] {
  const rank = (event: string) => { const i = EVENT_KINDS.findIndex((k) => k.name === event.split(/[:@,]/)[0]); return i < 0 ? EVENT_KINDS.length : i; };
  return [...groupBy(rows, (r) => r.event).entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

export function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) { const k = key(x); m.set(k, [...(m.get(k) ?? []), x]); }
  return m;
}
