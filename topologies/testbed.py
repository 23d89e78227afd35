"""A built topology: its Mininet network, the timed network events, link changes and RTT probes.

Everything that may run while other work is in flight goes through `run()` (a fresh process
entering the node's namespaces with mnexec) instead of Mininet's per-node shell, which is not
safe to share between threads.
"""
from __future__ import annotations

import json
import re
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mininet.net import Mininet

from .links import EmulatedLink, LinkSetting, emulation_mode, resolve
from .nat import EXPIRE_SCRIPT
from .shapes import ANSWERER_NAT_WAN, INTERMEDIATE, Plan, PlanTopo, TestbedNode, Uplink

EVENTS = ('wifi-to-cellular', 'cellular-to-wifi', 'nat-rebind', 'mapping-timeout', 'blackout:<s>',
          'answerer-rebind')
# nat-rebind, mapping-timeout and blackout:<s> act on the host's current uplink, or on the one
# named after `@` (e.g. nat-rebind@cellular: break a make-before-break strategy's standby path).
TARGETED = ('nat-rebind', 'mapping-timeout', 'blackout')


def now_ms() -> float:
    return time.time_ns() / 1e6


_STAMPED = re.compile(r'^T([01]) (\d+)\.(\d+)$', re.M)


def run_stamped(node: TestbedNode, script: str) -> tuple[float, float]:
    """Run `script` in the node and return (start, end) in ms since epoch, read right around it by
    bash's $EPOCHREALTIME (no fork, so the window is the command itself): the change took effect
    between the two, and has by the end."""
    out = node.run(f'echo T0 $EPOCHREALTIME\n{script}\necho T1 $EPOCHREALTIME', shell='bash')
    stamps = {k: int(s) * 1000 + int(us) / 1000 for k, s, us in _STAMPED.findall(out)}
    return stamps['0'], stamps['1']


@dataclass
class EventResult:
    name: str
    host: str
    t: float          # took effect (ms since epoch)
    t_issued: float
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {'name': self.name, 'host': self.host, 't': self.t, 'tIssued': self.t_issued, **self.detail}


class Testbed:
    def __init__(self, plan: Plan, seed: int, run_dir: Path, notify: Callable[[dict[str, Any]], None]) -> None:
        self.plan, self.run_dir, self.notify = plan, run_dir, notify
        self.lock = threading.Lock()
        t0 = time.monotonic()
        self.net = Mininet(topo=None, controller=None, build=False, autoSetMacs=False)
        try:
            self.emulation = emulation_mode()
            self.net.topo = PlanTopo(plan=plan, emulation=self.emulation, run_dir=str(run_dir), seed=seed)
            self.net.build()
            self.net.start()
        except BaseException:
            self.stop()
            raise
        self.build_ms = (time.monotonic() - t0) * 1000
        self.timers: list[threading.Timer] = []

    def host(self, name: str) -> TestbedNode:
        if name not in self.net.nameToNode:
            raise ValueError(f'no host {name!r} in this topology ({", ".join(n.name for n in self.plan.nodes)})')
        return self.net.nameToNode[name]

    def pids(self) -> dict[str, int]:
        return {n.name: self.host(n.name).pid for n in self.plan.nodes}

    # -- events ---------------------------------------------------------------------------------

    def uplinks(self, host: str) -> list[Uplink]:
        if host not in self.plan.uplinks:
            raise ValueError(f'{host!r} is not a peer host (one of {", ".join(self.plan.uplinks)})')
        return self.plan.uplinks[host]

    def current_uplink(self, host: str) -> Uplink:
        """The uplink the host's default route uses now."""
        route = json.loads(self.host(host).run(f'ip -j route get {INTERMEDIATE[0]}'))[0]
        return next(u for u in self.uplinks(host) if u.dev == route['dev'])

    def _uplink(self, host: str, name: str) -> Uplink:
        for u in self.uplinks(host):
            if u.name == name:
                return u
        raise ValueError(f'{host} has no {name} uplink (event needs the dual-homed mobile topology)')

    def fire(self, name: str, host: str | None = None) -> EventResult:
        with self.lock:
            return self._fire(name, host)

    def _fire(self, full: str, host: str | None) -> EventResult:
        host = host or ('answerer' if full == 'answerer-rebind' else 'mobile')
        node = self.host(host)
        name, _, target = full.partition('@')
        if target and name.split(':')[0] not in TARGETED:
            raise ValueError(f'{full!r}: only {", ".join(TARGETED)} take an @uplink')
        on = (lambda: self._uplink(host, target)) if target else (lambda: self.current_uplink(host))
        if name == 'wifi-to-cellular':
            wifi = self._uplink(host, 'wifi')
            self._uplink(host, 'cellular')
            t0, t1 = run_stamped(node, f'ip link set {wifi.dev} down')
            return EventResult(name, host, t1, t0, {'uplink': 'cellular'})
        if name == 'cellular-to-wifi':
            wifi = self._uplink(host, 'wifi')
            t0, t1 = run_stamped(node, f'ip link set {wifi.dev} up && '
                                       f'ip route replace default via {wifi.gateway} dev {wifi.dev} metric 100 && '
                                       f'ip route replace default via {wifi.gateway} dev {wifi.dev} table {wifi.table}')
            return EventResult(name, host, t1, t0, {'uplink': 'wifi'})
        if name in ('nat-rebind', 'answerer-rebind'):
            up = on()
            nat = self.host(up.nats[-1])   # the outermost NAT owns the public mapping
            assert nat.nat is not None
            t0, t1 = run_stamped(nat, nat.nat.rebind_script())
            return EventResult(full, host, t1, t0, {'uplink': up.name, 'nats': [nat.name]})
        if name == 'mapping-timeout':
            up = on()
            t0 = now_ms()
            for n in up.nats:
                t1 = run_stamped(self.host(n), EXPIRE_SCRIPT)[1]
            return EventResult(full, host, t1, t0, {'uplink': up.name, 'nats': up.nats})
        if name.startswith('blackout:'):
            seconds = _seconds(name)
            up = on()
            table = f'migbench_blackout_{up.dev.replace("-", "_")}'
            before = now_ms()
            t0, t1 = run_stamped(node, f"nft -f - <<'EOF'\ntable netdev {table} {{\n"
                                       f"  chain rx {{ type filter hook ingress device \"{up.dev}\" priority -500; policy drop; }}\n"
                                       f"  chain tx {{ type filter hook egress device \"{up.dev}\" priority -500; policy drop; }}\n"
                                       f"}}\nEOF")
            # start the restore early by what installing took, so it lands near `until`
            timer = threading.Timer(max(0.0, seconds - (now_ms() - before) / 1000), self._restore, (host, full, table))
            timer.daemon = True
            self.timers.append(timer)
            timer.start()
            return EventResult(full, host, t1, t0, {'uplink': up.name, 'until': t1 + seconds * 1000})
        raise ValueError(f'unknown event {name!r} (one of {", ".join(EVENTS)})')

    def _restore(self, host: str, name: str, table: str) -> None:
        try:
            t0, t1 = run_stamped(self.host(host), f'nft delete table netdev {table}')
            self.notify({'event': 'event.restored', 'name': name, 'host': host, 't': t1, 'tIssued': t0})
        except Exception as e:   # the topology may be stopping
            self.notify({'event': 'error', 'message': f'restoring after {name}: {e}'})

    # -- links and measurements -----------------------------------------------------------------

    def set_link(self, slot: str, profile: str | dict[str, Any]) -> dict[str, Any]:
        setting: LinkSetting = resolve(profile)
        links = [l for l in self.net.links if isinstance(l, EmulatedLink) and
                 any(s.slot == slot and s.ifa == l.intf1.name for s in self.plan.links)]
        if not links:
            known = ', '.join(self.plan.slots)
            raise ValueError(f'link {slot!r} is not emulated in this build (slots: {known}; '
                             'a slot built as `lan` has no emulator: give it a profile at build)')
        t0 = now_ms()
        for l in links:
            l.set(setting)
        self.plan.slots[slot] = setting
        return {'slot': slot, 't': now_ms(), 'tIssued': t0, 'setting': setting.as_dict()}

    def rtt(self, host: str, dst: str, count: int = 20, interval: float = 0.05, source: str | None = None) -> dict[str, Any]:
        """ping statistics after a 3-packet warm-up (the first packets pay for ARP). The median is
        the figure to compare: one scheduling hiccup of the VM moves the mean, not the median."""
        src = f'-I {source} ' if source else ''
        node = self.host(host)
        node.run(f'ping -q -c3 -i 0.05 -W2 {src}{dst} >/dev/null || true')
        out = node.run(f'ping -c{count} -i {interval} -W2 {src}{dst} || true', timeout=count * interval + 30)
        samples = sorted(float(x) for x in re.findall(r'time=([\d.]+) ms', out))
        result: dict[str, Any] = {'host': host, 'dst': dst, 'source': source, 'count': count,
                                  'received': len(samples), 'loss': 100.0 * (count - len(samples)) / count}
        m = re.search(r'= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms', out)
        if samples and m:
            lo, avg, hi, mdev = map(float, m.groups())
            result.update(min=lo, avg=avg, max=hi, mdev=mdev, median=statistics.median(samples),
                          p90=samples[min(len(samples) - 1, int(0.9 * len(samples)))])
        return result

    def configured_rtt(self, slots: list[str]) -> float:
        return sum(self.plan.slots[s].up.delay + self.plan.slots[s].down.delay for s in slots)

    def calibrate(self, count: int = 20) -> list[dict[str, Any]]:
        """Configured vs measured RTT on every path of the topology that ping can cross."""
        paths: list[tuple[str, str, str, list[str]]] = []
        for host in [h for h in self.plan.uplinks if h in ('answerer', 'mobile', 'answerer1', 'mobile1')]:
            for u in self.plan.uplinks[host]:   # bound to the uplink's address: policy routing picks it
                paths.append((host, INTERMEDIATE[0], u.addr, [u.slot, 'intermediate']))
                if u.slot != 'answerer':          # toward the answerer's NAT: the direct path's RTT
                    paths.append((host, ANSWERER_NAT_WAN, u.addr, [u.slot, 'answerer']))
        out = []
        for host, dst, source, slots in paths:
            r = self.rtt(host, dst, count, 0.02, source)
            r.update(path='+'.join(slots), configured=self.configured_rtt(slots))
            out.append(r)
        return out

    def stop(self) -> None:
        for t in getattr(self, 'timers', []):
            t.cancel()
        self.net.stop()


def _seconds(name: str) -> float:
    try:
        s = float(name.split(':', 1)[1])
    except ValueError:
        s = -1
    if not 0 < s <= 3600:
        raise ValueError(f'{name!r}: blackout needs a duration in seconds, e.g. blackout:2')
    return s
