"""The files a trace-driven link replays (docs/testbed.md "Trace-driven links"): their readers and
the arithmetic on them.

- a trace (mahimahi's format): one line per OPP_BYTES delivery opportunity, an integer ms offset,
  non-decreasing, looping with a period equal to its last offset;
- a schedule: `<ms> <delay_ms> <loss_pct>` lines, the first at 0, ms increasing, each held until the
  next, then it starts over.

The rules are topologies/wire.c's; a relative path is looked up in TRACES.
"""
from __future__ import annotations

import bisect
from pathlib import Path

TRACES = Path(__file__).parent / 'traces'   # where a relative trace or schedule path is looked up
OPP_BYTES = 1500                            # what one trace line delivers (bytes above Ethernet)


def _lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every line but blank and '#' ones (the wire skips them too)."""
    with open(path, encoding='utf-8', errors='replace') as f:
        return [(n, ln.split()) for n, ln in enumerate(f, 1) if ln.split() and not ln.lstrip().startswith('#')]


def read_trace(path: Path) -> list[int]:
    """A mahimahi trace: one line per OPP_BYTES delivery opportunity, its ms offset, non-decreasing,
    the last > 0 (the loop's period). Same rules as topologies/wire.c; ValueError names file and line."""
    out: list[int] = []
    for n, f in _lines(path):
        if len(f) != 1 or not f[0].isdigit():
            raise ValueError(f'trace {path}:{n}: expected one whole ms offset, got {" ".join(f)!r}')
        ms = int(f[0])
        if ms > 4_000_000_000:
            raise ValueError(f'trace {path}:{n}: offset {ms} is too large')
        if out and ms < out[-1]:
            raise ValueError(f'trace {path}:{n}: offset {ms} is before the previous line\'s {out[-1]} (offsets must not decrease)')
        out.append(ms)
    if not out:
        raise ValueError(f'trace {path}: no line')
    if out[-1] == 0:
        raise ValueError(f'trace {path}: the last offset is 0 ms (a trace must last at least 1 ms)')
    return out


def read_schedule(path: Path) -> list[tuple[int, float, float]]:
    """`<ms> <delay_ms> <loss_pct>` lines, ms from 0 and increasing, each held until the next; the
    last is held as long as the gap before it, then it starts over (schedule_period)."""
    out: list[tuple[int, float, float]] = []
    for n, f in _lines(path):
        try:
            if len(f) != 3 or not f[0].isdigit():
                raise ValueError
            ms, delay, loss = int(f[0]), float(f[1]), float(f[2])
        except ValueError:
            raise ValueError(f'schedule {path}:{n}: expected "<ms> <delay_ms> <loss_pct>", got {" ".join(f)!r}') from None
        if not (0 <= delay <= 3.6e6 and 0 <= loss <= 100):
            raise ValueError(f'schedule {path}:{n}: delay must be in [0, 3.6e6] ms and loss in [0, 100] %')
        if not out and ms != 0:
            raise ValueError(f'schedule {path}:{n}: the first line must be at 0 ms')
        if out and ms <= out[-1][0]:
            raise ValueError(f'schedule {path}:{n}: {ms} ms is not after the previous line\'s {out[-1][0]} (ms must increase)')
        out.append((ms, delay, loss))
    if not out:
        raise ValueError(f'schedule {path}: no line')
    return out


def schedule_period(lines: list[tuple[int, float, float]]) -> int:
    """ms; 0 for a one-line (constant) schedule."""
    return 0 if len(lines) < 2 else 2 * lines[-1][0] - lines[-2][0]


def schedule_at(lines: list[tuple[int, float, float]], t: float) -> tuple[float, float]:
    """(delay_ms, loss_pct) in force t ms after the schedule started."""
    period = schedule_period(lines)
    off = t % period if period else 0
    return next((d, l) for ms, d, l in reversed(lines) if ms <= off)


def schedule_mean_delay(lines: list[tuple[int, float, float]]) -> float:
    """The time-weighted mean delay over one loop."""
    period = schedule_period(lines)
    if not period:
        return lines[0][1]
    ends = [ms for ms, _, _ in lines[1:]] + [period]
    return sum((end - ms) * delay for (ms, delay, _), end in zip(lines, ends)) / period


def opportunities(ms: list[int], t0: float, t1: float) -> int:
    """How many opportunities of a looping trace fall in (t0, t1], in ms since it started."""
    def upto(t: float) -> int:   # at or before t
        if t < 0:
            return 0
        loops, off = divmod(t, ms[-1])
        return int(loops) * len(ms) + bisect.bisect_right(ms, off)
    return upto(t1) - upto(t0)
