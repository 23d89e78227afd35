// Address families for the strategies built on the shared peer socket and control connection
// (issue 30; docs/strategies.md "IPv6"). `--opt family=ipv4` (the default) keeps everything as it
// always was: IPv4 sockets, the intermediate at its IPv4 address. `family=dual`: dual-stack sockets,
// the peer's global IPv6 addresses among its host candidates (IPv6 has no NAT: the address a host
// has is the one its peer reaches, through the peer's firewall once both have sent), the control
// connection dialled at the intermediate's IPv4 address when there is a route to it, else at its IPv6
// one, and redialled when a change leaves no route to the address it uses.
import { isIPv4 } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { RoleContext } from '../contract.ts';

export type Family = 'ipv4' | 'dual';

export const FAMILY_OPTION = {
  family: { describe: 'ipv4: IPv4 sockets, as the original; dual: dual-stack sockets, IPv6 candidates, the intermediate reached in the family the route has (docs/strategies.md "IPv6")', default: 'ipv4', values: ['ipv4', 'dual'] },
};

/** The strategy's family: `ipv4` for a strategy that does not offer the option. */
export const familyOf = (ctx: Pick<RoleContext, 'options'>): Family => (ctx.options.family === 'dual' ? 'dual' : 'ipv4');

/** Why a strategy whose peers talk to the intermediate through a ControlClient cannot use an uplink
 *  without IPv4 (Strategy.needsIpv4): with family=ipv4 the client dials the intermediate's IPv4
 *  address from an IPv4 socket. With family=dual nothing: every outcome is a result. */
export function controlNeedsIpv4(options: Record<string, string>): string | null {
  return options.family === 'dual' ? null
    : 'its peers reach the intermediate only at its IPv4 address, from IPv4 sockets (strategies/shared/control.ts; --opt family=dual lifts it where the strategy offers it)';
}

/** A dual-stack socket reports an IPv4 peer as `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): the plain
 *  IPv4 address, so that an address means one thing whichever socket saw it. */
export const canonical = (addr: string): string =>
  (addr.startsWith('::ffff:') && isIPv4(addr.slice(7)) ? addr.slice(7) : addr);

/** What a dual-stack socket sends to for `addr` (Node's udp6 socket takes no dotted IPv4). */
export const onDualSocket = (addr: string): string => (isIPv4(addr) ? `::ffff:${addr}` : addr);

/** This host's global IPv6 addresses now (2000::/3: not link-local, not a NAT64-synthesised one),
 *  read from the OS at each call so that a renumbered prefix is the one offered. */
export function globalIpv6(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  return Object.values(ifaces).flatMap((as) => as ?? [])
    .filter((a) => a.family === 'IPv6' && !a.internal && /^[23][0-9a-f]{0,3}:/i.test(a.address))
    .map((a) => a.address);
}
/** The global IPv6 addresses on one device now. */
export const globalIpv6Of = (dev: string): string[] => globalIpv6({ [dev]: networkInterfaces()[dev] });

/** Every address of the intermediate a peer may hear it from. */
export const intermediateAddresses = (ctx: Pick<RoleContext, 'intermediate'>): string[] =>
  [...ctx.intermediate.addrs, ...ctx.intermediate.addrs6];
