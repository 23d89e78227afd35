// Bench matrix configs: JSON files, validated field by field (every bad field is reported by its
// path, not just the first), expanded into run specs with stable ids. docs/bench.md.
import { readFileSync } from 'node:fs';
import { codecProblem, DEFAULT_CODEC, PCM, type Codec } from '../core/codec.ts';
import type { Playout } from '../core/playout.ts';
import type { LinkProfile, LinkSlot, NatSlot } from './driver.ts';
import { checkEvent, DEFAULT_SETTLE_S, DEFAULT_SPEC, DEFAULT_START_S, limitProblem, MAX_PAIRS, runId, type RunSpec } from './spec.ts';
import { optionProblem } from '../strategies/contract.ts';
import { ipEventProblem, ipLabel, ipPlanProblem, parseIpPlan, type IpPlan } from './ip-plan.ts';
import { checkLinkProfile, natBehaviour } from './presets.ts';
import { eventNames, scheduleString } from './schedule.ts';
import { loadStrategy, strategyNames } from '../strategies/registry.ts';

export interface StrategyEntry { name: string; options?: Record<string, string>; label?: string }
export interface BenchConfig {
  name: string;
  strategies: (string | StrategyEntry)[] | 'all';
  /** With `strategies: 'all'`: the registered strategies left out (say why in `$comment`). */
  except?: string[];
  nat: (string | Partial<Record<NatSlot, string>>)[];       // a preset for all three NATs, or per NAT
  links: (string | Partial<Record<LinkSlot, LinkProfile>>)[]; // a profile for the access slots, or per slot
  /** An event, or a schedule: a list of `<event>@<seconds>` (harness/schedule.ts). */
  events: (string | string[])[];
  reps: number;
  seed: number;
  warmupS: number;
  observeS: number;
  /** Early stop after the outcome held this long; 0 = observe the whole observeS. */
  settleS: number;
  /** The most a run waits for its first audio (harness/spec.ts DEFAULT_START_S). */
  startS: number;
  jitterBufferMs: number;
  /** What frames carry: 'pcm', 'opus' (the defaults) or { name: 'opus', bitrateKbps, fec, lossPct } (core/codec.ts). */
  codec: Codec;
  /** The receiver's playout rule: 'fixed' (default: D0 + J) or 'adaptive' (core/playout.ts). */
  playout?: Playout;
  audio: 'answerer-to-mobile' | 'both';
  /** Runs at once, or `auto`: the top level, stepping down while too many runs are noisy (harness/parallel.ts). */
  parallel: number | 'auto';
  deadlineS: number;       // per run, on top of warmup + observe
  pairs?: number[];        // answerer/mobile pairs through one intermediate (topology pairs:N when N > 1)
  staggerMs?: number;      // with N pairs: pair k's event fires (k - 1) · staggerMs after pair 1's
  /** Packet captures and TLS key logs in every run's folder (harness/run/capture.ts). */
  capture?: boolean;
  /** Address families (harness/ip-plan.ts): 'ipv4' (the default: every site), the --ip form
   *  ('wifi=dual-stack,cellular=ipv6-only'), or the plan as an object. */
  ip?: (string | IpPlan)[];
}

const DEFAULTS: Omit<BenchConfig, 'name'> = {
  strategies: 'all', nat: ['port-restricted'], links: ['broadband'], events: ['wifi-to-cellular'], reps: 5, seed: 1,
  warmupS: DEFAULT_SPEC.warmupS, observeS: DEFAULT_SPEC.observeS, settleS: DEFAULT_SETTLE_S, startS: DEFAULT_START_S, jitterBufferMs: DEFAULT_SPEC.jitterBufferMs,
  codec: DEFAULT_CODEC, playout: 'fixed', audio: DEFAULT_SPEC.audio, parallel: 1, deadlineS: 90, pairs: [1], staggerMs: 200, capture: false, ip: ['ipv4'],
};

export class ConfigError extends Error {
  constructor(readonly problems: string[], source: string) {
    super(`${source}: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n  ${problems.join('\n  ')}`);
  }
}

const NAT_SLOTS: NatSlot[] = ['answerer', 'wifi', 'cellular'];
const LINK_SLOTS: LinkSlot[] = ['intermediate', 'answerer', 'wifi', 'cellular'];

export async function validateConfig(raw: unknown, source = 'config'): Promise<BenchConfig> {
  const problems: string[] = [];
  const bad = (field: string, msg: string) => problems.push(`${field}: ${msg}`);
  const guard = (field: string, fn: () => void) => { try { fn(); } catch (e) { bad(field, (e as Error).message); } };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(['the config must be a JSON object'], source);
  const c = { ...DEFAULTS, ...(raw as Record<string, unknown>) } as Record<string, unknown>;
  const known = new Set(['name', 'except', ...Object.keys(DEFAULTS), '$comment']);
  for (const k of Object.keys(raw)) if (!known.has(k)) bad(k, `unknown field (known: ${[...known].filter((x) => x !== '$comment').join(', ')})`);
  if (typeof c.name !== 'string' || !/^[\w.-]{1,64}$/.test(c.name)) bad('name', 'a folder name: letters, digits, . _ - (1–64)');
  const list = (field: string) => {
    if (!Array.isArray(c[field]) || (c[field] as unknown[]).length === 0) { bad(field, 'must be a non-empty array'); return []; }
    return c[field] as unknown[];
  };
  if (c.except !== undefined) {
    if (c.strategies !== 'all') bad('except', 'only with "strategies": "all"');
    else if (!Array.isArray(c.except) || c.except.some((n) => !strategyNames().includes(n as string))) {
      bad('except', `a list of registered strategies (${strategyNames().join(', ')})`);
    }
  }
  if (c.strategies !== 'all') {
    for (const [i, s] of list('strategies').entries()) {
      const name = typeof s === 'string' ? s : (s as StrategyEntry)?.name;
      if (typeof name !== 'string') { bad(`strategies[${i}]`, 'a strategy name or {name, options, label}'); continue; }
      try {
        const st = await loadStrategy(name);
        const opts = typeof s === 'object' ? (s as StrategyEntry).options ?? {} : {};
        for (const [k, v] of Object.entries(opts)) {
          const problem = optionProblem(st, k, v);
          if (problem) bad(`strategies[${i}].options.${k}`, problem);
        }
      } catch (e) { bad(`strategies[${i}]`, (e as Error).message); }
    }
  }
  for (const [i, n] of list('nat').entries()) {
    if (typeof n === 'string') guard(`nat[${i}]`, () => natBehaviour(n));
    else if (typeof n === 'object' && n) {
      for (const [slot, v] of Object.entries(n)) {
        if (!NAT_SLOTS.includes(slot as NatSlot)) bad(`nat[${i}].${slot}`, `unknown NAT slot (${NAT_SLOTS.join(', ')})`);
        else guard(`nat[${i}].${slot}`, () => natBehaviour(String(v)));
      }
    } else bad(`nat[${i}]`, 'a preset name or {answerer, wifi, cellular}');
  }
  for (const [i, l] of list('links').entries()) {
    if (typeof l === 'string') guard(`links[${i}]`, () => checkLinkProfile(l));
    else if (typeof l === 'object' && l) {
      for (const [slot, v] of Object.entries(l)) {
        if (!LINK_SLOTS.includes(slot as LinkSlot)) bad(`links[${i}].${slot}`, `unknown link slot (${LINK_SLOTS.join(', ')})`);
        else if (typeof v === 'string') guard(`links[${i}].${slot}`, () => checkLinkProfile(v));
      }
    } else bad(`links[${i}]`, 'a profile name or {slot: profile}');
  }
  for (const [i, e] of list('events').entries()) {
    if (typeof e === 'string' || (Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === 'string'))) guard(`events[${i}]`, () => checkEvent(scheduleString(e)));
    else bad(`events[${i}]`, 'an event, or a schedule: a non-empty list of "<event>@<seconds>"');
  }
  for (const [i, p] of list('ip').entries()) {
    if (typeof p === 'string') guard(`ip[${i}]`, () => ipOf(p));
    else { const problem = ipPlanProblem(p); if (problem) bad(`ip[${i}]`, problem); }
    for (const e of Array.isArray(c.events) ? c.events : []) {   // every event on every plan (a bad event is reported once, above)
      let problem: string | null = null;
      try { checkEvent(scheduleString(e as string | string[])); problem = ipEventProblem(eventNames(scheduleString(e as string | string[])), ipOf(p as string | IpPlan)); } catch { /* events[k] says it */ }
      if (problem) bad(`ip[${i}]`, problem);
    }
  }
  for (const [i, n] of list('pairs').entries()) if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_PAIRS) bad(`pairs[${i}]`, `an integer from 1 to ${MAX_PAIRS}`);
  const int = (field: string, lo: number, hi: number) => {
    const v = c[field];
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) bad(field, `an integer from ${lo} to ${hi}`);
  };
  const num = (field: string, lo: number, hi: number) => {
    const v = c[field];
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) bad(field, `a number from ${lo} to ${hi}`);
  };
  int('reps', 1, 1000); int('seed', 0, 2 ** 31);
  if (c.parallel !== 'auto' && (!Number.isInteger(c.parallel) || (c.parallel as number) < 1 || (c.parallel as number) > 16)) bad('parallel', 'an integer from 1 to 16, or "auto"');
  num('deadlineS', 10, 3600);
  for (const field of ['warmupS', 'observeS', 'settleS', 'startS', 'jitterBufferMs', 'staggerMs'] as const) {   // a run's own limits (harness/spec.ts)
    const problem = limitProblem(field, c[field]);
    if (problem) bad(field, problem.slice(field.length + 2));
  }
  if (c.audio !== 'answerer-to-mobile' && c.audio !== 'both') bad('audio', "'answerer-to-mobile' or 'both'");
  if (c.playout !== undefined && c.playout !== 'fixed' && c.playout !== 'adaptive') bad('playout', "'fixed' or 'adaptive'");
  c.codec = c.codec === 'pcm' ? PCM : c.codec === 'opus' ? DEFAULT_CODEC : c.codec;
  const codec = codecProblem(c.codec);
  if (codec) bad('codec', codec.replace(/^codec:? ?/, ''));
  if (typeof c.capture !== 'boolean') bad('capture', 'true or false');
  if (problems.length) throw new ConfigError(problems, source);
  return c as unknown as BenchConfig;
}

/** The config's matrix with frames of another codec, as its own bench `<name>-<codec>` (bench --codec). */
export function withCodec(c: BenchConfig, codec: string): BenchConfig {
  if (codec !== 'opus' && codec !== 'pcm') throw new Error(`--codec must be opus or pcm, got '${codec}'`);
  return { ...c, name: `${c.name}-${codec}`, codec: codec === 'pcm' ? PCM : DEFAULT_CODEC };
}

export async function loadConfig(file: string): Promise<BenchConfig> {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new ConfigError([`cannot read: ${(e as Error).message}`], file); }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new ConfigError([`not JSON: ${(e as Error).message}`], file); }
  return validateConfig(raw, file);
}

/** A config's `ip` entry as a run's plan; undefined = IPv4 everywhere. Throws on a bad one. */
function ipOf(p: string | IpPlan): IpPlan | undefined {
  if (typeof p !== 'string') return ipLabel(p) ? p : undefined;
  return p === 'ipv4' ? undefined : parseIpPlan(p);
}

export interface PlannedRun { id: string; spec: RunSpec; label: string }

/** Every run of the matrix, in a fixed order; ids depend on parameters only. */
export function expand(c: BenchConfig): PlannedRun[] {
  const strategies: StrategyEntry[] = (c.strategies === 'all' ? strategyNames().filter((n) => !c.except?.includes(n)) : c.strategies)
    .map((s) => (typeof s === 'string' ? { name: s } : s));
  const runs: PlannedRun[] = [];
  for (const s of strategies) for (const n of c.nat) for (const ip of c.ip ?? ['ipv4']) for (const l of c.links) for (const event of c.events) for (const pairs of c.pairs ?? [1]) {
    for (let rep = 0; rep < c.reps; rep++) {
      const nat = typeof n === 'string' ? { answerer: n, wifi: n, cellular: n } : { ...DEFAULT_SPEC.nat, ...n };
      const links = typeof l === 'string' ? { answerer: l, wifi: l, cellular: l } : l;
      const spec: RunSpec = {
        strategy: s.name, options: s.options ?? {}, nat, links, event: scheduleString(event), rep, seed: c.seed + rep,
        audio: c.audio, jitterBufferMs: c.jitterBufferMs, codec: c.codec, warmupS: c.warmupS, observeS: c.observeS,
        ...(c.playout === 'adaptive' ? { playout: c.playout } : {}),   // absent: fixed, ids unchanged
        ...(pairs > 1 ? { pairs, staggerMs: c.staggerMs ?? DEFAULTS.staggerMs } : {}),   // absent for one pair: ids unchanged
        ...(c.settleS > 0 ? { settleS: c.settleS } : {}),   // absent: the whole window, as every run before early stop
        ...(c.startS !== DEFAULT_START_S ? { startS: c.startS } : {}),   // absent: the default, ids unchanged
        ...(ipOf(ip) ? { ip: ipOf(ip) } : {}),   // absent: IPv4 everywhere, ids unchanged
      };
      runs.push({ id: runId(spec), spec, label: s.label ?? s.name });
    }
  }
  return runs;
}
