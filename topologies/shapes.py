"""Topology shapes as declarative plans, built by one Mininet Topo (topologies/nodes.py; also loadable
with `mn --custom`).

Every box is a plain Mininet Node in its own namespace joined by direct links; nothing lives in
the root namespace and there is no switch or controller. Public addresses come from
198.18.0.0/15 (RFC 2544 benchmarking range), private ones from 10.0.0.0/8, carrier-NAT
transfer nets from 100.64.0.0/10; IPv6, where a build asks for it, from topologies/ipv6.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ipv6 import INTERMEDIATE6, AddressPlan, add_ipv6
from .links import LinkSetting, resolve
from .nat import NatBehaviour, NatPreset, PRESETS

INTERMEDIATE = ('198.18.0.10', '198.18.0.11')   # two public addresses for RFC 5780 probes
STRANGER = '198.18.9.2'   # a public host outside every pairing: where hostile tests attack from
ANSWERER_NAT_WAN = '198.18.1.2'


@dataclass
class NodeSpec:
    name: str
    forward: bool = False
    addrs: list[str] = field(default_factory=list)       # `ip addr add` arguments
    routes: list[str] = field(default_factory=list)      # `ip route add` arguments
    rules: list[str] = field(default_factory=list)       # `ip rule add` arguments
    sysctls: dict[str, str] = field(default_factory=dict)
    bridge: list[str] = field(default_factory=list)      # ports of a LAN bridge `br0` (gets addrs)
    nat: dict[str, Any] | None = None                    # behaviour, wan, wan_ip, seed, timeout
    warm: list[str] = field(default_factory=list)        # addresses to ping once (ARP/NDP) after build
    forward6: bool = False
    tayga: list[tuple[str, str]] = field(default_factory=list)   # (tun device, tayga.conf): topologies/ipv6.py
    setup: list[str] = field(default_factory=list)       # scripts after the routes and tayga's tun: IPv6, firewall


@dataclass
class LinkSpec:
    a: str           # host side ('up' leaves a)
    b: str           # core side
    ifa: str
    ifb: str
    ipa: str | None
    ipb: str | None
    slot: str | None = None   # emulated link slot, or None for a plain LAN link


@dataclass
class Uplink:
    name: str        # wifi | cellular | uplink
    dev: str
    addr: str
    gateway: str
    table: int
    nats: list[str]  # NAT nodes from the inside out; the last one owns the public mapping
    slot: str        # the emulated link slot it crosses to reach the core
    family: str = 'ipv4'   # ipv4 | dual-stack | ipv6-only (topologies/ipv6.py)
    addr6: str = ''
    gateway6: str = ''
    link: str = ''         # the link's own device when `dev` is not it (an IPv6-only uplink's CLAT)
    nat_src: str = ''      # the source its NAT sees when not `addr` (the NAT64's address for the CLAT)

    @property
    def link_dev(self) -> str:
        return self.link or self.dev


@dataclass
class Plan:
    shape: str
    nodes: list[NodeSpec] = field(default_factory=list)
    links: list[LinkSpec] = field(default_factory=list)
    uplinks: dict[str, list[Uplink]] = field(default_factory=dict)   # host -> uplinks, preferred first
    slots: dict[str, LinkSetting] = field(default_factory=dict)
    presets: dict[str, str] = field(default_factory=dict)           # NAT slot -> preset name
    start_on: str = 'wifi'   # the dual-homed hosts' uplink at the start: cellular = Wi-Fi link down
    ip: AddressPlan = field(default_factory=AddressPlan)

    def node(self, name: str) -> NodeSpec:
        return next(n for n in self.nodes if n.name == name)

    def describe(self) -> dict[str, Any]:
        return {'shape': self.shape,
                'intermediate': list(INTERMEDIATE),
                'intermediate6': list(INTERMEDIATE6) if self.ip.any_ipv6() else [],
                'hosts': {h: [u.__dict__ for u in ups] for h, ups in self.uplinks.items()},
                'nat': self.presets,
                'links': {k: v.as_dict() for k, v in self.slots.items()},
                # every link's host-side end: where a capture of it listens (harness/run/capture.ts)
                'linkEnds': [{'node': l.a, 'dev': l.ifa, 'peer': l.b, 'slot': l.slot} for l in self.links],
                'startOn': self.start_on, 'ip': self.ip.describe()}


class _Builder:
    def __init__(self, shape: str, seed: int, udp_timeout: int, source_routing: bool = True) -> None:
        self.source_routing = source_routing
        self.plan = Plan(shape)
        self.seed, self.udp_timeout = seed, udp_timeout
        core = NodeSpec('core', forward=True)
        inter = NodeSpec('intermediate', addrs=[f'{INTERMEDIATE[1]}/24 dev intermediate-e0'],
                         routes=['default via 198.18.0.1'])
        stranger = NodeSpec('stranger', routes=['default via 198.18.9.1'])
        self.plan.nodes += [core, inter, stranger]
        self.plan.links.append(LinkSpec('intermediate', 'core', 'intermediate-e0', 'core-i',
                                        f'{INTERMEDIATE[0]}/24', '198.18.0.1/24', 'intermediate'))
        self.plan.links.append(LinkSpec('stranger', 'core', 'stranger-e0', 'core-s', f'{STRANGER}/24', '198.18.9.1/24'))

    def _nat_node(self, name: str, behaviour: NatBehaviour, wan: str, wan_ip: str, gateway: str) -> NodeSpec:
        spec = NodeSpec(name, forward=True, routes=[f'default via {gateway}'],
                        nat={'behaviour': behaviour, 'wan': wan, 'wan_ip': wan_ip,
                             'seed': self.seed * 1009 + len(self.plan.nodes), 'timeout': self.udp_timeout})
        self.plan.nodes.append(spec)
        return spec

    def nat_site(self, index: int, letter: str, slot: str, preset: NatPreset,
                 hosts: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
        """NAT `nat<letter>` (plus carrier `cgn<letter>`) uplinked to core over `slot`, with the
        given (host, host interface) on its LAN 10.<index>.0.0/16. Returns (host addresses, NAT chain)."""
        nat = f'nat{letter}'
        public = f'198.18.{index}'
        chain = [nat]
        self.plan.presets[slot] = preset.name
        if preset.carrier:
            cgn = f'cgn{letter}'
            chain.append(cgn)
            self._nat_node(nat, preset.inner, f'{nat}-wan', f'100.64.{index}.2', f'100.64.{index}.1')
            self._nat_node(cgn, preset.carrier, f'{cgn}-wan', f'{public}.2', f'{public}.1')
            self.plan.links.append(LinkSpec(nat, cgn, f'{nat}-wan', f'{cgn}-lan', f'100.64.{index}.2/24',
                                            f'100.64.{index}.1/24'))
            edge = cgn
        else:
            self._nat_node(nat, preset.inner, f'{nat}-wan', f'{public}.2', f'{public}.1')
            edge = nat
        self.plan.links.append(LinkSpec(edge, 'core', f'{edge}-wan', f'core-{letter.lower()}',
                                        f'{public}.2/24', f'{public}.1/24', slot))
        addrs = [f'10.{index}.{(k + 2) // 256}.{(k + 2) % 256}' for k in range(len(hosts))]
        if len(hosts) == 1:
            host, intf = hosts[0]
            self.plan.links.append(LinkSpec(host, nat, intf, f'{nat}-lan', f'{addrs[0]}/16', f'10.{index}.0.1/16'))
        else:   # several hosts on one LAN: a bridge inside the NAT node
            spec = self.plan.node(nat)
            spec.addrs.append(f'10.{index}.0.1/16 dev br0')
            for k, (host, intf) in enumerate(hosts):
                port = f'{nat}-l{k}'
                spec.bridge.append(port)
                self.plan.links.append(LinkSpec(host, nat, intf, port, f'{addrs[k]}/16', None))
        return addrs, chain

    def single_homed(self, host: str, addr: str, gateway: str, nats: list[str], dev: str, slot: str) -> None:
        self.plan.nodes.append(NodeSpec(host, routes=[f'default via {gateway}'], warm=[gateway]))
        self.plan.uplinks[host] = [Uplink('uplink', dev, addr, gateway, 0, nats, slot)]

    def dual_homed(self, host: str, wifi: tuple[str, list[str]], cell: tuple[str, list[str]],
                   wifi_gw: str, cell_gw: str) -> None:
        """Wi-Fi preferred (metric 100), cellular as fallback (metric 200); with source routing (the
        default) one routing table per uplink selected by source address, so a socket bound to an
        uplink's address leaves over it; without it, one routing table: the default route only."""
        ups = [Uplink('wifi', f'{host}-wifi', wifi[0], wifi_gw, 102, wifi[1], 'wifi'),
               Uplink('cellular', f'{host}-cell', cell[0], cell_gw, 103, cell[1], 'cellular')]
        spec = NodeSpec(host, sysctls={'net.ipv4.conf.all.arp_announce': '2',   # docs/research.md "The ARP race"
                                       'net.ipv4.conf.all.rp_filter': '2'},
                        warm=[u.gateway for u in ups])
        for metric, u in zip((100, 200), ups):
            spec.routes.append(f'default via {u.gateway} dev {u.dev} metric {metric}')
            if self.source_routing:
                spec.routes.append(f'default via {u.gateway} dev {u.dev} table {u.table}')
                spec.rules.append(f'from {u.addr} table {u.table} pref {u.table + 900}')
        self.plan.nodes.append(spec)
        self.plan.uplinks[host] = ups


def plan(shape: str, nat: dict[str, NatPreset], slots: dict[str, LinkSetting], seed: int = 1,
         udp_timeout: int | None = None, source_routing: bool = True, start_on: str = 'wifi',
         ip: AddressPlan | None = None) -> Plan:
    """shape: `mobile`, `same-nat` or `pairs:N`; nat: answerer/wifi/cellular -> preset;
    slots: intermediate/answerer/wifi/cellular -> link setting; start_on: wifi, or cellular (the
    dual-homed hosts start with their Wi-Fi link down: the arrive-home case of cellular-to-wifi);
    ip: the sites' address families (topologies/ipv6.py; default IPv4 everywhere)."""
    timeout = udp_timeout or PRESETS['natUdpTimeoutS']
    b = _Builder(shape, seed, timeout, source_routing)
    if shape == 'mobile':
        (a_addr,), a_nats = b.nat_site(1, 'A', 'answerer', nat['answerer'], [('answerer', 'answerer-e0')])
        b.single_homed('answerer', a_addr, '10.1.0.1', a_nats, 'answerer-e0', 'answerer')
        (w_addr,), w_nats = b.nat_site(2, 'B', 'wifi', nat['wifi'], [('mobile', 'mobile-wifi')])
        (c_addr,), c_nats = b.nat_site(3, 'C', 'cellular', nat['cellular'], [('mobile', 'mobile-cell')])
        b.dual_homed('mobile', (w_addr, w_nats), (c_addr, c_nats), '10.2.0.1', '10.3.0.1')
    elif shape == 'same-nat':
        (a_addr, m_addr), nats = b.nat_site(1, 'A', 'answerer', nat['answerer'],
                                           [('answerer', 'answerer-e0'), ('mobile', 'mobile-e0')])
        b.single_homed('answerer', a_addr, '10.1.0.1', nats, 'answerer-e0', 'answerer')
        b.single_homed('mobile', m_addr, '10.1.0.1', nats, 'mobile-e0', 'answerer')
    elif shape.startswith('pairs:'):
        count = _pair_count(shape)
        answerers = [(f'answerer{k}', f'answerer{k}-e0') for k in range(1, count + 1)]
        a_addrs, a_nats = b.nat_site(1, 'A', 'answerer', nat['answerer'], answerers)
        for (host, dev), addr in zip(answerers, a_addrs):
            b.single_homed(host, addr, '10.1.0.1', a_nats, dev, 'answerer')
        mobiles = [f'mobile{k}' for k in range(1, count + 1)]
        w_addrs, w_nats = b.nat_site(2, 'B', 'wifi', nat['wifi'], [(m, f'{m}-wifi') for m in mobiles])
        c_addrs, c_nats = b.nat_site(3, 'C', 'cellular', nat['cellular'], [(m, f'{m}-cell') for m in mobiles])
        for m, w, c in zip(mobiles, w_addrs, c_addrs):
            b.dual_homed(m, (w, w_nats), (c, c_nats), '10.2.0.1', '10.3.0.1')
    else:
        raise ValueError(f'unknown topology {shape!r} (mobile, same-nat, pairs:N)')
    used = [l.slot for l in b.plan.links if l.slot]
    unknown = set(slots) - set(used)
    if unknown:
        raise ValueError(f'{shape} has no link slot {", ".join(sorted(unknown))} (it has {", ".join(used)})')
    b.plan.slots = {k: slots.get(k) or resolve('lan') for k in used}
    if start_on not in ('wifi', 'cellular'):
        raise ValueError(f'startOn must be wifi or cellular, got {start_on!r}')
    if start_on == 'cellular' and not any(u.name == 'wifi' for ups in b.plan.uplinks.values() for u in ups):
        raise ValueError(f'startOn cellular needs a dual-homed host (mobile, pairs:N), not {shape}')
    b.plan.start_on = start_on
    b.plan.ip = ip or AddressPlan()
    add_ipv6(b.plan, b.plan.ip)
    return b.plan


def _pair_count(shape: str) -> int:
    try:
        count = int(shape.split(':', 1)[1])
    except ValueError:
        count = 0
    if not 1 <= count <= 250:
        raise ValueError(f'{shape!r}: pairs:N needs 1 <= N <= 250')
    return count
