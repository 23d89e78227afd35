"""IPv6 in the testbed (issue 30; docs/testbed.md "IPv6"): the address plan, the home router's stateful
firewall (RFC 6092), and an IPv6-only cellular network reaching the IPv4 internet through a NAT64
(RFC 6146: tayga, stateless, in front of the edge's own NAT44) with the phone's CLAT (RFC 6877 464XLAT).

Opt-in per site (`AddressPlan`): with every site `ipv4` (the default) nothing here touches a build, so
every IPv4 result stays comparable. Addresses come from 2001:2::/48 (RFC 5180, the benchmarking twin of
198.18.0.0/15): 2001:2::/64 the core's public net, 2001:2:0:<site>::/64 a site's WAN, 2001:2:0:<site>00::/64
its LAN.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Any, Protocol

from .nat import PRESETS

SPEC: dict[str, Any] = PRESETS['ipv6']
FAMILIES: dict[str, list[str]] = SPEC['families']          # site -> what it may be
FILTERINGS: list[str] = SPEC['firewalls']                   # EIF | ADF | APDF, as RFC 4787 names them
FIREWALL_UDP_TIMEOUT_S: int = SPEC['firewallUdpTimeoutS']   # RFC 6092 §3.2.3: UDP state ≥ 2 min idle, 5 min by default
NAT64_PREFIX: str = SPEC['nat64Prefix']                     # RFC 6052 §2.1 well-known prefix, on the wire
# tayga 0.9.2 (Debian 12) refuses, under the well-known prefix, every IPv4 address RFC 6052 §3.1 calls
# private — 198.18.0.0/15, the whole testbed internet, among them. It translates with this prefix
# instead, and an nftables prefix NAT maps 64:ff9b::/96 onto it and back (docs/testbed.md "IPv6").
TAYGA_PREFIX = '2001:2:0:64::/96'
INTERMEDIATE6 = ('2001:2::10', '2001:2::11')
STRANGER6 = '2001:2:0:9::2'
PROBE_DST6 = '2001:2::1'   # the core: where the scenario checks' IPv6 probes go
SITES = {'answerer': (1, 'A'), 'wifi': (2, 'B'), 'cellular': (3, 'C')}   # as shapes.plan numbers them
# The NAT64's IPv4 side: tayga's own address, the host and its CLAT mapped statically (so the NAT44
# behind it sees one known address for each: the scenario checks count by it), the rest dynamic.
POOL, DYNAMIC_POOL = '192.168.252.0/24', '192.168.252.128/25'
TAYGA_V4, HOST_POOL, CLAT_POOL = '192.168.252.1', '192.168.252.2', '192.168.252.3'
CLAT_V4 = '192.0.0.4'   # RFC 7335: the IPv4 service continuity prefix, as Android's clatd uses it
CLAT_GW = '192.0.0.1'


class PlanParts(Protocol):
    """What add_ipv6 decorates of a shapes.py Plan (its node specs, links and uplinks as they are),
    structurally: shapes.py imports this module, so this one does not import shapes.py."""
    shape: str
    presets: dict[str, Any]
    nodes: list[Any]
    links: list[Any]
    uplinks: dict[str, list[Any]]

    def node(self, name: str) -> Any: ...


@dataclass(frozen=True)
class AddressPlan:
    """Per site: `ipv4` (today's), `dual-stack` (IPv4 behind the NAT preset + IPv6 behind a firewall) or,
    for cellular, `ipv6-only` (IPv4 through the NAT64, and the CLAT unless `clat` is off)."""
    families: dict[str, str] = field(default_factory=dict)
    firewall: dict[str, str] = field(default_factory=dict)   # site -> filtering of its IPv6 firewall
    clat: bool = True

    def family(self, site: str) -> str:
        return self.families.get(site, 'ipv4')

    def any_ipv6(self) -> bool:
        return any(f != 'ipv4' for f in self.families.values())

    def describe(self) -> dict[str, Any]:
        return {'families': {s: self.family(s) for s in SITES},
                'firewall': {s: self.firewall.get(s, 'APDF') for s in SITES if self.family(s) != 'ipv4'},
                'clat': self.clat, 'nat64Prefix': NAT64_PREFIX if self.family('cellular') == 'ipv6-only' else None}


def parse_address_plan(spec: dict[str, Any] | None) -> AddressPlan:
    """The build option `ip`: {answerer?, wifi?, cellular?: family, clat?: bool, firewall?: {site: filtering}}."""
    spec = dict(spec or {})
    clat = spec.pop('clat', True)
    firewall = dict(spec.pop('firewall', None) or {})
    if not isinstance(clat, bool):
        raise ValueError(f'ip.clat: true or false, got {clat!r}')
    for site, family in spec.items():
        if site not in FAMILIES:
            raise ValueError(f'ip: unknown site {site!r} (answerer, wifi, cellular, clat, firewall)')
        if family not in FAMILIES[site]:
            raise ValueError(f'ip.{site}: one of {", ".join(FAMILIES[site])}, got {family!r}')
    for site, filtering in firewall.items():
        if site not in FAMILIES:
            raise ValueError(f'ip.firewall: unknown site {site!r} (answerer, wifi, cellular)')
        if filtering not in FILTERINGS:
            raise ValueError(f'ip.firewall.{site}: one of {", ".join(FILTERINGS)}, got {filtering!r}')
        if spec.get(site, 'ipv4') == 'ipv4':
            raise ValueError(f'ip.firewall.{site}: the {site} site has no IPv6 (ip.{site} is ipv4)')
    return AddressPlan(spec, firewall, clat)


def synthesize(v4: str, prefix: str = NAT64_PREFIX) -> str:
    """The IPv6 address an IPv6-only host reaches `v4` at through a NAT64 with a /96 prefix (RFC 6052 §2.2)."""
    net = IPv6Network(prefix)
    if net.prefixlen != 96:
        raise ValueError(f'{prefix}: only /96 NAT64 prefixes are supported')
    return str(IPv6Address(int(net.network_address) | int(IPv4Address(v4))))


def firewall_ruleset(filtering: str, lan: str, wan: str, timeout_s: int = FIREWALL_UDP_TIMEOUT_S) -> str:
    """A home router's IPv6 firewall (RFC 6092): everything out; UDP in only where the filtering's learned
    set holds the packet's key, learned and refreshed by outbound packets only, for `timeout_s` since the
    last one (a set timeout, not conntrack's, which this node's NAT44 sets to the NAT's own); other
    inbound only as replies; ICMPv6 errors always (RFC 4890); every inbound packet dropped is counted."""
    learn, match = {
        'EIF': ('ip6 saddr . udp sport', 'ip6 daddr . udp dport'),
        'ADF': ('ip6 saddr . udp sport . ip6 daddr', 'ip6 daddr . udp dport . ip6 saddr'),
        'APDF': ('ip6 saddr . udp sport . ip6 daddr . udp dport', 'ip6 daddr . udp dport . ip6 saddr . udp sport'),
    }[filtering]
    key = {'EIF': 'ipv6_addr . inet_service', 'ADF': 'ipv6_addr . inet_service . ipv6_addr',
           'APDF': 'ipv6_addr . inet_service . ipv6_addr . inet_service'}[filtering]
    return f"""table ip6 {FIREWALL_TABLE} {{
  set open {{ type {key}; flags dynamic,timeout; timeout {timeout_s}s; }}
  chain forward {{ type filter hook forward priority filter; policy accept;
    iifname "{wan}" icmpv6 type {{ destination-unreachable, packet-too-big, time-exceeded, parameter-problem }} accept
    iifname "{lan}" meta l4proto udp update @open {{ {learn} }}
    iifname "{lan}" accept
    iifname "{wan}" meta l4proto udp {match} @open accept
    iifname "{wan}" meta l4proto != udp ct state established,related accept
    iifname "{wan}" counter name dropped drop
  }}
  counter dropped {{ }}
}}
"""


FIREWALL_TABLE = 'migbench_fw6'


def tayga_conf(tun: str, v4: str, maps: dict[str, str], pool: str | None) -> str:
    lines = [f'tun-device {tun}', f'ipv4-addr {v4}', f'prefix {TAYGA_PREFIX}']
    lines += [f'dynamic-pool {pool}'] if pool else []
    lines += [f'map {a} {b}' for a, b in maps.items()]
    return '\n'.join(lines) + '\n'


def prefix_nat(match: str, to: str) -> str:
    """An nftables prefix NAT: packets matching `match` get their destination's /96 replaced by `to`
    (conntrack maps the replies back). The NAT64 maps the well-known prefix onto tayga's, the CLAT
    tayga's onto the well-known one."""
    return (f"nft -f - <<'EOF'\ntable ip6 migbench_nat64 {{\n  chain pre {{ type nat hook prerouting priority dstnat;\n"
            f'    {match} dnat ip6 prefix to {to}\n  }}\n}}\nEOF')


def add_ipv6(plan: PlanParts, ap: AddressPlan) -> None:
    """Gives `plan` (the `mobile` shape) the IPv6 of `ap`: the core, the intermediate and the stranger
    dual-stack, and each non-`ipv4` site its IPv6 LAN, firewall and, if IPv6-only, its NAT64 and CLAT."""
    if not ap.any_ipv6():
        return
    if plan.shape != 'mobile':
        raise ValueError(f'ip: IPv6 sites are built for the mobile topology only, not {plan.shape}')
    core, inter, stranger = plan.node('core'), plan.node('intermediate'), plan.node('stranger')
    core.forward6 = True
    core.setup += [f'ip addr add 2001:2::1/64 dev core-i nodad', 'ip addr add 2001:2:0:9::1/64 dev core-s nodad']
    # the second address deprecated (RFC 4862 §5.5.4): never a source the kernel picks (RFC 6724 rule 3),
    # as IPv4's secondary .11: a socket on :: answers from the source the kernel picks, and a QUIC
    # client dialling ::10 takes answers only from ::10
    first, second = INTERMEDIATE6
    inter.setup += [f'ip addr add {first}/64 dev intermediate-e0 nodad',
                    f'ip addr add {second}/64 dev intermediate-e0 preferred_lft 0 nodad',
                    'ip -6 route add default via 2001:2::1']
    stranger.setup += [f'ip addr add {STRANGER6}/64 dev stranger-e0 nodad', 'ip -6 route add default via 2001:2:0:9::1']
    for site, (index, letter) in SITES.items():
        family = ap.family(site)
        if family == 'ipv4':
            continue
        if plan.presets[site] and _carrier(plan, letter):
            raise ValueError(f'ip.{site}: {family} is built behind a single NAT; the {plan.presets[site]} preset has a carrier NAT')
        _site(plan, site, index, letter, family, ap)


def _carrier(plan: PlanParts, letter: str) -> bool:
    return any(n.name == f'cgn{letter}' for n in plan.nodes)


def _site(plan: PlanParts, site: str, index: int, letter: str, family: str, ap: AddressPlan) -> None:
    wan_net, lan_net = f'2001:2:0:{index}::', f'2001:2:0:{index}00::'
    edge, core = plan.node(f'nat{letter}'), plan.node('core')
    link = next(l for l in plan.links if l.b == edge.name and l.ifb == f'{edge.name}-lan')
    host = plan.node(link.a)
    up = next(u for u in plan.uplinks[host.name] if u.dev == link.ifa)
    edge.forward6 = True
    core.setup += [f'ip addr add {wan_net}1/64 dev core-{letter.lower()} nodad', f'ip -6 route add {lan_net}/64 via {wan_net}2']
    edge.setup += [f'ip addr add {wan_net}2/64 dev {edge.name}-wan nodad', f'ip -6 route add default via {wan_net}1',
                   f'ip addr add {lan_net}1/64 dev {link.ifb} nodad',
                   f"nft -f - <<'EOF'\n{firewall_ruleset(ap.firewall.get(site, 'APDF'), link.ifb, f'{edge.name}-wan')}EOF"]
    addr6, gw6 = f'{lan_net}2', f'{lan_net}1'
    metric = 200 if up.name == 'cellular' else 100
    host.sysctls['net.ipv6.conf.all.keep_addr_on_down'] = '1'   # a link set down keeps its static address
    host.setup += [f'ip addr add {addr6}/64 dev {up.dev} nodad', f'ip -6 route add default via {gw6} dev {up.dev} metric {metric}']
    if up.table:
        host.setup += [f'ip -6 route add default via {gw6} dev {up.dev} table {up.table}',
                       f'ip -6 rule add from {addr6} table {up.table} pref {up.table + 900}']
    up.family, up.addr6, up.gateway6 = family, addr6, gw6
    if family == 'ipv6-only':
        _ipv6_only(plan, edge, host, link, up, ap.clat)


def _ipv6_only(plan: PlanParts, edge: Any, host: Any, link: Any, up: Any, clat: bool) -> None:
    """The LAN loses IPv4; the edge translates (NAT64: tayga, then its NAT44 out of the WAN); the host
    reaches IPv4 through its CLAT, or (clat off) only at synthesized addresses."""
    link.ipa = link.ipb = None
    host.routes = [r for r in host.routes if f'dev {up.dev}' not in r]
    host.rules = [r for r in host.rules if not r.startswith(f'from {up.addr} ')]
    host.warm = [a for a in host.warm if a != up.gateway] + [up.gateway6]
    clat6 = f'{up.addr6.rsplit("::", 1)[0]}::c1a7'
    edge.tayga.append(('nat64', tayga_conf('nat64', TAYGA_V4, {HOST_POOL: up.addr6, CLAT_POOL: clat6}, DYNAMIC_POOL)))
    edge.setup += ['ip link set nat64 up', f'ip route add {POOL} dev nat64', f'ip -6 route add {TAYGA_PREFIX} dev nat64',
                   prefix_nat(f'ip6 daddr {NAT64_PREFIX}', TAYGA_PREFIX)]
    up.nat_src, up.link = HOST_POOL, up.dev
    up.addr, up.gateway = up.addr6, up.gateway6
    if not clat:
        return
    tun = f'{host.name}-clat'
    edge.setup.append(f'ip -6 route add {clat6}/128 via {up.addr6}')
    host.forward6 = True
    host.tayga.append((tun, tayga_conf(tun, CLAT_GW, {CLAT_V4: clat6}, None)))
    host.setup += [f'ip link set {tun} up', f'ip addr add {CLAT_V4}/32 dev {tun}',
                   f'ip route add default dev {tun} metric 200', f'ip -6 route add {clat6}/128 dev {tun}']
    if up.table:
        host.setup += [f'ip route add default dev {tun} table {up.table}',
                       f'ip rule add from {CLAT_V4} table {up.table} pref {up.table + 900}',
                       f'ip -6 rule add from {clat6} table {up.table} pref {up.table + 900}']
    host.setup.append(prefix_nat(f'iifname "{tun}" ip6 daddr {TAYGA_PREFIX}', NAT64_PREFIX))
    up.nat_src, up.dev, up.addr, up.gateway = CLAT_POOL, tun, CLAT_V4, ''
