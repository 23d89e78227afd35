// A run's parameters (RunSpec), their defaults and limits, the stable run id, and the one
// validation both `migbench run` and bench configs use: everything checked before a network is built.
import { createHash } from 'node:crypto';
import { codecProblem, DEFAULT_CODEC, type Codec } from '../core/codec.ts';
import { DEFAULT_JITTER_BUFFER_MS, type Playout } from '../core/playout.ts';
import { optionProblem } from '../strategies/contract.ts';
import { loadStrategy } from '../strategies/registry.ts';
import type { LinkProfile, LinkSlot, NatSlot } from './driver.ts';
import { ipEventProblem, ipPlanProblem, type IpPlan } from './ip-plan.ts';
import { parseEvent, scheduleProblem } from './network-events.ts';
import { checkLinkProfile, natBehaviour } from './presets.ts';
import { eventNames } from './schedule.ts';

export interface RunSpec {
  strategy: string;
  nat: Record<NatSlot, string>;
  links: Partial<Record<LinkSlot, LinkProfile>>;
  event: string;
  seed: number;
  rep: number;
  audio: 'answerer-to-mobile' | 'both';
  jitterBufferMs: number;
  /** What the frames carry (core/codec.ts); absent = PCM, as every run recorded before Opus. */
  codec?: Codec;
  /** The receiver's playout rule (core/playout.ts); absent = fixed, sentAt + D0 + J. */
  playout?: Playout;
  warmupS: number;      // audio flowing before the event (the pre-event window needs 3 s)
  observeS: number;     // after the event: the maximum, with settleS
  /** Early stop: observation ends once the outcome has held this long (harness/run/settle.ts);
   *  absent or 0 = always the whole observeS. */
  settleS?: number;
  options: Record<string, string>;
  /** N answerer/mobile pairs through one intermediate (topology pairs:N); absent = 1. */
  pairs?: number;
  /** With pairs: pair k's event fires (k - 1) · staggerMs after pair 1's. */
  staggerMs?: number;
  /** The most a run waits for its first audio before it fails; absent = DEFAULT_START_S. */
  startS?: number;
  /** The sites' address families (harness/ip-plan.ts); absent = IPv4 everywhere, as every run before it. */
  ip?: IpPlan;
}
/** Each pair is two role processes (~80 MB, a few % of a core each): more would measure the machine. */
export const MAX_PAIRS = 32;

export const DEFAULT_SPEC: Omit<RunSpec, 'strategy'> = {
  nat: { answerer: 'port-restricted', wifi: 'port-restricted', cellular: 'port-restricted' },
  links: {}, event: 'wifi-to-cellular', seed: 1, rep: 0, audio: 'answerer-to-mobile',
  jitterBufferMs: DEFAULT_JITTER_BUFFER_MS, codec: DEFAULT_CODEC, warmupS: 3.2, observeS: 8, options: {},
};
/** What `migbench run` and bench configs use; DEFAULT_SPEC (the tests' base) observes to the end. */
export const DEFAULT_SETTLE_S = 2;
/** A run that has no audio this long after its roles start fails: the slowest start in the default
 *  matrix was 3.5 s (ice-restart-werift, 251 runs, docs/bench.md "Start-up"), and a run that cannot
 *  connect (quic-migration between symmetric NATs) would otherwise hold the bench for 30 s. */
export const DEFAULT_START_S = 10;

/** [lowest, highest] of each numeric field. warmupS: the pre-event window (D0, pre_event_concealed:
 *  docs/metrics.md) is 3 s of audio, plus a little for the first frames to arrive — which is also
 *  the default: the warm-up is there for that window and nothing else. */
export const SPEC_LIMITS = {
  warmupS: [3.2, 600], observeS: [1, 600], jitterBufferMs: [0, 2000], staggerMs: [0, 10000], settleS: [0, 60], startS: [1, 300],
} as const satisfies Partial<Record<keyof RunSpec, readonly [number, number]>>;

/** What is wrong with `value` for numeric field `field`, or null. */
export function limitProblem(field: keyof typeof SPEC_LIMITS, value: unknown): string | null {
  const [lo, hi] = SPEC_LIMITS[field];
  return typeof value === 'number' && value >= lo && value <= hi ? null : `${field}: a number from ${lo} to ${hi}, got ${String(value)}`;
}

/** Stable id from the run's parameters and repetition (never from order): the same run always
 *  has the same id, on any machine and in any shard. */
export function runId(spec: RunSpec): string {
  const hash = createHash('sha256').update(JSON.stringify(spec, sortedReplacer)).digest('hex').slice(0, 10);
  return `${spec.strategy}-${spec.event.replace(/[^a-z0-9]+/gi, '').slice(0, 40)}-r${spec.rep}-${hash}`;
}
function sortedReplacer(_k: string, v: unknown): unknown {
  return v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v;
}

/** Checks one event or a schedule of them (harness/schedule.ts), and refuses one that would change nothing. */
export function checkEvent(event: string): void {
  const names = eventNames(event);
  for (const name of names) if (name !== 'none') parseEvent(name);
  if (names.length > 1 && names.includes('none')) throw new Error(`'none' cannot be part of a schedule (${event})`);
  const noOp = scheduleProblem(names);
  if (noOp) throw new Error(noOp);
}

/** Validates everything that can be checked before building a network. */
export async function validateSpec(spec: RunSpec): Promise<void> {
  const strategy = await loadStrategy(spec.strategy);
  for (const v of Object.values(spec.nat)) natBehaviour(v);
  for (const v of Object.values(spec.links)) if (typeof v === 'string') checkLinkProfile(v);
  checkEvent(spec.event);
  for (const field of ['warmupS', 'observeS', 'jitterBufferMs'] as const) {
    const problem = limitProblem(field, spec[field]);
    if (problem) throw new Error(problem);
  }
  const ip = ipPlanProblem(spec.ip) ?? ipEventProblem(eventNames(spec.event), spec.ip);
  if (ip) throw new Error(ip);
  const codec = spec.codec === undefined ? null : codecProblem(spec.codec);
  if (codec) throw new Error(codec);
  if (spec.playout !== undefined && spec.playout !== 'fixed' && spec.playout !== 'adaptive') throw new Error(`playout: 'fixed' or 'adaptive', got ${String(spec.playout)}`);
  const pairs = spec.pairs ?? 1;
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > MAX_PAIRS) throw new Error(`pairs must be an integer from 1 to ${MAX_PAIRS}, got ${spec.pairs}`);
  for (const field of ['staggerMs', 'settleS', 'startS'] as const) {
    const problem = spec[field] === undefined ? null : limitProblem(field, spec[field]);
    if (problem) throw new Error(problem);
  }
  for (const [k, v] of Object.entries(spec.options)) {
    const problem = optionProblem(strategy, k, v);
    if (problem) throw new Error(problem);
  }
}
