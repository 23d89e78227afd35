"""A built topology: its Mininet network, its hosts and uplinks, link changes and RTT probes; its
network events and their scenario checks are `self.events` (topologies/events.py).

Everything that may run while other work is in flight goes through `run()` (a fresh process
entering the node's namespaces with mnexec) instead of Mininet's per-node shell, which is not
safe to share between threads.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from mininet.net import Mininet

from .emulators import EmulatedLink, WireLink, emulation_mode
from .events import NetworkEvents, wifi_up
from .ipv6 import synthesize
from .links import LinkSetting, resolve
from .nodes import PlanTopo, TestbedNode
from .shapes import ANSWERER_NAT_WAN, INTERMEDIATE, Plan, Uplink
from .stamps import now_ms
from .trace_calibration import calibrate_traces


class Testbed:
    def __init__(self, plan: Plan, seed: int, run_dir: Path, notify: Callable[[dict[str, Any]], None]) -> None:
        self.plan, self.run_dir = plan, run_dir
        self.started_down: set[str] = set()             # hosts on cellular since the build, no event yet
        self.events = NetworkEvents(self, notify)
        t0 = time.monotonic()
        self.net = Mininet(topo=None, controller=None, build=False, autoSetMacs=False)
        try:
            self.emulation = emulation_mode()
            if self.emulation == 'netem' and any(s.needs_wire() for s in plan.slots.values() if s is not None):
                # netem cannot replay a trace or a schedule (emulators.py): such a build is all wires, so
                # that its links stay comparable with each other
                self.emulation = 'wire'
            self.net.topo = PlanTopo(plan=plan, emulation=self.emulation, run_dir=str(run_dir), seed=seed)
            self.net.build()
            self.net.start()
            for host, ups in plan.uplinks.items():
                self.events.open_session(host)
                if any(u.name == 'wifi' for u in ups):   # a dual-homed host's switches are stamped at their effect
                    self.events.watch(host)
            if plan.start_on == 'cellular':   # the link goes down with its routes: cellular is the default
                for host, ups in plan.uplinks.items():
                    for u in ups:
                        if u.name == 'wifi':
                            self.host(host).run(f'ip link set {u.dev} down')
                            self.started_down.add(host)
        except BaseException:
            self.stop()
            raise
        self.build_ms = (time.monotonic() - t0) * 1000

    def host(self, name: str) -> TestbedNode:
        if name not in self.net.nameToNode:
            raise ValueError(f'no host {name!r} in this topology ({", ".join(n.name for n in self.plan.nodes)})')
        return self.net.nameToNode[name]

    def pids(self) -> dict[str, int]:
        return {n.name: self.host(n.name).pid for n in self.plan.nodes}

    def uplinks(self, host: str) -> list[Uplink]:
        if host not in self.plan.uplinks:
            raise ValueError(f'{host!r} is not a peer host (one of {", ".join(self.plan.uplinks)})')
        return self.plan.uplinks[host]

    def current_uplink(self, host: str) -> Uplink:
        """The uplink the host's default route uses now: toward the intermediate's IPv4 address, or with
        no IPv4 route (an IPv6-only uplink without a CLAT) toward its synthesized IPv6 one."""
        route = json.loads(self.host(host).run(f'ip -j route get {INTERMEDIATE[0]} 2>/dev/null || '
                                               f'ip -j -6 route get {synthesize(INTERMEDIATE[0])}'))[0]
        return next(u for u in self.uplinks(host) if u.dev == route['dev'])

    def _uplink(self, host: str, name: str) -> Uplink:
        for u in self.uplinks(host):
            if u.name == name:
                return u
        raise ValueError(f'{host} has no {name} uplink (event needs the dual-homed mobile topology)')


    # -- links and measurements -----------------------------------------------------------------

    def set_link(self, slot: str, profile: str | dict[str, Any]) -> dict[str, Any]:
        setting: LinkSetting = resolve(profile)
        links = self.slot_links(slot)
        t0 = now_ms()
        for l in links:
            l.set(setting)
        self.plan.slots[slot] = setting
        return {'slot': slot, 't': now_ms(), 'tIssued': t0, 'setting': setting.as_dict()}

    def slot_links(self, slot: str) -> list[EmulatedLink]:
        """The emulators of a link slot; an error if it has none."""
        links = [l for l in self.net.links if isinstance(l, EmulatedLink) and
                 any(s.slot == slot and s.ifa == l.intf1.name for s in self.plan.links)]
        if not links:
            known = ', '.join(self.plan.slots)
            raise ValueError(f'link {slot!r} is not emulated in this build (slots: {known}; '
                             'a slot built as `lan` has no emulator: give it a profile at build)')
        return links

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
        """Both directions' delays of each slot (a schedule's: its time-weighted mean)."""
        return sum(self.plan.slots[s].up.mean_delay() + self.plan.slots[s].down.mean_delay() for s in slots)

    def calibrate(self, count: int = 20) -> list[dict[str, Any]]:
        """Configured vs measured RTT on every path of the topology that ping can cross."""
        paths: list[tuple[str, str, str, list[str]]] = []
        for host in [h for h in self.plan.uplinks if h in ('answerer', 'mobile', 'answerer1', 'mobile1')]:
            for u in self.plan.uplinks[host]:   # bound to the uplink's address: policy routing picks it
                paths.append((host, INTERMEDIATE[0], u.addr, [u.slot, 'intermediate']))
                if u.slot != 'answerer':          # toward the answerer's NAT: the direct path's RTT
                    paths.append((host, ANSWERER_NAT_WAN, u.addr, [u.slot, 'answerer']))
        # A host still on cellular since the build (startOn) has its Wi-Fi up just for the measurement.
        lifted = [(h, self._uplink(h, 'wifi')) for h in sorted(self.started_down) if h in ('mobile', 'mobile1')]
        for h, wifi in lifted:
            self.host(h).run(wifi_up(wifi).script + f' && ping -c1 -W1 {wifi.gateway} >/dev/null')
        def measure(p: tuple[str, str, str, list[str]]) -> dict[str, Any]:
            host, dst, source, slots = p
            r = self.rtt(host, dst, count, 0.02, source)
            r.update(path='+'.join(slots), configured=self.configured_rtt(slots))
            return r
        # Every path at once (~0.4 s instead of ~0.4 s a path): a few pings every 20 ms per path are
        # far below any link's rate, and the median shrugs off the odd scheduling delay.
        try:
            with ThreadPoolExecutor(max_workers=len(paths) or 1) as pool:
                out = list(pool.map(measure, paths))
        finally:
            for h, wifi in lifted:
                self.host(h).run(f'ip link set {wifi.dev} down')
        return out

    def calibrate_traces(self, seconds: float = 5.0, warmup: float = 1.0) -> list[dict[str, Any]]:
        """Replayed vs trace rate of every traced wire direction (topologies/trace_calibration.py)."""
        return calibrate_traces(self, seconds, warmup)

    def lateness(self) -> dict[str, Any]:
        """Every wire's scheduling lateness since the previous call (none under netem: the kernel's)."""
        wires = [l for l in self.net.links if isinstance(l, WireLink)]
        asked = [w.ask_lateness() for w in wires]   # every wire answers at once
        return {w.wnode.name: w.read_lateness(start) for w, start in zip(wires, asked)}

    def stop(self) -> None:
        self.events.stop()
        for name in self.net.nameToNode:
            node = self.net.nameToNode[name]
            if isinstance(node, TestbedNode):
                node.stop_daemons()
        self.net.stop()
