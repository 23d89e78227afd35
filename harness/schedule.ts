// A run's events: one event, or a schedule of several, each at an offset in seconds after the first
// (a config `events` entry given as a list: ["wifi-to-cellular@0", "cellular-to-wifi@1.5", …]). The
// spec carries a schedule as one string, its entries joined by ',', so a run id and a CSV row keep
// one event column. E is the first entry's effect (docs/metrics.md); the window ends observeS after
// the last.
export interface ScheduledEvent { name: string; atS: number }

/** The longest schedule: a soak of an hour and its settling in (harness/soak/soak.ts). */
export const MAX_SCHEDULE_S = 7200;

const OFFSET = /^(.+)@(\d+(?:\.\d+)?)$/;   // a trailing @<seconds>; `@wifi` / `@cellular` targets stay in the name

export function parseSchedule(event: string): ScheduledEvent[] {
  const entries = event.split(',');
  if (entries.length === 1 && !OFFSET.test(event)) return [{ name: event, atS: 0 }];
  const out = entries.map((entry) => {
    const m = OFFSET.exec(entry.trim());
    if (!m) throw new Error(`schedule entry '${entry}' needs an offset: <event>@<seconds>, e.g. cellular-to-wifi@1.5`);
    return { name: m[1]!, atS: Number(m[2]) };
  });
  if (out[0]!.atS !== 0) throw new Error(`a schedule starts at offset 0 (the run's event time E), not ${out[0]!.atS}`);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.atS < out[i - 1]!.atS) throw new Error(`schedule offsets must not decrease: ${out[i - 1]!.atS} then ${out[i]!.atS}`);
  }
  if (out.at(-1)!.atS > MAX_SCHEDULE_S) throw new Error(`a schedule lasts at most ${MAX_SCHEDULE_S} s`);
  return out;
}

/** A config's `events` entry as the spec's event string. */
export const scheduleString = (entry: string | string[]): string => (Array.isArray(entry) ? entry.join(',') : entry);

/** The names of a run's events, in firing order. */
export const eventNames = (event: string): string[] => parseSchedule(event).map((e) => e.name);

/** How a report names a run's events: the event, or for a schedule its length, first and last entry. */
export function eventLabel(event: string): string {
  const entries = event.split(',');
  return entries.length === 1 ? event : `${entries.length} events: ${entries[0]} … ${entries.at(-1)}`;
}
