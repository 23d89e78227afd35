"""Shell commands run in a testbed node and stamped by bash's $EPOCHREALTIME (no fork), so that an
event's change is known to have taken effect between two stamps; and scripts that wait in the node
for their moment (a blackout's end, a handover's route change)."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from .nodes import TestbedNode

STAMPED = re.compile(r'^T([01]) (\d+)\.(\d+)$', re.M)


def now_ms() -> float:
    return time.time_ns() / 1e6


def stamped(script: str) -> str:
    """`script` between the two stamps T0 and T1."""
    return f'echo T0 $EPOCHREALTIME\n{script}\necho T1 $EPOCHREALTIME'


def parse_stamped(out: str) -> tuple[float, float, str]:
    """(T0, T1, the output before T0) of a stamped script's output."""
    stamps = {k: int(s) * 1000 + int(us) / 1000 for k, s, us in STAMPED.findall(out)}
    first = STAMPED.search(out)
    return stamps['0'], stamps['1'], out[:first.start() if first else 0]


def run_stamped(node: TestbedNode, script: str, pre: str = '') -> tuple[float, float, str]:
    """Run `script` in the node and return (start, end) in ms since epoch, read right around it:
    the change took effect between the two, and has by the end. `pre` runs before the first
    stamp; its output comes third."""
    return parse_stamped(node.run(f'{pre}\n{stamped(script)}', shell='bash'))


def duration(full: str, most: float, example: str) -> float:
    """The duration after `:` in an event's name (`blackout:2`, `handover:800`): more than 0, at most `most`."""
    try:
        v = float(full.partition('@')[0].split(':', 1)[1])
    except (IndexError, ValueError):
        v = -1
    if not 0 < v <= most:
        raise ValueError(f'{full!r}: needs a duration, more than 0 and at most {most:g}, e.g. {example}')
    return v


def sleep_until(at_ms: float) -> str:
    """bash that sleeps until `at_ms` (ms since epoch)."""
    return (f'd=$(( {int(at_ms * 1000)} - ${{EPOCHREALTIME/./}} )); '
            'if [ $d -gt 0 ]; then sleep $(( d / 1000000 )).$(printf %06d $(( d % 1000000 ))); fi')


@dataclass
class EventResult:
    name: str
    host: str
    t: float          # took effect (ms since epoch)
    t_issued: float
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {'name': self.name, 'host': self.host, 't': self.t, 'tIssued': self.t_issued, **self.detail}
