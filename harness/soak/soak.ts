// `make soak` (docs/hardening.md "Soak"): N pairs through one intermediate for a set time, the
// mobiles switching uplink every so often (Wi-Fi → cellular, back, …), as ONE run — the same role
// processes the whole time, which is what a soak is for. Every interval it samples each role
// process's memory and descriptors and the intermediate's state (harness/soak/sampler.ts); at the end
// each series is judged flat or growing (harness/soak/flatness.ts), beside the run's own outcome:
// every switch checked from the testbed, the frames sent and lost, no role died.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { scheduled, type Drive } from '../run/drive.ts';
import { runOnce } from '../run/run.ts';
import { DEFAULT_SPEC, type RunSpec } from '../spec.ts';
import type { RunMetrics } from '../metrics.ts';
import { TOLERANCES, trend, type Tolerance, type Trend } from './flatness.ts';
import { SoakSampler, type SoakSample } from './sampler.ts';

export interface SoakOptions {
  strategy: string;
  pairs: number;
  minutes: number;
  switchEveryS: number;
  /** Before the judged minutes, audio flowing and switching all the same, unjudged (default SETTLE_IN_S). */
  settleInS?: number;
  /** Absent: each minute, or for a soak under 12 minutes twelve samples over it. */
  sampleEveryS?: number;
  options?: Record<string, string>;
  links?: RunSpec['links'];
}
export const SOAK_DEFAULTS = { strategy: 'relay-repunch', pairs: 8, minutes: 60, switchEveryS: 30 } satisfies SoakOptions;
export const sampleEvery = (o: SoakOptions): number => o.sampleEveryS ?? Math.min(60, (o.minutes * 60) / 12);
/** The longest soak: its logs are scored in memory at the end, as any run's. */
export const MAX_SOAK_MINUTES = 60;
/** Node's heap grows to its working size for ≈ 2 min after audio starts (a mobile's heapTotal 8 → 46 MB,
 *  its RSS 61 → 100 MB, then flat: role.memory, docs/hardening.md "Soak"), longer on a busy machine (in a
 *  make test one answerer was still at 87 of its 100 MB at 2 min); that is not judged. */
export const SETTLE_IN_S = 180;
const settleIn = (o: SoakOptions) => o.settleInS ?? SETTLE_IN_S;

/** The soak's switches: Wi-Fi → cellular at 0, back at S, … while inside `seconds`. */
export function soakSchedule(seconds: number, everyS: number): string {
  const n = Math.max(1, Math.ceil(seconds / everyS));
  return Array.from({ length: n }, (_, i) => `${i % 2 ? 'cellular-to-wifi' : 'wifi-to-cellular'}@${+(i * everyS).toFixed(3)}`).join(',');
}

export function soakSpec(o: SoakOptions): RunSpec {
  if (!(o.minutes > 0 && o.minutes <= MAX_SOAK_MINUTES)) throw new Error(`--minutes must be in (0, ${MAX_SOAK_MINUTES}], got ${o.minutes}`);
  if (!(settleIn(o) >= 0 && settleIn(o) <= 600)) throw new Error(`--settle-in must be in [0, 600] s, got ${settleIn(o)}`);
  if (!(o.switchEveryS >= 5 && o.switchEveryS <= o.minutes * 60)) throw new Error(`--switch-every must be at least 5 s and at most the soak, got ${o.switchEveryS}`);
  const every = sampleEvery(o);
  if (!(every >= 1 && every * 3 <= o.minutes * 60)) throw new Error(`--sample-every must be at least 1 s, and the soak three samples long, got ${every}`);
  return {
    ...DEFAULT_SPEC, strategy: o.strategy, pairs: o.pairs, staggerMs: 200, event: soakSchedule(settleIn(o) + o.minutes * 60, o.switchEveryS),
    // the last switch is observed as long as every other (no early stop): the soak lasts its minutes
    warmupS: 3.5, observeS: o.switchEveryS, settleS: 0, options: o.options ?? {}, links: o.links ?? {},
  };
}

export interface SeriesVerdict { role: string; quantity: 'rssKb' | 'fds' | 'connections' | 'sessions' | 'relays'; trend: Trend }
export interface SoakResult {
  id: string; dir: string; status: string; error?: string;
  /** Switches over every pair: fired, checked from the testbed, and of those failed. */
  switches: { fired: number; checked: number; failed: number };
  frames: { sent: number; lost: number; late: number };
  pairsRecovered: number; pairs: number;
  settleInS: number;
  series: SeriesVerdict[];
  /** The run happened as scheduled, every series is flat (or too short to say), nothing died. */
  pass: boolean;
}

/** Every series of the samples, judged from `judgeFrom` on. */
export function judge(samples: readonly SoakSample[], judgeFrom: number): SeriesVerdict[] {
  const out: SeriesVerdict[] = [];
  const roles = [...new Set(samples.flatMap((s) => s.procs.map((p) => p.role)))];
  const series = (pick: (s: SoakSample) => number | undefined) =>
    samples.flatMap((s) => { const v = pick(s); return v === undefined ? [] : [{ t: s.t, v }]; });
  const add = (role: string, quantity: SeriesVerdict['quantity'], pick: (s: SoakSample) => number | undefined, tol: Tolerance) =>
    out.push({ role, quantity, trend: trend(series(pick), tol, judgeFrom) });
  for (const role of roles) {
    add(role, 'rssKb', (s) => s.procs.find((p) => p.role === role)?.rssKb, TOLERANCES.rssKb);
    add(role, 'fds', (s) => s.procs.find((p) => p.role === role)?.fds, TOLERANCES.fds);
  }
  if (samples.some((s) => s.state)) {
    for (const q of ['connections', 'sessions', 'relays'] as const) add('intermediate', q, (s) => s.state?.[q], TOLERANCES.entries);
  }
  return out;
}

export async function runSoak(o: SoakOptions, benchDir: string, progress: (msg: string) => void = () => {}): Promise<SoakResult> {
  const spec = soakSpec(o);
  const samples: SoakSample[] = [];
  let fired = 0;
  let judgeFrom = 0;
  const drive: Drive = async (ctx) => {
    const sampler = new SoakSampler([ctx.dir, ...Array.from({ length: o.pairs - 1 }, (_, i) => path.join(ctx.dir, `pair-${i + 2}`))]);
    const start = Date.now();
    judgeFrom = start + settleIn(o) * 1000;
    const take = () => {
      const s = sampler.sample();
      samples.push(s);
      progress(`${s.t < judgeFrom ? 'settling in' : `soak ${((s.t - judgeFrom) / 60000).toFixed(1)}/${o.minutes} min`} · ${sampleLine(s, fired)}`);
    };
    take();
    const timer = setInterval(take, sampleEvery(o) * 1000);
    try {
      await scheduled({ ...ctx, fire: async (name) => { const r = await ctx.fire(name); fired += o.pairs; return r; } });
    } finally {
      clearInterval(timer);
    }
    take();
  };
  const r = await runOnce(spec, benchDir, { progress, drive });
  const checks = (r.meta.checks as { ok: boolean }[] | undefined) ?? [];
  const perPair = (r.meta.pairs as { metrics: RunMetrics }[] | undefined)?.map((p) => p.metrics) ?? [r.metrics];
  const series = judge(samples, judgeFrom);
  const status = r.meta.status as string;
  const result: SoakResult = {
    id: r.id, dir: r.dir, status, ...(r.meta.error ? { error: String(r.meta.error) } : {}),
    switches: { fired, checked: checks.length, failed: checks.filter((c) => !c.ok).length },
    frames: { sent: sum(perPair, 'frames_sent'), lost: sum(perPair, 'frames_lost'), late: sum(perPair, 'frames_late') },
    pairsRecovered: perPair.filter((m) => m.success).length, pairs: perPair.length, settleInS: settleIn(o), series,
    pass: soakPasses(status, series),
  };
  writeFileSync(path.join(r.dir, 'soak.json'), JSON.stringify({ options: o, ...result, samples }, null, 2));
  return result;
}

/** A soak passes only when its run was ok and every series was judged flat: a series with too few judged
 *  samples to say (flat null) or no series at all is a soak that did not show stamina. */
export function soakPasses(status: string, series: SeriesVerdict[]): boolean {
  return status === 'ok' && series.length > 0 && series.every((s) => s.trend.flat === true);
}

const sum = (ms: RunMetrics[], k: 'frames_sent' | 'frames_lost' | 'frames_late') => ms.reduce((a, m) => a + m[k], 0);
const mb = (kb: number) => (kb / 1024).toFixed(0);

function sampleLine(s: SoakSample, fired: number): string {
  const range = (xs: number[], f: (x: number) => string) => (xs.length ? (Math.min(...xs) === Math.max(...xs) ? f(xs[0]!) : `${f(Math.min(...xs))}–${f(Math.max(...xs))}`) : '–');
  const of = (prefix: string) => s.procs.filter((p) => p.role.replace(/\d+$/, '') === prefix);
  const inter = of('intermediate')[0];
  return `${fired} switches · RSS MB intermediate ${inter ? mb(inter.rssKb) : '–'}, ` +
    `answerers ${range(of('answerer').map((p) => p.rssKb), mb)}, mobiles ${range(of('mobile').map((p) => p.rssKb), mb)} · ` +
    `fds ${range(s.procs.map((p) => p.fds), String)}` +
    (s.state ? ` · intermediate: ${s.state.connections} connections, ${s.state.sessions} sessions, ${s.state.relays} relays` : '');
}

/** The verdict as a table, one row per series, and the run's outcome. */
export function soakReport(r: SoakResult): string[] {
  const unit = (q: SeriesVerdict['quantity'], v: number) => (q === 'rssKb' ? `${(v / 1024).toFixed(1)} MB` : v.toFixed(q === 'fds' ? 0 : 1));
  const rows = r.series.map(({ role, quantity: q, trend: t }) =>
    `  ${role.padEnd(13)} ${(q === 'rssKb' ? 'RSS' : q).padEnd(11)} ${unit(q, t.first).padStart(9)} → ${unit(q, t.last).padEnd(9)} ` +
    `rise ${unit(q, t.rise).padStart(9)} (${unit(q, t.perHour)}/h) ≤ ${unit(q, t.tolerance).padEnd(8)} ${t.flat === null ? 'too few samples' : t.flat ? 'flat' : 'GROWING'}`);
  return [
    `soak ${r.id}: ${r.status}${r.error ? ` (${r.error})` : ''}`, `  ${r.dir}`,
    `  switches (over every pair): ${r.switches.fired} fired, ${r.switches.checked - r.switches.failed}/${r.switches.checked} passed the testbed's check`,
    `  frames: ${r.frames.sent} sent, ${r.frames.lost} lost, ${r.frames.late} late; pairs recovered after the last switch ${r.pairsRecovered}/${r.pairs}`,
    `  series (judged after ${r.settleInS} s settling in; the fitted line's rise across the rest ≤ tolerance):`, ...rows,
    r.pass ? 'PASS: every series flat' : `FAIL: ${r.status !== 'ok' ? `the run was ${r.status}` : r.series.length ? 'a series was growing or had too few samples' : 'nothing was sampled'}`,
  ];
}
