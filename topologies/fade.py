"""wifi-fade:<s> (issue 17; docs/testbed.md "Phone-like events"): Wi-Fi fades out as a phone walks
away from its access point — loss and delay grow for s seconds while the host sees nothing change
(link, address and routes in place), then the OS gives up and drops the link. The ramp is played on
the Wi-Fi slot's link emulator, so the slot must have one (a link profile at build)."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from .emulators import WireLink
from .links import Direction, LinkSetting
from .phone import link_off, schedule_step, wait_step
from .scenario import Verdict, judge_wifi_fade
from .shapes import Uplink
from .stamps import EventResult, duration, now_ms

if TYPE_CHECKING:
    from .interfaces import Events

# One step of the ramp this often: the wire takes a new setting at once (SIGHUP), netem's tc in ~5 ms.
FADE_STEP_MS = 100
# How much each direction's one-way delay has grown by the end: at the edge of its cell an 802.11
# link retries frames and falls back to slower rates, which adds tens to hundreds of ms.
FADE_EXTRA_DELAY_MS = 100
# Probes bound to Wi-Fi sent once the loss reaches 90 %: the wire must count some of them lost.
LOSS_PROBES = 10


def faded(base: LinkSetting, level: float) -> LinkSetting:
    """`base` at `level` (0..1] of a fade, each direction: loss level × 100 % (never below the
    profile's own), delay + level × FADE_EXTRA_DELAY_MS."""
    def direction(d: Direction) -> Direction:
        return replace(d, loss=max(d.loss, 100.0 * level), delay=d.delay + FADE_EXTRA_DELAY_MS * level)
    return replace(base, up=direction(base.up), down=direction(base.down), name=f'{base.name}, faded to {level:.0%}')


def wifi_fade(ev: Events, full: str, host: str, _up: Uplink | None) -> EventResult:
    """E is the first step of the ramp (steps every FADE_STEP_MS, the last one at 100 % loss); the
    OS drops the link at E + s (event.step {step: 'wifi-down'}), and the slot gets its profile back."""
    seconds = duration(full, 600, 'wifi-fade:4 (s)')
    wifi = ev.bed._uplink(host, 'wifi')
    ev.bed._uplink(host, 'cellular')
    links = ev.bed.slot_links(wifi.slot)
    base = ev.bed.plan.slots[wifi.slot]
    steps = max(1, round(seconds * 1000 / FADE_STEP_MS))
    t0 = now_ms()
    if not ev.noop:
        for link in links:
            link.set(faded(base, 1 / steps))
    t1 = now_ms()
    down_at = t1 + seconds * 1000
    rec = ev._record('wifi-fade', full, host, seconds=seconds, t=t1, steps=steps, applied=0 if ev.noop else 1,
                     late=0.0, uplink=wifi, downAt=down_at, lost=_lost(links))
    if not ev.noop:
        threading.Thread(target=_ramp, args=(ev, rec, links, base), daemon=True).start()
        schedule_step(ev, rec, down_at, link_off(wifi), 'wifi-down', 'downT')
    return EventResult(full, host, t1, t0, {'uplink': 'cellular', 'downAt': down_at})


def _ramp(ev: Events, rec: dict[str, Any], links: list, base: LinkSetting) -> None:
    """Steps 2..N of the fade at their due times; half way, what the host sees (it must see nothing);
    from 90 % loss, probes bound to Wi-Fi; after the OS drop, the slot's profile back."""
    host, wifi, steps = rec['host'], rec['uplink'], rec['steps']
    step_ms = rec['seconds'] * 1000 / steps
    try:
        for k in range(2, steps + 1):
            due = rec['t'] + (k - 1) * step_ms
            time.sleep(max(0.0, due - now_ms()) / 1000)
            if ev.stopping:
                return
            for link in links:
                link.set(faded(base, k / steps))
            rec['late'] = max(rec['late'], now_ms() - due)
            rec['applied'] = k
            # what is observed runs beside the ramp: a loaded machine's processes must not delay a step
            if k == steps // 2 + 1:
                _aside(ev, rec, lambda: rec.update(middle=_host_view(ev, host, wifi)))
            if k == -(-steps * 9 // 10):   # the first step at 90 % loss or more
                _aside(ev, rec, lambda: (ev.bound_probe(host, wifi, LOSS_PROBES), rec.update(lostEnd=_lost(links))))
        if steps < 2:
            rec['middle'] = _host_view(ev, host, wifi)
        time.sleep(max(0.0, rec['downAt'] + FADE_STEP_MS - now_ms()) / 1000)
        if not ev.stopping:
            for link in links:
                link.set(base)
    except Exception as e:   # the topology may be stopping
        ev.notify({'event': 'error', 'message': f'the ramp of {rec["name"]}: {e}'})


def _aside(ev: Events, rec: dict[str, Any], observe: Callable[[], object]) -> None:
    def run() -> None:
        try:
            observe()
        except Exception as e:   # the topology may be stopping
            ev.notify({'event': 'error', 'message': f'observing {rec["name"]}: {e}'})
    threading.Thread(target=run, daemon=True).start()


def _host_view(ev: Events, host: str, wifi: Uplink) -> dict[str, Any]:
    link = json.loads(ev.bed.host(host).run(f'ip -j link show dev {wifi.dev}'))[0]
    return {'route': ev._switch_state(host)['route'], 'wifiLinkUp': 'UP' in link.get('flags', [])}


def _lost(links: list) -> int | None:
    """Packets the slot's wires have lost so far, both directions; None under netem (no counters)."""
    counts = [w.counters() for w in links if isinstance(w, WireLink)]
    if not counts or any(c is None for c in counts):
        return None
    return sum(int(d.get('lost', 0)) for c in counts for d in c.values())   # type: ignore[union-attr]


def verify_wifi_fade(ev: Events, rec: dict[str, Any]) -> Verdict:
    """Waits for the OS drop if it is due, then reads the Wi-Fi link."""
    if not ev.noop:
        wait_step(ev, rec, 'downT', rec['downAt'])
    link = json.loads(ev.bed.host(rec['host']).run(f'ip -j link show dev {rec["uplink"].dev}'))[0]
    lost = None if rec['lost'] is None or 'lostEnd' not in rec else rec['lostEnd'] - rec['lost']
    return judge_wifi_fade(rec['seconds'], rec['t'], rec['steps'], rec['applied'], rec['late'], rec.get('middle'),
                           lost, rec.get('downT'), 'UP' in link.get('flags', []))
