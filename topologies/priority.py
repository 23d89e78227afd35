"""CPU priorities of a topology's processes (docs/bench.md, "Parallel runs").

The harness starts the driver at the lowest priority (nice 19), so that importing Mininet and
building a topology take, on a machine running several runs at once, only what the measured runs
leave. A built topology serves a measured window: `serve_run` puts the driver and everything it
has started (the hosts' shells, the wires) at the normal priority, which the roles it starts
later inherit; `tear_down` puts the driver back to the lowest before the teardown.
"""
from __future__ import annotations

import os

SETUP_NICE = 19
RUN_NICE = 0


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', 'rb') as f:
                stat = f.read()
        except OSError:   # gone meanwhile
            continue
        ppid = int(stat[stat.rindex(b')') + 2:].split()[1])   # the name may hold spaces and ')'
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def renice_tree(root: int, nice: int) -> None:
    """`root` and its descendants, every thread of each: Linux keeps a nice value per thread."""
    kids, todo = _children(), [root]
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            tids = [int(t) for t in os.listdir(f'/proc/{pid}/task')]
        except OSError:
            continue
        for tid in tids:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
            except OSError:
                pass


def serve_run() -> None:
    renice_tree(os.getpid(), RUN_NICE)


def tear_down() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, SETUP_NICE)   # this thread: the one that tears down
