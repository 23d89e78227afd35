"""Link profiles: what a link does per direction (delay, jitter, loss, rate, queue, a trace or a
schedule), from a preset, `custom:k=v,...` or a dict. The emulators that play them are in
topologies/emulators.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


from .nat import PRESETS
from .trace_files import TRACES, read_schedule, read_trace, schedule_mean_delay



@dataclass(frozen=True)
class Direction:
    delay: float = 0.0       # one-way ms
    jitter: float = 0.0      # σ of a normal distribution, ms
    loss: float = 0.0        # Bernoulli %
    burst_p: float = 0.0     # Gilbert-Elliott P(good -> bad)
    burst_r: float = 0.0     # Gilbert-Elliott P(bad -> good)
    rate: float = 0.0        # kbit/s, 0 = unlimited
    queue: int = 1000        # packets
    trace: str = ''          # absolute path of a mahimahi trace: replaces rate ('' = none)
    schedule: str = ''       # absolute path of a `<ms> <delay_ms> <loss_pct>` file: replaces delay and loss

    def impaired(self) -> bool:
        return any((self.delay, self.jitter, self.loss, self.burst_p, self.rate, self.trace, self.schedule))

    def needs_wire(self) -> bool:
        return bool(self.trace or self.schedule)

    def mean_delay(self) -> float:
        """The one-way delay configured: `delay`, or the schedule's time-weighted mean."""
        return schedule_mean_delay(read_schedule(Path(self.schedule))) if self.schedule else self.delay


@dataclass(frozen=True)
class LinkSetting:
    up: Direction = field(default_factory=Direction)
    down: Direction = field(default_factory=Direction)
    name: str = 'custom'

    def impaired(self) -> bool:
        return self.up.impaired() or self.down.impaired()

    def needs_wire(self) -> bool:
        """A trace or a schedule: only the userspace wire can replay them."""
        return self.up.needs_wire() or self.down.needs_wire()

    def as_dict(self) -> dict[str, Any]:
        return {'name': self.name, 'up': self.up.__dict__, 'down': self.down.__dict__}


_FIELDS = {'delay': float, 'jitter': float, 'loss': float, 'rate': float, 'queue': int}


def _file(value: Any, kind: str, where: str) -> str:
    """A trace or schedule path (a relative one is in topologies/traces/), read now so that a bad
    file fails at resolve time and not in the wire; the absolute path the wire gets."""
    if not isinstance(value, str) or not value:
        raise ValueError(f'{where}: {kind} must be a file name (in {TRACES}) or a path')
    path = Path(value) if Path(value).is_absolute() else TRACES / value
    if any(c.isspace() for c in str(path)):
        raise ValueError(f'{where}: {kind} path {str(path)!r} has a blank (the wire\'s config cannot carry it)')
    if not path.is_file():
        raise ValueError(f'{where}: {kind} file {path} not found')
    (read_trace if kind == 'trace' else read_schedule)(path)
    return str(path)


def _direction(base: Direction, spec: dict[str, Any], where: str) -> Direction:
    d = base
    for k, v in spec.items():
        if k in ('up', 'down', 'name'):
            continue
        if k == 'burst':
            if not isinstance(v, dict) or set(v) != {'p', 'r'}:
                raise ValueError(f'{where}: burst must be {{"p": P(good→bad), "r": P(bad→good)}}')
            d = replace(d, burst_p=float(v['p']), burst_r=float(v['r']))
        elif k in ('trace', 'schedule'):
            d = replace(d, **{k: _file(v, k, where)})
        elif k in _FIELDS:
            d = replace(d, **{k: _FIELDS[k](v)})
        else:
            raise ValueError(f'{where}: unknown link field {k!r} (delay, jitter, loss, burst, rate, queue, trace, schedule, up, down)')
    return d


def parse_custom(text: str) -> dict[str, Any]:
    """`delay=10,jitter=1,loss=2,burst=0.01/0.3,rate=5000,queue=100,up.delay=30,down.trace=lte-walk.down`"""
    spec: dict[str, Any] = {}
    for item in filter(None, text.split(',')):
        key, _, value = item.partition('=')
        if not value:
            raise ValueError(f'custom link: {item!r} is not key=value')
        target = spec
        if '.' in key:
            side, key = key.split('.', 1)
            target = spec.setdefault(side, {})
        if key == 'burst':
            p, _, r = value.partition('/')
            target['burst'] = {'p': float(p), 'r': float(r or 0)}
        else:
            target[key] = value
    return spec


def resolve(profile: str | dict[str, Any]) -> LinkSetting:
    """A profile name from presets.json, `custom:k=v,…`, or a dict of the same fields."""
    name = 'custom'
    if isinstance(profile, str):
        if profile.startswith('custom:'):
            spec = parse_custom(profile[len('custom:'):])
        elif profile in PRESETS['link']:
            name, spec = profile, PRESETS['link'][profile]
        else:
            raise ValueError(f'unknown link profile {profile!r} (one of {", ".join(PRESETS["link"])}, or custom:delay=…)')
    else:
        spec = profile
    both = _direction(Direction(), spec, name)
    for side in ('up', 'down'):
        if side in spec and not isinstance(spec[side], dict):
            raise ValueError(f'{name}: {side} must be an object')
    return LinkSetting(_direction(both, spec.get('up', {}), f'{name}.up'),
                       _direction(both, spec.get('down', {}), f'{name}.down'), name)
