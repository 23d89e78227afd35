// The Strategy contract: the one seam between the harness and a strategy. A strategy is a folder
// strategies/<name>/ whose index.ts default-exports a Strategy; the harness starts each role as
// its own process (`node strategies/run-role.ts <name> <role> <context.json>`) and knows nothing
// else about it. docs/strategies.md explains the contract with an example.
import type { EventLogger, Role } from './shared/events.ts';

export type StrategyRole = Exclude<Role, 'harness'>;

export interface UplinkInfo { name: string; dev: string; addr: string; gateway: string }

/** What the harness writes into context.json for a role (plain JSON). */
export interface RoleConfig {
  strategy: string;
  role: StrategyRole;
  runDir: string;                          // write events.<role>.jsonl (and received.wav) here
  intermediate: { addrs: [string, string]; controlPort: number };
  pairings: { id: string; secret: string }[];  // the intermediate gets all; a peer gets its own
  uplinks: UplinkInfo[];                   // this host's addresses (empty on the intermediate)
  audio: { direction: 'answerer-to-mobile' | 'both'; sample: string; jitterBufferMs: number };
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
}

export interface StrategyOption { describe: string; default: string; values?: string[] }

export interface Strategy {
  name: string;
  /** One paragraph: what happens on an address change. Shown by `migbench strategies`. */
  describe: string;
  options?: Record<string, StrategyOption>;
  intermediate(ctx: RoleContext): Promise<void>;
  answerer(ctx: RoleContext): Promise<void>;
  mobile(ctx: RoleContext): Promise<void>;
}
