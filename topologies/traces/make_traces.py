"""Writes the synthetic link traces of this folder (README.md): deterministic, no input.

usage: python3 topologies/traces/make_traces.py [--out DIR] [--seed N]

A walk on a cellular network, made up: one Markov chain over a few rate levels, one step per
STEP_MS, gives the downlink rate; the uplink follows the same states at lower rates (coverage
changes both), and the delay/loss schedule follows them too (a weak cell queues and loses more).
Output is mahimahi's trace format (one line per 1500-byte delivery opportunity, its ms offset) and
the wire's schedule format (`<ms> <delay_ms> <loss_pct>`). Only `random.Random(seed).random()` is
drawn, whose sequence Python keeps stable across versions, so the files are the same everywhere.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

OPP_BITS = 1500 * 8      # one trace line
STEP_MS = 100            # the chain's granularity
LENGTH_MS = 60_000       # the loop

# state 0 is the dip (near zero, ~1 s); 1..5 the ordinary levels, Mbit/s.
DOWN = (0.1, 0.5, 2.0, 5.0, 10.0, 20.0)
UP = (0.05, 0.25, 0.5, 1.0, 2.0, 4.0)
DELAY_MS = (120.0, 60.0, 45.0, 35.0, 30.0, 25.0)
LOSS_PCT = (5.0, 1.0, 0.5, 0.0, 0.0, 0.0)
STAY = 0.93              # per step: a level holds ~1.3 s on average (with DIP)
DIP = 0.006              # per step from any level: a dip every ~17 s
DIP_STAY = 0.9           # a dip holds ~1 s on average


def walk(seed: int, steps: int) -> list[int]:
    """The chain's state at every step: a level moves one up or down, or falls into a dip, and a
    dip comes back to the lowest ordinary levels."""
    rng = random.Random(seed)
    state, out = 3, []
    for _ in range(steps):
        out.append(state)
        u = rng.random()
        if state == 0:
            if u >= DIP_STAY:
                state = 1 if rng.random() < 0.5 else 2
        elif u < DIP:
            state = 0
        elif u >= STAY:
            step = -1 if rng.random() < 0.5 else 1
            state = min(len(DOWN) - 1, max(1, state + step))
    return out


def trace(states: list[int], levels: tuple[float, ...]) -> list[int]:
    """Opportunity offsets: within each ms, the opportunities its rate has accumulated, at its end
    (so offsets run 1..LENGTH_MS). The last line is pinned to LENGTH_MS (the loop period) with one
    extra opportunity if the last ms had none."""
    lines: list[int] = []
    acc = 0.0
    for t in range(LENGTH_MS):
        acc += levels[states[t // STEP_MS]] * 1e6 / OPP_BITS / 1000
        while acc >= 1:
            lines.append(t + 1)
            acc -= 1
    if not lines or lines[-1] != LENGTH_MS:
        lines.append(LENGTH_MS)
    return lines


def schedule(states: list[int]) -> list[str]:
    """One line per step, so the wire's rule (the last line holds as long as the gap before it)
    makes the loop exactly LENGTH_MS."""
    return [f'{i * STEP_MS} {DELAY_MS[s]:g} {LOSS_PCT[s]:g}' for i, s in enumerate(states)]


def constant(mbit: float, period_ms: int) -> list[int]:
    """A steady rate, one loop of period_ms (mbit must give a whole number of lines per loop)."""
    n = round(mbit * 1e6 / OPP_BITS * period_ms / 1000)
    return [round((i + 1) * period_ms / n) for i in range(n)]


def write(path: Path, lines: list[int] | list[str]) -> None:
    path.write_text(''.join(f'{x}\n' for x in lines))
    print(f'{path}: {len(lines)} lines, {path.stat().st_size} bytes')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', type=Path, default=Path(__file__).parent)
    ap.add_argument('--seed', type=int, default=17)
    a = ap.parse_args()
    states = walk(a.seed, LENGTH_MS // STEP_MS)
    write(a.out / 'lte-walk.down', trace(states, DOWN))
    write(a.out / 'lte-walk.up', trace(states, UP))
    write(a.out / 'lte-walk.sched', schedule(states))
    write(a.out / 'const-12mbit.down', constant(12.0, 1000))


if __name__ == '__main__':
    main()
