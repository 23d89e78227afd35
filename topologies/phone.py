"""Events that look like a phone's (issue 17; docs/testbed.md "Phone-like events"): the network
changes first and the OS says so later. Each handler records the evidence its check (verify_*)
judges with scenario.py; the NetworkEvents it gets fires, records and schedules."""
from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from .scenario import Verdict, judge_handover
from .shapes import Uplink
from .stamps import EventResult, sleep_until, stamped

if TYPE_CHECKING:
    from .events import NetworkEvents

# the route change wakes this long before it is due: one `ip route` process, ~5 ms
ROUTE_LEAD_MS = 5
# a check waits this long past a handover's route change for its stamp (the thread reporting it)
ROUTE_WAIT_MS = 2000


def duration_ms(full: str) -> float:
    """`handover:<ms>` -> ms (0 < ms <= 3 600 000)."""
    try:
        ms = float(full.split(':', 1)[1])
    except (IndexError, ValueError):
        ms = -1
    if not 0 < ms <= 3_600_000:
        raise ValueError(f'{full!r}: needs a delay in ms, e.g. handover:800')
    return ms


def handover(ev: NetworkEvents, full: str, host: str, _up: Uplink | None) -> EventResult:
    """handover:<ms>, Android-like: Wi-Fi stops carrying traffic both ways with its link, address and
    routes in place (the OS does not know yet), and <ms> later the OS makes cellular the default route
    (it validates a network before that); Wi-Fi then lingers, up and without connectivity. E is the
    loss of connectivity; the route change is logged as event.step {step: 'route'}."""
    ms = duration_ms(full)
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
    route = stamped(f'ip route del default via {wifi.gateway} dev {wifi.dev} metric 100')
    script = f'{sleep_until(t1 + ms - ROUTE_LEAD_MS)}\n{route}'

    def later() -> None:
        try:
            done = ev.later(node, script)
            if done is not None:
                rec['routedT'] = done[1]
                ev.notify({'event': 'event.step', 'name': full, 'host': host, 'step': 'route', 't': done[1], 'tIssued': done[0]})
        except Exception as e:   # the topology may be stopping
            ev.notify({'event': 'error', 'message': f'the route change of {full}: {e}'})
    threading.Thread(target=later, daemon=True).start()
    return EventResult(full, host, t1, t0, {'uplink': 'cellular', 'routeAt': t1 + ms, 'evidence': {'start': start}})


def verify_handover(ev: NetworkEvents, rec: dict) -> Verdict:
    """Waits for the route change if it is due, then reads the drops, the default route and the
    Wi-Fi link from the host."""
    while rec['start'] is not None and 'routedT' not in rec and time.time() * 1000 < rec['routeAt'] + ROUTE_WAIT_MS and not ev.stopping:
        time.sleep(0.05)
    host, wifi = rec['host'], rec['uplink']
    end = ev._drops(host, wifi, rec['table']) if rec['start'] is not None else None
    link = json.loads(ev.bed.host(host).run(f'ip -j link show dev {wifi.dev}'))[0]
    return judge_handover(rec['ms'], rec['t'], rec['start'], end, rec.get('routedT'), ev._switch_state(host)['route'],
                          'UP' in link.get('flags', []))
