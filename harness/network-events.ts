// The network events a run can fire: one table (docs/testbed.md "Adding an event"). Validation, --help,
// the live view's keys, where the mobile starts, which uplinks carry traffic afterwards (the floors'
// RTTs) and who checks the scenario all read it. Testbed events are fired by a handler in
// topologies/events.py (HANDLERS); the driver lists its handlers at build and the harness refuses a
// table entry without one (checkHandlers).

export type Uplink = 'wifi' | 'cellular';

export interface EventKind {
  /** What a spec names it by; with `seconds`, followed by `:<s>`. */
  name: string;
  /** Takes a duration: `blackout:2` (seconds), `handover:800` (ms, with `unit`). */
  seconds: boolean;
  /** The duration's unit when it is not seconds. */
  unit?: 'ms';
  /** Acts on the host's current uplink, or on the one named after `@` (`nat-rebind@cellular`). */
  targeted: boolean;
  /** testbed: the topology driver fires and checks it; harness: a process fault the harness fires
   *  and checks from its own log (harness/faults.ts). */
  by: 'testbed' | 'harness';
  /** The host it acts on in a one-pair run (pair k's own host with pairs:N). */
  host: 'mobile' | 'answerer' | 'intermediate';
  /** An uplink switch of the mobile: the uplink its traffic takes afterwards. */
  switchTo?: Uplink;
  /** The mobile keeps its uplink but its NAT gives its flows new public ports. With switchTo, what
   *  gives the mobile a new public endpoint (the capture's `new address` check). */
  remaps?: true;
  /** The interactive run's key for it (harness/live.ts). */
  key?: string;
  help: string;
}

export const EVENT_KINDS: readonly EventKind[] = [
  { name: 'wifi-to-cellular', seconds: false, targeted: false, by: 'testbed', host: 'mobile', switchTo: 'cellular', key: 'w',
    help: 'the mobile\'s Wi-Fi goes down; its traffic moves to cellular' },
  { name: 'cellular-to-wifi', seconds: false, targeted: false, by: 'testbed', host: 'mobile', switchTo: 'wifi', key: 'c',
    help: 'Wi-Fi comes up and becomes the default route (a run with it first starts the mobile on cellular: arriving home)' },
  { name: 'nat-rebind', seconds: false, targeted: true, by: 'testbed', host: 'mobile', remaps: true, key: 'r',
    help: 'the mobile\'s outermost NAT maps its flows to new public ports' },
  { name: 'answerer-rebind', seconds: false, targeted: false, by: 'testbed', host: 'answerer', key: 'a',
    help: 'the answerer\'s NAT maps its flows to new public ports' },
  { name: 'mapping-timeout', seconds: false, targeted: true, by: 'testbed', host: 'mobile', key: 't',
    help: 'every NAT on the mobile\'s uplink forgets its mappings, as after an idle timeout' },
  { name: 'blackout', seconds: true, targeted: true, by: 'testbed', host: 'mobile', key: 'b',
    help: 'the mobile\'s uplink drops every packet both ways for <s> seconds' },
  { name: 'handover', seconds: true, unit: 'ms', targeted: false, by: 'testbed', host: 'mobile', switchTo: 'cellular', key: 'h',
    help: 'Android-like: Wi-Fi stops carrying traffic (its link stays up, lingering) and cellular becomes the default route <ms> later (the OS validating it)' },
  { name: 'soft-handover', seconds: true, targeted: false, by: 'testbed', host: 'mobile', switchTo: 'cellular', key: 's',
    help: 'the OS prefers cellular while Wi-Fi still works (it becomes the default route), and Wi-Fi goes away <s> seconds later' },
  { name: 'wifi-fade', seconds: true, targeted: false, by: 'testbed', host: 'mobile', switchTo: 'cellular', key: 'f',
    help: 'Wi-Fi fades: its loss ramps 0 → 100 % and its delay grows over <s> seconds with nothing changing on the host; then the OS drops the Wi-Fi link (needs the wifi slot emulated)' },
  { name: 'arrive-home', seconds: true, unit: 'ms', targeted: false, by: 'testbed', host: 'mobile', switchTo: 'wifi', key: 'o',
    help: 'the mobile, on cellular, meets Wi-Fi: its link and address come up, it becomes the default route <ms> later (the OS validating it), cellular lingers 30 s then goes down' },
  { name: 'renumber', targeted: true, seconds: false, by: 'testbed', host: 'mobile', key: 'n',
    help: 'the mobile\'s uplink gets the next IPv6 /64 at once and loses the old one (RFC 8978 flash renumbering); IPv4 untouched; needs an IPv6 uplink (--ip)' },
  { name: 'intermediate-down', seconds: true, targeted: false, by: 'harness', host: 'intermediate',
    help: 'the intermediate is killed (SIGKILL) and started again <s> seconds later' },
];

/** An event spec parsed: its kind, duration (in seconds, whatever the spec's unit) and target uplink. */
export interface ParsedEvent { kind: EventKind; seconds?: number; target?: Uplink }

const SECONDS = /^\d+(\.\d+)?$/;
const kindsHelp = () => [...EVENT_KINDS.map(usage), 'none'].join(', ');
const targetedNames = () => EVENT_KINDS.filter((k) => k.targeted).map(usage).join(', ');

/** How --help and errors write a kind: `blackout:<s>`. */
export const usage = (k: EventKind): string => (k.seconds ? `${k.name}:<${k.unit ?? 's'}>` : k.name);

/** Parses one event (not `none`, not a schedule); throws with what is wrong. */
export function parseEvent(event: string): ParsedEvent {
  const [head, target, extra] = event.split('@');
  const [name, seconds] = head!.split(':');
  const kind = EVENT_KINDS.find((k) => k.name === name);
  if (!kind || kind.seconds !== (seconds !== undefined) || (seconds !== undefined && !SECONDS.test(seconds))) {
    throw new Error(`unknown event '${event}' (one of ${kindsHelp()}; ${targetedNames()} may end in @wifi or @cellular)`);
  }
  const s = seconds === undefined ? undefined : Number(seconds) / (kind.unit === 'ms' ? 1000 : 1);
  if (s !== undefined && !(s > 0 && s <= 3600)) throw new Error(`bad event '${event}': a duration is more than 0 and at most ${kind.unit === 'ms' ? '3600000 ms' : '3600 s'}`);
  if (target !== undefined && (extra !== undefined || !kind.targeted || (target !== 'wifi' && target !== 'cellular'))) {
    throw new Error(`bad event '${event}': only ${targetedNames()} take @wifi or @cellular`);
  }
  return { kind, ...(s !== undefined ? { seconds: s } : {}), ...(target ? { target } : {}) };
}

/** One line per event for --help. */
export const eventsHelp = (): string[] => EVENT_KINDS.map((k) => `${usage(k)}${k.targeted ? '[@wifi|@cellular]' : ''}: ${k.help}`);

/** The interactive run's keys: key -> an event it fires (a duration gets 2 s). */
export const eventKeys = (): Record<string, string> =>
  Object.fromEntries(EVENT_KINDS.filter((k) => k.key).map((k) => [k.key!, k.seconds ? `${k.name}:${k.unit === 'ms' ? 2000 : 2}` : k.name]));

/** The mobile's uplinks after `event`: the one its default route uses (the relay floor's
 *  mobile–intermediate RTT), and the one a make-before-break strategy can still use (the standby
 *  floor's direct path): after a Wi-Fi rebind, timeout or blackout that is cellular, whose path was
 *  warm. A single event's run starts on Wi-Fi unless it arrives home (startOnFor). */
export function uplinksAfter(event: string): { route: Uplink; surviving: Uplink } {
  if (event === 'none') return { route: 'wifi', surviving: 'wifi' };
  const { kind, target } = parseEvent(event);
  if (kind.switchTo) return { route: kind.switchTo, surviving: kind.switchTo };
  if (kind.targeted && kind.host === 'mobile') return { route: 'wifi', surviving: target === 'cellular' ? 'wifi' : 'cellular' };
  return { route: 'wifi', surviving: 'wifi' };   // the mobile's uplinks are untouched
}

/** The uplink an event moves the mobile to, if it is a switch. */
const switchOf = (event: string): Uplink | undefined => (event === 'none' ? undefined : parseEvent(event).kind.switchTo);

/** Where the dual-homed hosts start for a schedule of events (build option startOn): on cellular
 *  when its first uplink switch brings Wi-Fi up (the arrive-home case), else on Wi-Fi. */
export function startOnFor(events: readonly string[]): Uplink {
  const first = events.map(switchOf).find((to) => to);
  return first === 'wifi' ? 'cellular' : 'wifi';
}

/** Why firing `event` while the mobile is on `on` would change nothing, or null. A single event's
 *  run starts where startOnFor puts it. */
export function eventProblem(event: string, on: Uplink = startOnFor([event])): string | null {
  if (event === 'none') return null;
  const { kind, target } = parseEvent(event);
  if (kind.switchTo === on) return `'${event}' would change nothing: the mobile is already on ${on === 'wifi' ? 'Wi-Fi' : 'cellular'}`;
  if (target === 'wifi' && on === 'cellular') return `'${event}' would change nothing: the mobile's Wi-Fi is down then`;
  return null;
}

/** The uplink the mobile's default route uses when each event of a schedule (names in firing order) fires. */
export function routesAtEvents(events: readonly string[]): Uplink[] {
  let on = startOnFor(events);
  return events.map((e) => { const at = on; on = switchOf(e) ?? on; return at; });
}

/** The uplink the mobile's default route uses after a schedule (names in firing order). */
export function routeAfter(events: readonly string[]): Uplink {
  let on = startOnFor(events);
  for (const e of events) on = switchOf(e) ?? on;
  return on;
}

/** The first event of a schedule (names in firing order) that would change nothing, following the
 *  mobile's uplink from where startOnFor starts it; null if none. */
export function scheduleProblem(events: readonly string[]): string | null {
  let on = startOnFor(events);
  for (const e of events) {
    const problem = eventProblem(e, on);
    if (problem) return problem;
    on = switchOf(e) ?? on;
  }
  return null;
}

/** What the topology driver reports at build: its handlers, and whether each takes an @uplink. */
export type TestbedHandlers = Record<string, { targeted: boolean }>;

/** Refuses a table entry the testbed cannot fire, or one it describes differently. */
export function checkHandlers(handlers: TestbedHandlers): void {
  for (const k of EVENT_KINDS.filter((x) => x.by === 'testbed')) {
    const h = handlers[k.name];
    if (!h) throw new Error(`event '${k.name}' is in harness/network-events.ts but topologies/events.py has no handler for it (HANDLERS)`);
    if (h.targeted !== k.targeted) throw new Error(`event '${k.name}': harness/network-events.ts says targeted=${k.targeted}, topologies/events.py says ${h.targeted}`);
  }
}
