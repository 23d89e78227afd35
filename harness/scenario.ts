// Scenario verification, independent of the strategy: every fired event is checked from what the
// testbed sees (NAT counters and conntrack, routes, drop counters: topologies/scenario.py), the
// harness's own fault (intermediate-down) from the harness's log. A run whose scenario did not
// happen is invalid, never scored. (Events that would change nothing are refused before a build:
// harness/network-events.ts.)
import type { EventResult, ScenarioCheck, TopologyDriver } from './driver.ts';
import { parseEvent } from './network-events.ts';

export interface EventCheck extends ScenarioCheck { name: string; host: string; t: number }
/** A line of events.harness.jsonl. */
export interface HarnessLine { t: number; type: string; [k: string]: unknown }

/** Checks every fired event (in firing order), at the end of the observe window: call it before
 *  the roles stop. `harness`: the harness log so far, for intermediate-down. */
export async function verifyScenario(driver: TopologyDriver, fired: readonly EventResult[],
  harness: readonly HarnessLine[] = [], observeEnd = Date.now()): Promise<EventCheck[]> {
  const out: EventCheck[] = [];
  for (const ev of fired) {
    const check = parseEvent(ev.name).kind.by === 'harness' ? checkIntermediateDown(ev, harness, observeEnd) : await driver.verify(ev);
    out.push({ name: ev.name, host: ev.host, t: ev.t, ...check });
  }
  return out;
}

/** The reason a run is invalid (every failed check), or null when every scenario happened. */
export function invalidReason(checks: readonly EventCheck[]): string | null {
  const bad = checks.filter((c) => !c.ok);
  return bad.length ? bad.map((c) => `${c.name} (${c.host}): ${c.reason}`).join('; ') : null;
}

/** Why an invalid run is noisy, when every check it failed found its event late, not missing (a
 *  blackout too long under load): the host's doing, as for a noisy run, so a bench makes it again
 *  (harness/run/fidelity.ts rerunWhileNoisy); null otherwise. */
export function lateOnly(checks: readonly EventCheck[]): string | null {
  const bad = checks.filter((c) => !c.ok);
  return bad.length && bad.every((c) => c.late) ? `the scenario ran late: ${invalidReason(bad)}` : null;
}

/** intermediate-down:<s>: the intermediate exited after the kill, and a new one reported ready
 *  (or the window ended before its restart was due). From the harness's log, not a strategy's. */
export function checkIntermediateDown(fired: EventResult, harness: readonly HarnessLine[], observeEnd: number): ScenarioCheck {
  const seconds = parseEvent(fired.name).seconds!;
  const exit = harness.find((l) => l.type === 'role.exit' && l.of === 'intermediate' && l.t >= fired.tIssued && l.t <= observeEnd);
  if (!exit) return { ok: false, reason: 'the intermediate never exited after the kill', evidence: {} };
  const back = harness.find((l) => l.type === 'event.restored' && l.name === fired.name && l.t >= exit.t);
  if (back) return { ok: true, reason: `down ${(back.t - exit.t).toFixed(0)} ms, then a new intermediate ready`, evidence: { exitT: exit.t, readyT: back.t } };
  if (exit.t + seconds * 1000 >= observeEnd) {
    return { ok: true, reason: 'down until the end of the window (its restart was due after it)', evidence: { exitT: exit.t } };
  }
  const error = harness.find((l) => l.type === 'error' && l.t >= exit.t);
  return { ok: false, reason: `no new intermediate reported ready${error ? `: ${String(error.message)}` : ''}`, evidence: { exitT: exit.t } };
}
