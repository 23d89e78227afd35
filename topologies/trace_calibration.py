"""`migbench testbed calibrate`'s trace check: floods every traced wire direction and compares the
rate it replayed with its trace's (docs/testbed.md "Trace-driven links", Calibration)."""
from __future__ import annotations

import shlex
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .emulators import WireLink
from .links import Direction
from .nodes import TestbedNode
from .trace_files import OPP_BYTES, opportunities, read_schedule, read_trace, schedule_at

if TYPE_CHECKING:
    from .interfaces import Bed


# A UDP flood of 1500-byte IP packets (1472 payload) at argv[2] packets/s for argv[3] s to argv[1]:9.
_FLOOD_PY = ('import socket, sys, time\n'
             'dst, pps, dur = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])\n'
             'k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); data = bytes(1472); n = 0; t0 = time.monotonic()\n'
             'while (t := time.monotonic() - t0) < dur:\n'
             '    while n < t * pps:\n'
             '        n += 1\n'
             '        try: k.sendto(data, (dst, 9))\n'
             '        except OSError: pass\n'
             '    time.sleep(0.001)\n')


@dataclass(frozen=True)
class _Traced:
    """One traced wire direction for calibrate_traces: flood from src to dst at pps."""
    wire: WireLink
    tag: str             # the wire's name of the direction: ab (up) or ba (down)
    where: str           # slot.up / slot.down
    d: Direction
    src: TestbedNode
    dev: str             # src's interface on the link
    dst: str
    mac: str
    ms: list[int]
    pps: float


def calibrate_traces(bed: Bed, seconds: float = 5.0, warmup: float = 1.0) -> list[dict[str, Any]]:
    """Every wire direction that replays a trace: the rate it delivered against the trace's over
    the same `seconds`, under a UDP flood above the trace's peak (1500-byte IP packets, so each
    opportunity carries exactly one) started `warmup` s before to fill its queue. The window is
    the wire's own (trace_ms in its stats), shifted back by the direction's delay (a schedule's, at
    each end). Floods the links, leaves their queues full and starts the wires' lateness windows
    over: for `migbench testbed calibrate` only, never in a run."""
    jobs: list[_Traced] = []
    for w in (l for l in bed.net.links if isinstance(l, WireLink)):
        slot = next((s.slot for s in bed.plan.links if s.ifa == w.intf1.name), w.wnode.name)
        for tag, side, d, src, dst in (('ab', 'up', w.setting.up, w.intf1, w.intf2),
                                       ('ba', 'down', w.setting.down, w.intf2, w.intf1)):
            if d.trace and dst.IP() and dst.MAC():
                ms = read_trace(Path(d.trace))
                pps = max(Counter(t // 100 for t in ms).values()) * 10 * 1.25 + 100   # above its busiest 100 ms
                jobs.append(_Traced(w, tag, f'{slot}.{side}', d, src.node, src.name, dst.IP(), dst.MAC(), ms, pps))
    if not jobs:
        return []

    def flood(j: _Traced) -> None:
        # a static neighbour for the flood: with the reverse direction's queue full, an ARP
        # re-confirmation would wait seconds behind it and the kernel would drop the flood meanwhile
        j.src.run(f'ip neigh replace {j.dst} lladdr {j.mac} dev {j.dev} nud permanent && '
                  f'{sys.executable} -S -I -c {shlex.quote(_FLOOD_PY)} {j.dst} {j.pps:.0f} {warmup + seconds + 0.5}; '
                  f'ip neigh del {j.dst} dev {j.dev}', timeout=warmup + seconds + 30)

    wires = list({id(j.wire): j.wire for j in jobs}.values())
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        floods = [pool.submit(flood, j) for j in jobs]
        time.sleep(warmup + 0.2)   # the floods' own start-up is part of the warm-up
        asked = [w.ask_lateness() for w in wires]
        before = {id(w): w.read_lateness(a) for w, a in zip(wires, asked)}
        time.sleep(seconds)
        asked = [w.ask_lateness() for w in wires]
        after = {id(w): w.read_lateness(a) for w, a in zip(wires, asked)}
        for f in floods:
            f.result()
    out: list[dict[str, Any]] = []
    for j in jobs:
        a, b = (before[id(j.wire)] or {}).get(j.tag), (after[id(j.wire)] or {}).get(j.tag)
        row: dict[str, Any] = {'link': j.where, 'wire': j.wire.wnode.name, 'trace': Path(j.d.trace).name,
                               'floodKbit': j.pps * OPP_BYTES * 8 / 1000}
        if not a or not b or a.get('trace_ms') is None or b.get('trace_ms') is None:
            out.append({**row, 'error': 'no stats line from the wire'})
            continue
        shift = (j.d.delay, j.d.delay)
        if j.d.schedule and a.get('schedule_ms') is not None:
            sched = read_schedule(Path(j.d.schedule))
            shift = (schedule_at(sched, a['schedule_ms'])[0], schedule_at(sched, b['schedule_ms'])[0])
        span = (b['trace_ms'] - a['trace_ms']) / 1000
        opps = opportunities(j.ms, a['trace_ms'] - shift[0], b['trace_ms'] - shift[1])
        expected = opps * OPP_BYTES * 8 / 1000 / span
        delivered = (b['sent_bytes'] - a['sent_bytes']) * 8 / 1000 / span
        # opportunities that found the queue empty: the flood did not keep up (a busy VM), and the
        # delivered rate is then below the trace's through no fault of the replay
        unused = b['trace_unused'] - a['trace_unused']
        out.append({**row, 'seconds': span, 'expectedKbit': expected, 'deliveredKbit': delivered,
                    'errorPct': 100 * (delivered - expected) / expected if expected else None,
                    'arrivedPps': (b['received'] - a['received']) / span, 'dropped': b['dropped'] - a['dropped'],
                    'unusedPct': 100 * unused / opps if opps else 0.0, 'lateMeanUs': b['late_mean_us']})
    return out
