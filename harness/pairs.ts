// One answerer/mobile pair, or N through one intermediate (topology pairs:N, docs/bench.md). Pair 1
// logs into the run folder as always, pair k > 1 into pair-k/; each pair is measured on its own event.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { StrategyRole } from '../strategies/contract.ts';
import { computeMetrics, type MetricParams, type RunMetrics } from './metrics.ts';
import { mergeLogs } from './event-logs.ts';
import type { RunSpec } from './spec.ts';

export interface Pair {
  k: number;
  answerer: string;   // its hosts
  mobile: string;
  /** Its processes' names (RoleProcesses): answerer, mobile for pair 1; answerer2, mobile2, … */
  key(role: StrategyRole): string;
  dir: string;
  pairing: { id: string; secret: string };
}

export function planPairs(spec: RunSpec, dir: string): Pair[] {
  const n = spec.pairs ?? 1;
  return Array.from({ length: n }, (_, i) => ({
    k: i + 1,
    answerer: n > 1 ? `answerer${i + 1}` : 'answerer',
    mobile: n > 1 ? `mobile${i + 1}` : 'mobile',
    key: (role: StrategyRole) => (i === 0 ? role : `${role}${i + 1}`),
    dir: i === 0 ? dir : path.join(dir, `pair-${i + 1}`),
    pairing: { id: `pair-${spec.seed}${n > 1 ? `-${i + 1}` : ''}`, secret: randomBytes(16).toString('hex') },
  }));
}

/** Each pair's metrics, from its own roles' logs, the intermediate's, and the harness's with only
 *  its own event; undefined for one pair. */
export function pairMetrics(pairs: readonly Pair[], dir: string, first: RunMetrics, params: Partial<MetricParams>): { pair: number; metrics: RunMetrics }[] | undefined {
  if (pairs.length === 1) return undefined;
  const shared = mergeLogs(dir);
  return pairs.map((p) => ({
    pair: p.k,
    metrics: p.k === 1 ? first : computeMetrics([
      ...shared.filter((e) => e.role === 'intermediate' || (e.role === 'harness' && (e.type !== 'event.fired' || !e.host || e.host === p.mobile || e.host === p.answerer))),
      ...mergeLogs(p.dir).filter((e) => e.role === 'answerer' || e.role === 'mobile'),
    ].sort((a, b) => a.t - b.t), params),
  }));
}
