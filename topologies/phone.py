"""Events that look like a phone's (issue 17; docs/testbed.md "Phone-like events"): the network
changes first and the OS says so later. Each handler records the evidence its check (verify_*)
judges with scenario.py; the Events it gets fires, records and schedules."""
from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from .netlink import Change, default_route, default_route_deleted, link_down, table_route
from .scenario import Verdict, judge_arrive_home, judge_handover, judge_soft_handover
from .shapes import Uplink
from .stamps import EventResult, duration, sleep_until, stamped

if TYPE_CHECKING:
    from .interfaces import Events

# a later step wakes this long before it is due: one `ip` process, ~5 ms
STEP_LEAD_MS = 5
# a check waits this long past a step's due time for its stamp (the thread reporting it)
STEP_WAIT_MS = 2000


def handover(ev: Events, full: str, host: str, _up: Uplink | None) -> EventResult:
    """handover:<ms>, Android-like: Wi-Fi stops carrying traffic both ways with its link, address and
    routes in place (the OS does not know yet), and <ms> later the OS makes cellular the default route
    (it validates a network before that); Wi-Fi then lingers, up and without connectivity. E is the
    loss of connectivity; the route change is logged as event.step {step: 'route'}."""
    ms = duration(full, 3_600_000, 'handover:800 (ms)')
    node = ev.bed.host(host)
    wifi = ev.bed._uplink(host, 'wifi')
    ev.bed._uplink(host, 'cellular')
    table = f'migbench_handover_{wifi.dev.replace("-", "_")}'
    if ev.noop:
        t0, t1 = ev._change(node, '')
        ev._record('handover', full, host, ms=ms, t=t1, start=None, uplink=wifi, routeAt=t1 + ms)
        return EventResult(full, host, t1, t0, {'uplink': 'cellular', 'routeAt': t1 + ms})
    t0, t1 = ev.drop_all(node, wifi, table)
    start = ev._drops(host, wifi, table)
    rec = ev._record('handover', full, host, ms=ms, t=t1, start=start, uplink=wifi, table=table, routeAt=t1 + ms)
    schedule_step(ev, rec, t1 + ms, cellular_default(wifi), 'route', 'routedT')
    return EventResult(full, host, t1, t0, {'uplink': 'cellular', 'routeAt': t1 + ms, 'evidence': {'start': start}})


def cellular_default(wifi: Uplink) -> Change:
    """Makes cellular the default route (its metric-200 route) by deleting Wi-Fi's metric-100 one;
    Wi-Fi's own table stays, so what is bound to its address still leaves over it."""
    v6 = f' && ip -6 route del default via {wifi.gateway6} dev {wifi.dev} metric 100' if wifi.gateway6 else ''
    return Change(f'ip route del default via {wifi.gateway} dev {wifi.dev} metric 100{v6}',
                  default_route_deleted(wifi.dev, wifi.gateway6 or wifi.gateway, 100))


def wifi_link(wifi: Uplink) -> Change:
    """Brings the Wi-Fi link up with its own routing table (what is bound to its address leaves over
    it), not yet the default route."""
    v6 = f' && ip -6 route replace default via {wifi.gateway6} dev {wifi.dev} table {wifi.table}' if wifi.gateway6 else ''
    return Change(f'ip link set {wifi.dev} up && ip route replace default via {wifi.gateway} dev {wifi.dev} table {wifi.table}{v6}',
                  table_route(wifi.dev, wifi.gateway6 or wifi.gateway, wifi.table))


def wifi_default(wifi: Uplink) -> Change:
    """Makes Wi-Fi the default route (metric 100, before cellular's 200)."""
    v6 = f' && ip -6 route replace default via {wifi.gateway6} dev {wifi.dev} metric 100' if wifi.gateway6 else ''
    return Change(f'ip route replace default via {wifi.gateway} dev {wifi.dev} metric 100{v6}',
                  default_route(wifi.dev, wifi.gateway6 or wifi.gateway, 100))


def link_off(up: Uplink) -> Change:
    """The uplink's link goes down (its routes with it)."""
    return Change(f'ip link set {up.dev} down', link_down(up.dev))


# arrive-home: how long cellular lingers once Wi-Fi is the default route (Android's ConnectivityService
# keeps a replaced network ≈ 30 s: docs/testbed.md "Phone-like events")
LINGER_S = 30


def arrive_home(ev: Events, full: str, host: str, _up: Uplink | None) -> EventResult:
    """arrive-home:<ms>: the mobile, on cellular, meets Wi-Fi. E: the Wi-Fi link comes up with its
    address (the host is told) while cellular stays the default route; <ms> later the OS has
    validated Wi-Fi and makes it the default (event.step {step: 'route'}); cellular lingers
    LINGER_S more, then goes down (event.step {step: 'cellular-down'})."""
    ms = duration(full, 3_600_000, 'arrive-home:2000 (ms)')
    node = ev.bed.host(host)
    wifi = ev.bed._uplink(host, 'wifi')
    cellular = ev.bed._uplink(host, 'cellular')
    up = wifi_link(wifi)
    t0, t1 = ev._change(node, up.script)
    t1, stamp = ev.at_effect(host, t0, t1, up.done)
    route = ev._switch_state(host)['route']
    rec = ev._record('arrive-home', full, host, ms=ms, t=t1, route=route, cellular=cellular, routeAt=t1 + ms,
                     dropAt=t1 + ms + LINGER_S * 1000)
    if not ev.noop:
        schedule_step(ev, rec, rec['routeAt'], wifi_default(wifi), 'route', 'routedT')
        schedule_step(ev, rec, rec['dropAt'], link_off(cellular), 'cellular-down', 'droppedT')
    return EventResult(full, host, t1, t0, {'uplink': 'wifi', 'routeAt': rec['routeAt'], 'dropAt': rec['dropAt'], **stamp,
                                           'evidence': {'route': route}})


def verify_arrive_home(ev: Events, rec: dict) -> Verdict:
    """Waits for the route change if it is due (and for the drop, if that is due), then reads the
    default route and the cellular link."""
    if not ev.noop:
        wait_step(ev, rec, 'routedT', rec['routeAt'])
        if time.time() * 1000 >= rec['dropAt']:
            wait_step(ev, rec, 'droppedT', rec['dropAt'])
    host = rec['host']
    link = json.loads(ev.bed.host(host).run(f'ip -j link show dev {rec["cellular"].dev}'))[0]
    return judge_arrive_home(rec['ms'], rec['t'], rec['route'], rec.get('routedT'), ev._switch_state(host)['route'],
                             'UP' in link.get('flags', []), rec['dropAt'], rec.get('droppedT'), time.time() * 1000)


def schedule_step(ev: Events, rec: dict, at_ms: float, change: Change, step: str, field: str) -> None:
    """A later step of the event `rec`: `change` runs in its host at `at_ms` (a shell that starts
    now and sleeps until just before, so its start-up does not move it); its stamp — the host's
    notification of it, as an event's E — goes in rec[field] and to the harness as event.step."""
    name, host = rec['name'], rec['host']
    wait_then = f'{sleep_until(at_ms - STEP_LEAD_MS)}\n{stamped(change.script)}'

    def later() -> None:
        try:
            done = ev.later(ev.bed.host(host), wait_then)
            if done is not None:
                t, stamp = ev.at_effect(host, done[0], done[1], change.done)
                rec[field] = t
                ev.notify({'event': 'event.step', 'name': name, 'host': host, 'step': step, 't': t, 'tIssued': done[0], **stamp})
        except Exception as e:   # the topology may be stopping
            ev.notify({'event': 'error', 'message': f'{step} of {name}: {e}'})
    threading.Thread(target=later, daemon=True).start()


def wait_step(ev: Events, rec: dict, field: str, due: float) -> None:
    """Waits for a step that is due (up to STEP_WAIT_MS past its time) before a check reads it."""
    while field not in rec and time.time() * 1000 < due + STEP_WAIT_MS and not ev.stopping:
        time.sleep(0.05)


def soft_handover(ev: Events, full: str, host: str, _up: Uplink | None) -> EventResult:
    """soft-handover:<s>: the OS prefers cellular while Wi-Fi still works — E: cellular becomes the
    default route, and what is bound to Wi-Fi's address still gets through — and Wi-Fi goes away s
    seconds later (its link goes down: event.step {step: 'wifi-down'})."""
    seconds = duration(full, 3600, 'soft-handover:2 (s)')
    node = ev.bed.host(host)
    wifi = ev.bed._uplink(host, 'wifi')
    ev.bed._uplink(host, 'cellular')
    prefer = cellular_default(wifi)
    t0, t1 = ev._change(node, prefer.script)
    t1, stamp = ev.at_effect(host, t0, t1, prefer.done)
    route = ev._switch_state(host)['route']
    before = ev._counts(host).get(wifi.nats[0], 0)
    ev.bound_probe(host, wifi)
    works = ev._counts(host).get(wifi.nats[0], 0) > before
    down_at = t1 + seconds * 1000
    rec = ev._record('soft-handover', full, host, seconds=seconds, t=t1, route=route, works=works, uplink=wifi, downAt=down_at)
    if not ev.noop:
        schedule_step(ev, rec, down_at, link_off(wifi), 'wifi-down', 'downT')
    return EventResult(full, host, t1, t0, {'uplink': 'cellular', 'downAt': down_at, **stamp, 'evidence': {'route': route, 'wifiWorks': works}})


def verify_soft_handover(ev: Events, rec: dict) -> Verdict:
    """Reads the Wi-Fi link once its drop is due."""
    if not ev.noop:
        wait_step(ev, rec, 'downT', rec['downAt'])
    link = json.loads(ev.bed.host(rec['host']).run(f'ip -j link show dev {rec["uplink"].dev}'))[0]
    return judge_soft_handover(rec['seconds'], rec['t'], rec['route'], rec['works'], rec.get('downT'), 'UP' in link.get('flags', []))


def verify_handover(ev: Events, rec: dict) -> Verdict:
    """Waits for the route change if it is due, then reads the drops, the default route and the
    Wi-Fi link from the host."""
    if rec['start'] is not None:
        wait_step(ev, rec, 'routedT', rec['routeAt'])
    host, wifi = rec['host'], rec['uplink']
    end = ev._drops(host, wifi, rec['table']) if rec['start'] is not None else None
    link = json.loads(ev.bed.host(host).run(f'ip -j link show dev {wifi.dev}'))[0]
    return judge_handover(rec['ms'], rec['t'], rec['start'], end, rec.get('routedT'), ev._switch_state(host)['route'],
                          'UP' in link.get('flags', []))
