// A run's address families (issue 30; docs/testbed.md "IPv6"): which sites are IPv4 (the default),
// dual-stack or, for cellular, IPv6-only behind a NAT64, and their IPv6 firewalls. Built by
// topologies/ipv6.py; the allowed values come from topologies/presets.json, as the NAT presets do.
// Written as a flag and a runs.csv cell the same way: `wifi=dual-stack,cellular=ipv6-only,clat=off,firewall-wifi=EIF`.
import { parseEvent, routesAtEvents } from './network-events.ts';
import { PRESETS } from './presets.ts';

export const IP_SITES = ['answerer', 'wifi', 'cellular'] as const;
export type IpSite = typeof IP_SITES[number];
export interface IpPlan {
  answerer?: string; wifi?: string; cellular?: string;
  /** With an IPv6-only cellular: the phone's CLAT (464XLAT) on, the default, or off. */
  clat?: boolean;
  /** A dual-stack or IPv6-only site's IPv6 firewall filtering (EIF | ADF | APDF; default APDF). */
  firewall?: Partial<Record<IpSite, string>>;
}

const IPV6 = PRESETS.ipv6;
const familyOf = (ip: IpPlan | undefined, site: IpSite) => ip?.[site] ?? 'ipv4';

/** What is wrong with a plan from a config or a flag, or null. */
export function ipPlanProblem(ip: unknown): string | null {
  if (ip === undefined) return null;
  if (!ip || typeof ip !== 'object') return 'ip: { answerer?, wifi?, cellular?, clat?, firewall? }';
  const o = ip as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'clat') { if (typeof v !== 'boolean') return `ip.clat: true or false, got ${String(v)}`; continue; }
    if (k === 'firewall') continue;
    const allowed = IPV6.families[k as IpSite];
    if (!allowed) return `ip: unknown setting ${k} (${IP_SITES.join(', ')}, clat, firewall)`;
    if (!allowed.includes(String(v))) return `ip.${k}: one of ${allowed.join(', ')}, got ${String(v)}`;
  }
  for (const [site, f] of Object.entries((o.firewall ?? {}) as Record<string, unknown>)) {
    if (!IP_SITES.includes(site as IpSite)) return `ip.firewall: unknown site ${site} (${IP_SITES.join(', ')})`;
    if (!IPV6.firewalls.includes(String(f))) return `ip.firewall.${site}: one of ${IPV6.firewalls.join(', ')}, got ${String(f)}`;
    if (familyOf(o as IpPlan, site as IpSite) === 'ipv4') return `ip.firewall.${site}: the ${site} site is ipv4 (no IPv6 to filter)`;
  }
  if (o.clat !== undefined && o.cellular !== 'ipv6-only') return 'ip.clat: only with cellular=ipv6-only';
  return null;
}

/** `--ip` / a runs.csv cell -> a plan (undefined for '' = IPv4 everywhere). Throws on a bad one. */
export function parseIpPlan(text: string | undefined): IpPlan | undefined {
  if (!text) return undefined;
  const ip: IpPlan = {};
  for (const item of text.split(',')) {
    const [k, v] = item.split('=', 2);
    if (!k || v === undefined) throw new Error(`--ip ${text}: expected site=family,…, got '${item}'`);
    if (k === 'clat') {
      if (v !== 'on' && v !== 'off') throw new Error(`--ip clat=on|off, got '${v}'`);
      ip.clat = v === 'on';
    } else if (k.startsWith('firewall-')) (ip.firewall ??= {})[k.slice('firewall-'.length) as IpSite] = v;
    else (ip as Record<string, unknown>)[k] = v;
  }
  const problem = ipPlanProblem(ip);
  if (problem) throw new Error(problem);
  return ipLabel(ip) ? ip : undefined;
}

/** The plan as `parseIpPlan` reads it; '' when every site is IPv4. */
export function ipLabel(ip: IpPlan | undefined): string {
  if (!ip || IP_SITES.every((s) => familyOf(ip, s) === 'ipv4')) return '';
  return [...IP_SITES.filter((s) => familyOf(ip, s) !== 'ipv4').map((s) => `${s}=${ip[s]}`),
    ...(ip.clat === false ? ['clat=off'] : []),
    ...IP_SITES.filter((s) => ip.firewall?.[s]).map((s) => `firewall-${s}=${ip.firewall![s]}`)].join(',');
}

/** The address an IPv6-only host reaches IPv4 `v4` at through a NAT64 with the /96 `prefix` (RFC 6052
 *  §2.2: the IPv4 address in the last 32 bits, here in the dotted form every stack parses). */
export function synthesize(v4: string, prefix: string): string {
  const [net, len] = prefix.split('/');
  if (len !== '96' || !net?.endsWith('::')) throw new Error(`${prefix}: only /96 prefixes ending in :: are supported`);
  return `${net}${v4}`;
}

/** The sites without IPv4: IPv6-only without a CLAT. */
export const sitesWithoutIpv4 = (ip: IpPlan | undefined): IpSite[] =>
  IP_SITES.filter((s) => familyOf(ip, s) === 'ipv6-only' && ip?.clat === false);

/** Why a run that ended unrecovered on `route` failed by its strategy's design (`needsIpv4`,
 *  strategies/contract.ts): that uplink had no IPv4. Null otherwise. */
export function ipv4Failure(needsIpv4: string | undefined, ip: IpPlan | undefined, route: IpSite, recovered: boolean): string | null {
  if (recovered || !needsIpv4 || !sitesWithoutIpv4(ip).includes(route)) return null;
  return `cannot run without IPv4: ${route} is IPv6-only without a CLAT, and ${needsIpv4}`;
}

/** A run's start failure with what a strategy that needs IPv4 met (the mobile has an uplink without
 *  it from the start): the facts beside the error, not a diagnosis. */
export function withIpv4Context(e: Error, needsIpv4: string | undefined, ip: IpPlan | undefined): Error {
  const sites = sitesWithoutIpv4(ip);
  return needsIpv4 && sites.length ? new Error(`${e.message}; ${sites.join(', ')} has no IPv4 (IPv6-only without a CLAT), and ${needsIpv4}`) : e;
}

/** Why a schedule cannot run on these networks, or null: a `renumber` needs IPv6 on the uplink it acts
 *  on (its target, else the one the mobile is on then). */
export function ipEventProblem(events: readonly string[], ip: IpPlan | undefined): string | null {
  const on = routesAtEvents(events);
  for (const [i, e] of events.entries()) {
    if (e === 'none') continue;
    const { kind, target } = parseEvent(e);
    const site = target ?? on[i]!;
    if (kind.name === 'renumber' && familyOf(ip, site) === 'ipv4') return `'${e}' needs IPv6 on ${site}: give it with --ip ${site}=dual-stack${site === 'cellular' ? ' or ipv6-only' : ''}`;
  }
  return null;
}
