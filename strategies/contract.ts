// The Strategy contract: the one seam between the harness and a strategy. A strategy is a folder
// strategies/<name>/ whose index.ts default-exports a Strategy; the harness starts each role as
// its own process (`node strategies/run-role.ts <name> <role> <context.json>`) and knows nothing
// else about it. docs/strategies.md explains the contract with an example.
import type { Codec } from '../core/codec.ts';
import type { Playout } from '../core/playout.ts';
import type { EventLogger, Role } from '../core/events.ts';

export type StrategyRole = Exclude<Role, 'harness'>;

export interface UplinkInfo { name: string; dev: string; addr: string; gateway: string }

/** What the harness writes into context.json for a role (plain JSON). */
export interface RoleConfig {
  strategy: string;
  role: StrategyRole;
  runDir: string;                          // write events.<role>.jsonl (and received.wav) here
  /** `addrs6`: its IPv6 addresses when the testbed has IPv6 (docs/testbed.md "IPv6"), else empty. */
  intermediate: { addrs: [string, string]; addrs6: string[]; controlPort: number };
  pairings: { id: string; secret: string }[];  // the intermediate gets all; a peer gets its own
  uplinks: UplinkInfo[];                   // this host's addresses (empty on the intermediate)
  audio: { direction: 'answerer-to-mobile' | 'both'; sample: string; jitterBufferMs: number; codec: Codec; playout: Playout };
  options: Record<string, string>;         // strategy options given on the command line
  seed: number;
}

export interface RoleContext extends RoleConfig {
  log: EventLogger;
  /** Aborted when the harness stops the run (SIGTERM): finish, close, return. */
  signal: AbortSignal;
  /** Tells the harness a milestone: 'ready' (serving / connected) and, on the audio receiver,
   *  'audio' once the first frame arrived. The harness waits for them before firing the event. */
  report(milestone: 'ready' | 'audio', detail?: Record<string, unknown>): void;
  /** A declared option's value: the one given (`--opt k=v`), else its default; run-role fills and
   *  checks them before the role starts. Asking for an undeclared option throws. */
  option(name: string): string;
}

/** An option is an enum when it lists `values`, a non-negative number when its default is one,
 *  else free text. */
export interface StrategyOption { describe: string; default: string; values?: string[] }

export interface Strategy {
  name: string;
  /** One paragraph: what happens on an address change. Shown by `migbench strategies`. */
  describe: string;
  options?: Record<string, StrategyOption>;
  /** What a reader of a report with this strategy's runs should know (a limit of its stack, what it
   *  cannot do); the report lists them under Notes. Cite docs/ for the sources. */
  notes?: string[];
  /** Why it cannot use an uplink without IPv4 — an IPv6-only network without the phone's CLAT
   *  (docs/testbed.md "IPv6") — with these options (every declared one, resolved), if it cannot: a
   *  run that ends on such an uplink unrecovered is then `failed` with this reason, its design and not
   *  its luck. Absent or null: every outcome is a result. */
  needsIpv4?(options: Record<string, string>): string | null;
  intermediate(ctx: RoleContext): Promise<void>;
  answerer(ctx: RoleContext): Promise<void>;
  mobile(ctx: RoleContext): Promise<void>;
}

/** What is wrong with option k=v of `strategy`, or null (harness/spec.ts checks before a run,
 *  run-role again in the role's process). */
export function optionProblem(strategy: Strategy, k: string, v: unknown): string | null {
  const opt = strategy.options?.[k];
  if (!opt) return `strategy ${strategy.name} has no option '${k}' (${Object.keys(strategy.options ?? {}).join(', ') || 'it takes none'})`;
  if (typeof v !== 'string') return `option ${k} of ${strategy.name} must be a string`;
  if (opt.values && !opt.values.includes(v)) return `option ${k} of ${strategy.name}: '${v}' is not one of ${opt.values.join(', ')}`;
  if (!opt.values && Number.isFinite(Number(opt.default)) && !(Number(v) >= 0 && v.trim() !== '')) {
    return `option ${k} of ${strategy.name}: '${v}' is not a non-negative number`;
  }
  return null;
}

/** Every declared option: the given value, else its default. Throws on a bad or unknown one. */
export function resolveOptions(strategy: Strategy, given: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(given)) {
    const problem = optionProblem(strategy, k, v);
    if (problem) throw new Error(problem);
  }
  return Object.fromEntries(Object.entries(strategy.options ?? {}).map(([k, o]) => [k, given[k] ?? o.default]));
}
