"""Scenario checks: did an event do to the network what it claims? Pure parts (parsing the
testbed's evidence and judging it); the testbed gathers the evidence (topologies/events.py).

The evidence is what the network itself shows, never a strategy's log, and is made by the
testbed's own probe packets wherever a strategy's traffic could be missing: a strategy that goes
silent after an event must fail its run, not make the scenario look as if it never happened.
"""
from __future__ import annotations

import json
import re
from typing import Any

# The probe's destination: the core router's own address. Nothing else sends there, so the probe's
# conntrack entries are found by it; the core answers port-unreachable, nobody listens.
PROBE_DST, PROBE_PORT = '198.18.0.1', 9
# A blackout's measured length may differ from the asked one by this much (two stamps of ~5 ms, a
# timer on a loaded 2-core machine) before the check says it was not that blackout.
BLACKOUT_SLACK_MS = 100

Verdict = dict[str, Any]   # {'ok': bool, 'reason': str, 'evidence': {...}}
Hop = dict[str, Any]       # {'nat': name, 'src': 'ip:port' as the NAT sees it, 'mapped': 'ip:port' | None}

_FLOW = re.compile(r'src=(\S+) dst=\S+ sport=(\d+) dport=\d+.*?src=\S+ dst=(\S+) sport=\d+ dport=(\d+)')


def verdict(ok: bool, reason: str, late: bool = False, **evidence: Any) -> Verdict:
    """`late`: the event happened, only not on time (a blackout too long, a fade's step late): the host
    was too busy, as for a noisy run, and a bench makes the run again (harness/scenario.ts lateOnly)."""
    return {'ok': ok, 'reason': reason, 'evidence': evidence, **({'late': True} if late else {})}


def parse_flows(conntrack_text: str) -> dict[str, str]:
    """`conntrack -L` lines -> {original source 'ip:port': its mapping, the reply's 'ip:port'}."""
    return {f'{m[0]}:{m[1]}': f'{m[2]}:{m[3]}' for m in _FLOW.findall(conntrack_text)}


def walk(src: str, nats: list[str], flows: list[dict[str, str]]) -> list[Hop]:
    """Follows one flow through a NAT chain (inside out): each NAT's mapping is the next one's source."""
    hops: list[Hop] = []
    for nat, table in zip(nats, flows):
        mapped = table.get(src)
        hops.append({'nat': nat, 'src': src, 'mapped': mapped})
        if mapped is None:
            break
        src = mapped
    return hops


def parse_set_counts(nft_json: str) -> dict[str, int]:
    """`nft -j list set` of a dynamic set with counters -> {element: packets}."""
    out: dict[str, int] = {}
    for item in json.loads(nft_json)['nftables']:
        for e in item.get('set', {}).get('elem', []):
            out[str(e['elem']['val'])] = int(e['elem']['counter']['packets'])
    return out


def parse_drop_counts(nft_json: str) -> dict[str, int]:
    """`nft -j list table netdev …` of a blackout -> packets dropped per chain (rx, tx)."""
    out: dict[str, int] = {}
    for item in json.loads(nft_json)['nftables']:
        rule = item.get('rule')
        if rule:
            out[rule['chain']] = sum(int(x['counter']['packets']) for x in rule['expr'] if 'counter' in x)
    return out


def judge_switch(to: str, before: str, at: dict[str, int], end: dict[str, int], route: str,
                 chains: dict[str, list[str]]) -> Verdict:
    """wifi-to-cellular / cellular-to-wifi. before/route: the uplink of the default route before
    the event and at the end; at/end: packets of this host forwarded by each NAT (by name) right
    after the event and at the end (after a probe sent along the default route)."""
    frm = 'wifi' if to == 'cellular' else 'cellular'
    delta = {n: end.get(n, 0) - at.get(n, 0) for n in at}
    ev = {'before': before, 'route': route, 'at': at, 'end': end}
    if before != frm:
        return verdict(False, f'the host was already on {before} before the event: it changed nothing', **ev)
    if route != to:
        return verdict(False, f'the default route leaves over {route}, not {to}, at the end', **ev)
    if to == 'cellular':   # Wi-Fi gone: nothing of the host may cross its first NAT
        wifi = chains['wifi'][0]
        if delta[wifi] > 0:
            return verdict(False, f'{delta[wifi]} packets of the host crossed the Wi-Fi NAT {wifi} after the event', **ev)
    # Arriving home leaves cellular up: staying on it is the strategy's choice, not the scenario's.
    silent = [n for n in chains[to] if delta[n] <= 0]
    if silent:
        return verdict(False, f'no packet of the host crossed {", ".join(silent)} ({to}) after the event', **ev)
    return verdict(True, f'on {to}: ' + ', '.join(f'{n} +{delta[n]}' for n in chains[to]) + ' packets since the event'
                   + (f', {chains["wifi"][0]} +0' if to == 'cellular' else ''), **ev)


def judge_rebind(before: list[Hop], after: list[Hop]) -> Verdict:
    """nat-rebind / answerer-rebind: the probe flow's public mapping (the outermost NAT's) before and
    after the event, from the same inside endpoint to the same destination."""
    ev = {'before': before, 'after': after}
    old = before[-1]['mapped'] if before else None
    new = after[-1]['mapped'] if after else None
    if old is None or new is None:
        return verdict(False, f'the probe had no public mapping {"before" if old is None else "after"} the event '
                              '(is that uplink up?)', **ev)
    if old == new:
        return verdict(False, f'the public mapping {old} did not change', **ev)
    return verdict(True, f'public mapping {old} -> {new}', **ev)


def judge_timeout(before: list[Hop], after: list[Hop]) -> Verdict:
    """mapping-timeout: the probe flow's entry on every NAT of the chain before the flush, and
    whether it is still there right after."""
    ev = {'before': before, 'after': after}
    if not before or any(h['mapped'] is None for h in before):
        return verdict(False, 'the probe had no mapping on every NAT before the event (is that uplink up?)', **ev)
    kept = [h['nat'] for h in after if h['mapped'] is not None]
    if kept:
        return verdict(False, f'the mapping is still in the conntrack table of {", ".join(kept)} after the flush', **ev)
    return verdict(True, f'mapping removed on {", ".join(h["nat"] for h in before)}', **ev)


def weak_drops(start: dict[str, int], end: dict[str, int]) -> list[str]:
    """The directions where a drop did not show: nothing counted at the start, or no more at the end
    (a probe each way was sent before each reading, so both grow wherever the drop held)."""
    return [d for d in ('rx', 'tx') if start.get(d, 0) < 1 or end.get(d, 0) - start.get(d, 0) < 1]


def judge_handover(ms: float, fired_t: float, start: dict[str, int] | None, end: dict[str, int] | None,
                   routed_t: float | None, route: str, wifi_link_up: bool) -> Verdict:
    """handover:<ms>. start/end: packets dropped per direction on Wi-Fi right after the install and
    at the check; routed_t: when cellular became the default route; route: the default route's
    uplink at the check; wifi_link_up: the Wi-Fi link still up then (lingering, no connectivity)."""
    ev = {'start': start, 'end': end, 'routedT': routed_t, 'route': route, 'wifiLinkUp': wifi_link_up}
    if start is None or end is None:
        return verdict(False, 'the drop chains were never installed', **ev)
    weak = weak_drops(start, end)
    if weak:
        return verdict(False, f'Wi-Fi dropped nothing {"/".join(weak)} at the start or the check', **ev)
    if routed_t is None:
        return verdict(False, 'cellular never became the default route', **ev)
    if abs(routed_t - fired_t - ms) > BLACKOUT_SLACK_MS:
        return verdict(False, f'cellular became the default route {routed_t - fired_t:.0f} ms after the event, not {ms:.0f}', **ev)
    if route != 'cellular':
        return verdict(False, f'the default route is on {route} at the check, not cellular', **ev)
    if not wifi_link_up:
        return verdict(False, 'the Wi-Fi link is down at the check: a handover keeps it up (lingering)', **ev)
    return verdict(True, f'Wi-Fi dropped rx {end["rx"]}, tx {end["tx"]} packets with its link up; cellular the default '
                         f'route {routed_t - fired_t:.0f} ms after the event', **ev)


def judge_soft_handover(seconds: float, fired_t: float, route: str, wifi_worked: bool, down_t: float | None,
                        wifi_link_up: bool) -> Verdict:
    """soft-handover:<s>. route: the default route's uplink right after E; wifi_worked: a probe bound
    to Wi-Fi crossed its NAT after E; down_t: when the Wi-Fi link went down; wifi_link_up: at the check."""
    ev = {'route': route, 'wifiWorked': wifi_worked, 'downT': down_t, 'wifiLinkUp': wifi_link_up}
    if route != 'cellular':
        return verdict(False, f'the default route was on {route} after the event, not cellular', **ev)
    if not wifi_worked:
        return verdict(False, 'Wi-Fi did not carry a probe bound to it after the event: a soft handover keeps it working', **ev)
    if down_t is None:
        return verdict(False, 'the Wi-Fi link never went down', **ev)
    if abs(down_t - fired_t - seconds * 1000) > BLACKOUT_SLACK_MS:
        return verdict(False, f'Wi-Fi went down {down_t - fired_t:.0f} ms after the event, not {seconds * 1000:.0f}', **ev)
    if wifi_link_up:
        return verdict(False, 'the Wi-Fi link is up again at the check', **ev)
    return verdict(True, f'cellular the default route at the event, Wi-Fi still working; Wi-Fi down {down_t - fired_t:.0f} ms later', **ev)


def judge_blackout(seconds: float, fired_t: float, start: dict[str, int] | None, end: dict[str, int] | None,
                   restored_t: float | None) -> Verdict:
    """blackout:<s>. start/end: packets dropped per direction right after the install and just
    before the restore (or at the check, if still on), each read after one probe per direction, so both count
    at least 1 more wherever the drop held, whatever the strategy sent; restored_t: when it ended."""
    ev = {'start': start, 'end': end, 'restoredT': restored_t}
    if start is None:
        return verdict(False, 'the drop chains were never installed', **ev)
    if end is None:
        return verdict(False, 'the drop chains were gone before the restore', **ev)
    weak = weak_drops(start, end)
    if weak:
        return verdict(False, f'nothing dropped {"/".join(weak)} at the start or the end of the blackout', **ev)
    if restored_t is not None and abs(restored_t - fired_t - seconds * 1000) > BLACKOUT_SLACK_MS:
        return verdict(False, f'the blackout lasted {restored_t - fired_t:.0f} ms, not {seconds * 1000:.0f}', late=True, **ev)
    return verdict(True, f'dropped rx {end["rx"]}, tx {end["tx"]} packets (probes included) '
                         + ('until the restore' if restored_t is not None else 'until the check'), **ev)


# A fade's step may be this late: 1.5 steps (the driver's thread sets the emulator, and a busy
# machine delays it: 12 fades of the field bench were late by 4 ms in the median, 86 ms once, and
# 612 ms while apt-get ran beside them)
FADE_STEP_SLACK_MS = 150


def judge_wifi_fade(seconds: float, fired_t: float, steps: int, applied: int, late_ms: float,
                    middle: dict[str, Any] | None, lost: int | None, down_t: float | None, wifi_link_up: bool) -> Verdict:
    """wifi-fade:<s>. applied: ramp steps set of `steps`, the latest late_ms behind schedule; middle:
    the default route's uplink and the Wi-Fi link's state half way (the host must see no change);
    lost: packets the Wi-Fi wires lost between E and the probes sent at >= 90 % loss (None under
    netem, or with too few steps to probe); down_t: when the OS dropped the link; wifi_link_up: at the check."""
    ev = {'steps': steps, 'applied': applied, 'lateMs': round(late_ms, 1), 'middle': middle, 'lost': lost,
          'downT': down_t, 'wifiLinkUp': wifi_link_up}
    if applied < steps:
        return verdict(False, f'the fade applied {applied} of its {steps} steps', **ev)
    if late_ms > FADE_STEP_SLACK_MS:
        return verdict(False, f'a step of the fade came {late_ms:.0f} ms late', late=True, **ev)
    if middle is None or middle['route'] != 'wifi' or not middle['wifiLinkUp']:
        return verdict(False, f'half way through the fade the host saw a change: {middle}', **ev)
    if lost == 0:
        return verdict(False, 'the Wi-Fi link lost none of the probes sent at 90 % loss or more', **ev)
    if down_t is None:
        return verdict(False, 'the OS never dropped the Wi-Fi link', **ev)
    if abs(down_t - fired_t - seconds * 1000) > BLACKOUT_SLACK_MS:
        return verdict(False, f'the Wi-Fi link went down {down_t - fired_t:.0f} ms after the fade began, not {seconds * 1000:.0f}', **ev)
    if wifi_link_up:
        return verdict(False, 'the Wi-Fi link is up again at the check', **ev)
    return verdict(True, f'{steps} steps to 100 % loss, the host unaware half way; Wi-Fi dropped {down_t - fired_t:.0f} ms after the start', **ev)


def judge_arrive_home(ms: float, fired_t: float, route_at_e: str, routed_t: float | None, route: str,
                      cellular_up: bool, drop_at: float, dropped_t: float | None, now: float) -> Verdict:
    """arrive-home:<ms>. route_at_e: the default route's uplink right after Wi-Fi came up (still
    cellular, unless ms is too short to tell); routed_t: when Wi-Fi became the default; route: at the
    check; cellular_up: the cellular link at the check (`now`), lingering until drop_at."""
    ev = {'routeAtE': route_at_e, 'routedT': routed_t, 'route': route, 'cellularUp': cellular_up, 'droppedT': dropped_t}
    if ms >= 2 * BLACKOUT_SLACK_MS and route_at_e != 'cellular':
        return verdict(False, f'right after Wi-Fi came up the default route was on {route_at_e}, not cellular', **ev)
    if routed_t is None:
        return verdict(False, 'Wi-Fi never became the default route', **ev)
    if abs(routed_t - fired_t - ms) > BLACKOUT_SLACK_MS:
        return verdict(False, f'Wi-Fi became the default route {routed_t - fired_t:.0f} ms after the event, not {ms:.0f}', **ev)
    if route != 'wifi':
        return verdict(False, f'the default route is on {route} at the check, not Wi-Fi', **ev)
    if now < drop_at and not cellular_up:
        return verdict(False, 'the cellular link is down before its linger time ran out', **ev)
    if now >= drop_at + BLACKOUT_SLACK_MS and (cellular_up or dropped_t is None or abs(dropped_t - drop_at) > BLACKOUT_SLACK_MS):
        return verdict(False, 'cellular did not go down when its linger time ran out', **ev)
    return verdict(True, f'Wi-Fi up at the event, the default route {routed_t - fired_t:.0f} ms later; cellular '
                         f'{"lingering" if cellular_up else "dropped"} at the check', **ev)
