// What happens between "audio flows" and "stop": the fixed schedule of a bench run (`scheduled`),
// or a person at the keyboard (harness/live.ts).
import type { BuildInfo, Calibration, EventResult, TopologyDriver } from '../driver.ts';
import { parseSchedule } from '../schedule.ts';
import type { RunSpec } from '../spec.ts';

/** `fire` logs event.fired; the first one is the run's E. */
export interface DriveContext {
  spec: RunSpec; dir: string; info: BuildInfo; calibration: Calibration[];
  fire(name: string): Promise<EventResult>;
  /** Opens Mininet's CLI on a Unix socket; resolves with its path. */
  cli(): Promise<string>;
  /** The run's topology, for drives that do more than fire events (tests: exec, start in a host). */
  driver: TopologyDriver;
  phase(name: string, say?: string): void;
  /** Observes for `maxMs`, or less if the spec asks for an early stop and the run settles first. */
  observe(maxMs: number): Promise<void>;
}
export type Drive = (ctx: DriveContext) => Promise<void>;

/** The bench schedule: warm up, fire the event (or each event of a schedule at its offset), observe
 *  (to the maximum, or until settled: harness/run/settle.ts). */
export const scheduled: Drive = async ({ spec, fire, phase, observe }) => {
  await sleep(spec.warmupS * 1000);
  const start = Date.now();
  const plan = parseSchedule(spec.event);
  for (const [i, e] of plan.entries()) {
    await sleep(start + e.atS * 1000 - Date.now());
    if (e.name !== 'none') await fire(e.name);
    if (i === 0) phase('event', `${plan.length > 1 ? `${plan.length} events` : 'event'} fired; observing ${spec.observeS} s after the last`);
  }
  await observe(spec.observeS * 1000);
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
