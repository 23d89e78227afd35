"""`renumber[@uplink]` (issue 30; docs/testbed.md "IPv6"): the network gives an IPv6 uplink the next /64
as its prefix at once — a flash renumbering, as when a home router or a mobile network hands out a new
prefix (RFC 8978) — and takes the old one away: the router's and the host's addresses move to it, the
core routes it, the old ones are deleted (the host is told: netlink). IPv4 is untouched. A CLAT keeps its
own /128, routed to the host's new address. All of it is one script (E: when it has run, tens of ms). The check reads the addresses and the
route a packet to the core would take, from the network."""
from __future__ import annotations

import json
from ipaddress import IPv6Address, IPv6Network
from typing import TYPE_CHECKING, Any

from .ipv6 import PROBE_DST6, SITES
from .scenario import Verdict, verdict
from .shapes import Uplink
from .stamps import EventResult

if TYPE_CHECKING:
    from .interfaces import Events


def next_prefix(addr6: str) -> str:
    """The /64 after `addr6`'s: 2001:2:0:300::2 -> 2001:2:0:301::."""
    net = IPv6Network(f'{addr6}/64', strict=False)
    return str(IPv6Address(int(net.network_address) + (1 << 64)))


def renumber(ev: Events, full: str, host: str, up: Uplink | None) -> EventResult:
    assert up is not None
    if not up.addr6:
        raise ValueError(f'{full}: {host}\'s {up.name} uplink has no IPv6 (build it dual-stack or ipv6-only: --ip)')
    old, new = up.addr6.rsplit('::', 1)[0] + '::', next_prefix(up.addr6)
    index = SITES[up.slot][0]
    dev, router, table = up.link_dev, ev.bed.host(up.nats[0]), up.table
    lan = next(l.ifb for l in ev.bed.plan.links if l.a == host and l.ifa == dev)
    metric = 200 if up.name == 'cellular' else 100
    clat = _clat_routes(router.run(f'ip -j -6 route show dev {lan}'), old)
    in_router = lambda cmds: f"nsenter -t {router.pid} -n sh -ec '{'; '.join(cmds)}'"   # noqa: E731
    in_core = lambda cmds: f"nsenter -t {ev.bed.host('core').pid} -n sh -ec '{'; '.join(cmds)}'"   # noqa: E731
    # One script, so the change is one moment (E): the new prefix everywhere first, so no packet meets a
    # half-moved network (a neighbour never resolved stays failed ~1 s), then the old one gone.
    script = '\n'.join([
        in_router([f'ip addr add {new}1/64 dev {lan} nodad']),
        in_core([f'ip -6 route replace {new}/64 via 2001:2:0:{index}::2']),
        f'ip addr add {new}2/64 dev {dev} nodad',
        f'ip -6 route replace default via {new}1 dev {dev} metric {metric}',
        *([f'ip -6 route replace default via {new}1 dev {dev} table {table}',
           f'ip -6 rule add from {new}2 table {table} pref {table + 900}'] if table else []),
        *([in_router([f'ip -6 route replace {r} via {new}2' for r in clat])] if clat else []),
        f'ip addr del {old}2/64 dev {dev}', *([f'ip -6 rule del from {old}2 table {table}'] if table else []),
        in_router([f'ip addr del {old}1/64 dev {lan}']), in_core([f'ip -6 route del {old}/64'])])
    t0, t1 = ev._change(ev.bed.host(host), script)
    before = up.addr6
    if not ev.noop:
        if up.addr == up.addr6:   # an IPv6-only uplink without a CLAT: its address is its IPv6 one
            up.addr, up.gateway = f'{new}2', f'{new}1'
        up.addr6, up.gateway6 = f'{new}2', f'{new}1'
    ev._record('renumber', full, host, uplink=up, dev=dev, router=up.nats[0], lan=lan, before=before, expected=f'{new}2')
    return EventResult(full, host, t1, t0, {'uplink': up.name, 'evidence': {'before': before, 'after': f'{new}2'}})


def _clat_routes(routes_json: str, old: str) -> list[str]:
    """The router's routes into the old prefix via a gateway (a CLAT's /128, via the host)."""
    return [r['dst'] for r in json.loads(routes_json or '[]') if r.get('gateway') and r.get('dst', '').startswith(old)]


def verify_renumber(ev: Events, rec: dict[str, Any]) -> Verdict:
    host, router = ev.bed.host(rec['host']), ev.bed.host(rec['router'])
    host_addrs = _globals(host.run(f'ip -j -6 addr show dev {rec["dev"]} scope global'))
    router_addrs = _globals(router.run(f'ip -j -6 addr show dev {rec["lan"]} scope global'))
    route = json.loads(host.run(f'ip -j -6 route get {PROBE_DST6} oif {rec["dev"]} 2>/dev/null || echo "[]"'))
    src = route[0].get('prefsrc') if route else None
    return judge_renumber(rec['before'], rec['expected'], host_addrs, router_addrs, src)


def _globals(addr_json: str) -> list[str]:
    return [a['local'] for link in json.loads(addr_json or '[]') for a in link.get('addr_info', []) if 'local' in a]


def judge_renumber(before: str, expected: str, host_addrs: list[str], router_addrs: list[str], src: str | None) -> Verdict:
    """The host has the new address and not the old one, its router the new prefix and not the old one,
    and a packet to the core over that uplink leaves from the new address."""
    new_prefix, old_prefix = expected.rsplit('::', 1)[0] + '::', before.rsplit('::', 1)[0] + '::'
    evidence = {'before': before, 'host': host_addrs, 'router': router_addrs, 'source': src}
    if before in host_addrs:
        return verdict(False, f'the host still has its old address {before}', **evidence)
    if expected not in host_addrs:
        return verdict(False, f'the host has no address {expected}', **evidence)
    if any(a.startswith(old_prefix) for a in router_addrs) or not any(a.startswith(new_prefix) for a in router_addrs):
        return verdict(False, f'the router did not move from {old_prefix}/64 to {new_prefix}/64', **evidence)
    if src != expected:
        return verdict(False, f'a packet to the core over the uplink leaves from {src}, not {expected}', **evidence)
    return verdict(True, f'{before} -> {expected}', **evidence)
