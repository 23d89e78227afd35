// What every command shares: the Command shape, and the one flags -> RunSpec parser (the spec's
// limits are checked once, by validateSpec in harness/spec.ts, for flags and configs alike).
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_CODEC, PCM, type Codec } from '../../core/codec.ts';
import type { Playout } from '../../core/playout.ts';
import { DEFAULT_SETTLE_S, DEFAULT_SPEC, DEFAULT_START_S, type RunSpec } from '../spec.ts';
import { parseIpPlan } from '../ip-plan.ts';
import { linkOptions, SLOTS } from '../testbed/commands.ts';
import { strategyNames } from '../../strategies/registry.ts';

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

export const linkFlags = Object.fromEntries([['link', { type: 'string' as const }],
  ...SLOTS.map((s) => [`link-${s}`, { type: 'string' as const }])]);

/** The flags that make a run spec. */
export const specFlags: Command['options'] = {
  strategy: { type: 'string' }, nat: { type: 'string' }, 'nat-answerer': { type: 'string' }, 'nat-wifi': { type: 'string' },
  'nat-cellular': { type: 'string' }, ...linkFlags, event: { type: 'string' }, warmup: { type: 'string' },
  observe: { type: 'string' }, settle: { type: 'string' }, start: { type: 'string' }, seed: { type: 'string' }, rep: { type: 'string' }, audio: { type: 'string' },
  'jitter-buffer': { type: 'string' }, codec: { type: 'string' }, 'opus-bitrate': { type: 'string' }, 'opus-fec': { type: 'string' },
  'opus-loss': { type: 'string' }, playout: { type: 'string' }, opt: { type: 'string', multiple: true }, ip: { type: 'string' },
};

export function parseOpts(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (list as string[] | undefined) ?? []) {
    const [k, ...v] = item.split('=');
    if (!k || v.length === 0) throw new Error(`--opt ${item}: expected key=value`);
    out[k] = v.join('=');
  }
  return out;
}

/** --codec opus (the default, core/codec.ts DEFAULT_CODEC) with --opus-bitrate/-fec/-loss, or --codec pcm. */
function codecFromFlags(v: Record<string, unknown>, num: (k: string, d: number) => number): Codec {
  const name = (v.codec as string | undefined) ?? DEFAULT_CODEC.name;
  const opusFlags = ['opus-bitrate', 'opus-fec', 'opus-loss'].filter((k) => v[k] !== undefined);
  if (name === 'pcm') {
    if (opusFlags.length) throw new Error(`--${opusFlags[0]} needs --codec opus`);
    return PCM;
  }
  if (name !== 'opus') throw new Error(`--codec must be opus or pcm, got '${name}'`);
  const fec = (v['opus-fec'] as string | undefined) ?? (DEFAULT_CODEC.fec ? 'on' : 'off');
  if (fec !== 'on' && fec !== 'off') throw new Error(`--opus-fec must be on or off, got '${fec}'`);
  return { name: 'opus', bitrateKbps: num('opus-bitrate', DEFAULT_CODEC.bitrateKbps), fec: fec === 'on', lossPct: num('opus-loss', DEFAULT_CODEC.lossPct) };
}

/** A run spec from parsed specFlags; unset flags take DEFAULT_SPEC's values. */
export function specFromFlags(v: Record<string, unknown>): RunSpec {
  if (typeof v.strategy !== 'string') throw new Error(`--strategy is required (one of ${strategyNames().join(', ')})`);
  const nat = v.nat as string | undefined;
  const num = (k: string, d: number) => {
    if (v[k] === undefined) return d;
    const n = Number(v[k]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a non-negative number, got '${v[k]}'`);
    return n;
  };
  const audio = (v.audio as string | undefined) ?? DEFAULT_SPEC.audio;
  if (audio !== 'answerer-to-mobile' && audio !== 'both') throw new Error(`--audio must be answerer-to-mobile or both, got '${audio}'`);
  return {
    ...DEFAULT_SPEC, strategy: v.strategy, codec: codecFromFlags(v, num),
    ...(v.playout === undefined || v.playout === 'fixed' ? {} : { playout: v.playout as Playout }),   // absent: fixed, ids unchanged
    nat: {
      answerer: (v['nat-answerer'] ?? nat ?? DEFAULT_SPEC.nat.answerer) as string,
      wifi: (v['nat-wifi'] ?? nat ?? DEFAULT_SPEC.nat.wifi) as string,
      cellular: (v['nat-cellular'] ?? nat ?? DEFAULT_SPEC.nat.cellular) as string,
    },
    links: linkOptions(v) ?? {}, event: (v.event as string | undefined) ?? DEFAULT_SPEC.event,
    seed: num('seed', DEFAULT_SPEC.seed), rep: num('rep', DEFAULT_SPEC.rep), audio, jitterBufferMs: num('jitter-buffer', DEFAULT_SPEC.jitterBufferMs),
    warmupS: num('warmup', DEFAULT_SPEC.warmupS), observeS: num('observe', DEFAULT_SPEC.observeS), options: parseOpts(v.opt),
    ...(num('settle', DEFAULT_SETTLE_S) > 0 ? { settleS: num('settle', DEFAULT_SETTLE_S) } : {}),   // absent: the whole window
    ...(num('start', DEFAULT_START_S) !== DEFAULT_START_S ? { startS: num('start', DEFAULT_START_S) } : {}),
    ...(parseIpPlan(v.ip as string | undefined) ? { ip: parseIpPlan(v.ip as string | undefined) } : {}),   // absent: IPv4, ids unchanged
  };
}
