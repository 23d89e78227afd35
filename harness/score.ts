// A run's metrics from its run folder: the merged event logs and the parameters the run recorded (its
// J, the end of its observe window, the RTTs behind the floors). The run computes them once it has
// stopped; `migbench rescore` computes them again after a metric definition changed.
import { computeMetrics, eventSegments, type EventSegment, type MetricParams, type RunMetrics } from './metrics.ts';
import { PCM } from '../core/codec.ts';
import { mergeLogs } from './event-logs.ts';
import { pairMetrics, planPairs } from './pairs.ts';
import type { RunSpec } from './spec.ts';

export interface Rtts { mobileIntermediate?: number; intermediateAnswerer?: number; standby?: number }
export interface Scored { metrics: RunMetrics; perEvent?: EventSegment[]; pairs?: { pair: number; metrics: RunMetrics }[] }

/** `severalEvents`: more than one event was fired (a schedule, or keys in an interactive run). */
export function scoreRun(dir: string, spec: RunSpec, observeEnd: number, rtts: Rtts, severalEvents: boolean): Scored {
  const params: Partial<MetricParams> = {
    jitterBufferMs: spec.jitterBufferMs, observeEndMs: observeEnd, codec: spec.codec ?? PCM, playout: spec.playout,
    rttMobileIntermediateMs: rtts.mobileIntermediate, rttIntermediateAnswererMs: rtts.intermediateAnswerer, rttStandbyMs: rtts.standby,
  };
  const events = mergeLogs(dir);
  const metrics = computeMetrics(events, params);
  const pairs = planPairs(spec, dir);
  // several events: what each one cost (one pair only)
  return { metrics, ...(severalEvents && pairs.length === 1 ? { perEvent: eventSegments(events, params) } : {}), ...(pairs.length > 1 ? { pairs: pairMetrics(pairs, dir, metrics, params) } : {}) };
}
