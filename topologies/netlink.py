"""E at the effect: the netlink notifications of a peer host, as a process in its namespace reads them.

An event's change is a shell command stamped before and after (stamps.py); the kernel applies it and
notifies netlink listeners somewhere in between, and the after-stamp waits for the command to exit
and for bash to run again — on a loaded host several ms after the notification (docs/bench.md "Host
latencies"). A strategy's own watch sees the notification, so E is taken there where an event has
one: `ip -ts -o monitor` in the host stamps each notification as it reads it (wall clock, µs), and
E is the stamp of the notification that completes the change, never later than the after-stamp
(docs/testbed.md "When E is").
"""
from __future__ import annotations

import re
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address

from .nodes import TestbedNode

# `[2026-12-07T09:49:09.889287] 3: mobile-wifi@if4: <…> … state DOWN …`: ip's stamp is local time
_LINE = re.compile(r'^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\] (.*)$')
# How long an event waits for its notification once its command returned; past it, E is the after-stamp.
WAIT_MS = 100


def parse_line(line: str) -> tuple[float, str] | None:
    """(ms since epoch, the notification) of one line of `ip -ts -o monitor`, or None."""
    m = _LINE.match(line.rstrip('\n'))
    if not m:
        return None
    return datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S.%f').timestamp() * 1000, m.group(2)


def _gw(gateway: str) -> str:
    """A gateway as ip prints it (an IPv6 address in its canonical form), escaped for a pattern."""
    try:
        return re.escape(str(ip_address(gateway)))
    except ValueError:
        return re.escape(gateway)


def link_down(dev: str) -> re.Pattern[str]:
    """The link message of `dev` going down (its routes go with it, in the same system call)."""
    return re.compile(rf'^\d+: {re.escape(dev)}(@\S+)?: <.*state DOWN')


def default_route(dev: str, gateway: str, metric: int) -> re.Pattern[str]:
    """The main table's default route via `gateway` on `dev` with `metric` added."""
    return re.compile(rf'^default via {_gw(gateway)} dev {re.escape(dev)}( proto \S+)? metric {metric}\b')


def default_route_deleted(dev: str, gateway: str, metric: int) -> re.Pattern[str]:
    """The main table's default route via `gateway` on `dev` with `metric` deleted."""
    return re.compile(rf'^Deleted default via {_gw(gateway)} dev {re.escape(dev)}( proto \S+)? metric {metric}\b')


def table_route(dev: str, gateway: str, table: int) -> re.Pattern[str]:
    """The default route via `gateway` on `dev` added to routing table `table` (an uplink's own)."""
    return re.compile(rf'^default via {_gw(gateway)} dev {re.escape(dev)}( proto \S+)? table {table}\b')


@dataclass(frozen=True)
class Change:
    """A change of a host's links or routes: its commands, and the notification that completes it
    (the last command's), whose stamp is E at the effect."""
    script: str
    done: re.Pattern[str]


def effect_at(seen: list[tuple[float, str]], t0: float, t1: float, pattern: re.Pattern[str]) -> float | None:
    """The stamp of the first notification matching `pattern` read at or after `t0`, capped at `t1`
    (read after the after-stamp, the listener was late, not the change); None if there is none."""
    return next((min(t, t1) for t, text in seen if t >= t0 and pattern.search(text)), None)


class NetlinkWatch:
    """`ip -ts -o monitor link address route` in one host, for the topology's lifetime."""

    def __init__(self, node: TestbedNode) -> None:
        self.seen: deque[tuple[float, str]] = deque(maxlen=1000)
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(['mnexec', '-a', str(node.pid), 'setpriv', '--pdeathsig', 'KILL',
                                      'ip', '-ts', '-o', 'monitor', 'link', 'address', 'route'],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            parsed = parse_line(line)
            if parsed:
                with self.cond:
                    self.seen.append(parsed)
                    self.cond.notify_all()

    def effect(self, t0: float, t1: float, pattern: re.Pattern[str]) -> float | None:
        """effect_at over what this host's listener has read, waiting up to WAIT_MS for it."""
        deadline = time.monotonic() + WAIT_MS / 1000
        with self.cond:
            while (t := effect_at(list(self.seen), t0, t1, pattern)) is None and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            return t

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
