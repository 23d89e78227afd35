"""The network events of a built topology (the harness's table: harness/network-events.ts): one
handler per event, the evidence each records, and its scenario check (judged in scenario.py) from
what the network shows, never from a strategy. Adding an event: a handler method (or a module of its
own: blackout.py, fade.py, phone.py, renumber.py), its HANDLERS line, its judge (docs/testbed.md
"Adding an event").

Over 250 lines: each handler sits beside the evidence its check gathers, so what an event changes
and how the change is verified read together.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .blackout import blackout, verify_blackout
from .fade import verify_wifi_fade, wifi_fade
from .ipv6 import synthesize
from .nat import COUNT_TABLE, EXPIRE_SCRIPT
from .netlink import Change, NetlinkWatch
from .nftsession import NftSession
from .phone import (arrive_home, handover, link_off, soft_handover, verify_arrive_home, verify_handover, verify_soft_handover,
                    wifi_default, wifi_link)
from .renumber import renumber, verify_renumber
from .scenario import (PROBE_DST, PROBE_PORT, Hop, Verdict, judge_rebind, judge_switch, judge_timeout, parse_drop_counts,
                       parse_flows, parse_set_counts, walk)
from .nodes import TestbedNode
from .shapes import Uplink
from .stamps import EventResult, parse_stamped, run_stamped

if TYPE_CHECKING:
    from .interfaces import Bed

# Test hook only: events are stamped but change nothing, so that their scenario checks must fail.
NOOP_ENV = 'MIGBENCH_TEST_NOOP_EVENTS'
# One UDP datagram from a fixed inside endpoint (the uplink's address, port 9, bound to its device)
# to the probe destination: the same inside endpoint before and after an event, whatever the strategy.
_PROBE_PY = ('import _socket as s, sys; a = sys.argv; k = s.socket(2, 2); k.setsockopt(1, 2, 1); '
             'k.setsockopt(1, 25, a[2].encode()); k.bind((a[1], int(a[4])))\n'
             'for _ in range(int(a[5])): k.sendto(b"migbench probe", (a[3], int(a[4])))')



class NetworkEvents:
    def __init__(self, bed: Bed, notify: Callable[[dict[str, Any]], None]) -> None:
        self.bed, self.notify = bed, notify
        self.lock = threading.Lock()
        self.drop_lock = threading.Lock()   # a blackout's restore vs. its check
        self.noop = os.environ.get(NOOP_ENV) == '1'
        self.seq = 0
        self.evidence: dict[int, dict[str, Any]] = {}   # event seq -> what its check needs
        self.open_switch: dict[str, int] = {}           # host -> its last switch, checked until its next event
        self.restores: list[subprocess.Popen[str]] = []   # later steps waiting for their moment (later())
        self.watches: dict[str, NetlinkWatch] = {}        # host -> its netlink listener (E at the effect)
        self.nft: dict[str, NftSession] = {}              # host -> its nft session (nftables changes on time)
        self.stopping = False

    def watch(self, host: str) -> None:
        """Listens to `host`'s netlink notifications from now on, so that its switches are stamped at
        their effect (topologies/netlink.py); not under the test hook, whose events change nothing."""
        if not self.noop:
            self.watches[host] = NetlinkWatch(self.bed.host(host))

    def open_session(self, host: str) -> None:
        """Starts `host`'s nft session, so that no process starts at an event's moment; from the thread
        that builds the topology, which lives as long as it (the session dies with the thread that
        started it); not under the test hook."""
        if not self.noop:
            self.nft[host] = NftSession(self.bed.host(host))

    def nft_session(self, host: str) -> NftSession:
        if host not in self.nft:
            raise RuntimeError(f'{host} has no nft session (every host with an uplink has one from the build)')
        return self.nft[host]

    def stop(self) -> None:
        self.stopping = True
        for p in self.restores:
            p.kill()
        for w in [*self.watches.values(), *self.nft.values()]:
            try:
                w.stop()
            except (OSError, ValueError):   # a pipe a thread was using as it died: the network must still stop
                pass

    # -- events ---------------------------------------------------------------------------------

    def fire(self, name: str, host: str | None = None) -> EventResult:
        host = host or ('answerer' if name == 'answerer-rebind' else 'mobile')
        with self.lock:
            prev = self.open_switch.pop(host, None)
            if prev is not None:   # a switch's check covers the time until the host's next event
                self.evidence[prev]['end'] = self._switch_state(host)
            self.bed.started_down.discard(host)
            self.seq += 1
            r = self._fire(name, host)
            r.detail['seq'] = self.seq
            return r

    def _change(self, node: TestbedNode, script: str) -> tuple[float, float]:
        """An event's change, stamped; under the test hook, the stamps only."""
        t0, t1, _ = run_stamped(node, 'true' if self.noop else script)
        return t0, t1

    def _record(self, kind: str, full: str, host: str, **evidence: Any) -> dict[str, Any]:
        self.evidence[self.seq] = {'kind': kind, 'name': full, 'host': host, **evidence}
        return self.evidence[self.seq]

    def _fire(self, full: str, host: str) -> EventResult:
        head, _, target = full.partition('@')
        handler = HANDLERS.get(head.split(':')[0])
        if handler is None:
            raise ValueError(f'unknown event {head!r} (one of {", ".join(HANDLERS)})')
        if target and not handler.targeted:
            raise ValueError(f'{full!r}: only {", ".join(k for k, h in HANDLERS.items() if h.targeted)} take an @uplink')
        up = (self.bed._uplink(host, target) if target else self.bed.current_uplink(host)) if handler.targeted else None
        return handler.fire(self, full, host, up)

    def _switch(self, full: str, host: str, _up: Uplink | None) -> EventResult:
        wifi = self.bed._uplink(host, 'wifi')
        self.bed._uplink(host, 'cellular')
        to = 'cellular' if full == 'wifi-to-cellular' else 'wifi'
        before = self.bed.current_uplink(host).name
        change = link_off(wifi) if to == 'cellular' else wifi_up(wifi)
        t0, t1 = self._change(self.bed.host(host), change.script)
        t, stamp = self.at_effect(host, t0, t1, change.done)
        ev = self._record('switch', full, host, to=to, before=before, at=self._counts(host))
        self.open_switch[host] = self.seq
        return EventResult(full, host, t, t0, {'uplink': to, **stamp, 'evidence': {'before': before, 'at': ev['at']}})

    def at_effect(self, host: str, t0: float, t1: float, done: re.Pattern[str]) -> tuple[float, dict[str, Any]]:
        """E at the effect: the stamp of `host`'s netlink notification `done` between a command's stamps
        t0 and t1 (topologies/netlink.py), else t1; and the fields that say which (`stamp`, and
        `tCommandDone`: t1)."""
        seen = self.watches[host].effect(t0, t1, done) if host in self.watches else None
        return (t1 if seen is None else seen), {'stamp': 'command' if seen is None else 'netlink', 'tCommandDone': t1}

    def _rebind(self, full: str, host: str, up: Uplink | None) -> EventResult:
        up = up or self.bed.current_uplink(host)   # answerer-rebind: the answerer's one uplink
        nat = self.bed.host(up.nats[-1])   # the outermost NAT owns the public mapping
        assert nat.nat is not None
        before = self._trace(host, up)
        t0, t1 = self._change(nat, nat.nat.rebind_script())
        after = self._trace(host, up)
        self._record('rebind', full, host, before=before, after=after)
        return EventResult(full, host, t1, t0, {'uplink': up.name, 'nats': [nat.name],
                                               'evidence': {'before': before, 'after': after}})

    def _timeout(self, full: str, host: str, up: Uplink | None) -> EventResult:
        assert up is not None
        before = self._trace(host, up)
        stamps = [self._change(self.bed.host(n), EXPIRE_SCRIPT) for n in up.nats]
        after = [{**h, 'mapped': self._flows(h['nat']).get(h['src'])} for h in before]
        self._record('timeout', full, host, before=before, after=after)
        # E is the first step's effect: the inner NAT's flush already breaks the path
        return EventResult(full, host, stamps[0][1], stamps[0][0], {'uplink': up.name, 'nats': up.nats, 'steps': stamps,
                                                                  'evidence': {'before': before, 'after': after}})

    def drop_all(self, node: TestbedNode, up: Uplink, table: str) -> tuple[float, float]:
        """Drops every packet on `up`'s device both ways (nftables netdev chains, counted) with the
        link, its address and its routes untouched: the host is not told. One transaction, stamped."""
        chain = lambda name, hook: (f'chain {name} {{ type filter hook {hook} device "{up.link_dev}" priority -500; '   # noqa: E731
                                    'policy drop; counter; }')
        return self.nft_session(node.name).run(f'table netdev {table} {{ {chain("rx", "ingress")}; {chain("tx", "egress")}; }}')

    def later(self, node: TestbedNode, script: str) -> tuple[float, float, str] | None:
        """Runs a stamped `script` that sleeps in `node` until its moment (sleep_until), from the
        calling thread; the topology's stop kills it. Its stamps and output, or None if stopping."""
        proc = subprocess.Popen(['mnexec', '-a', str(node.pid), 'setpriv', '--pdeathsig', 'KILL', 'bash', '-c', script],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.restores.append(proc)
        out, err = proc.communicate()
        if self.stopping:
            return None
        if proc.returncode != 0:
            raise RuntimeError(f'exit {proc.returncode}: {err.strip()}')
        return parse_stamped(out)

    # -- scenario checks (topologies/scenario.py) -----------------------------------------------

    def verify(self, fired: dict[str, Any]) -> Verdict:
        """Did the event that returned `fired` do what it claims? Evidence from the network only."""
        ev = self.evidence.get(fired.get('seq'))   # type: ignore[arg-type]
        if ev is None or (ev['name'], ev['host']) != (fired.get('name'), fired.get('host')):
            raise ValueError(f'no event #{fired.get("seq")} {fired.get("name")!r} was fired in this topology')
        host = ev['host']
        if ev['kind'] == 'switch':
            with self.lock:
                end = ev.get('end') or self._switch_state(host)
            return judge_switch(ev['to'], ev['before'], ev['at'], end['counts'], end['route'],
                                {u.name: u.nats for u in self.bed.uplinks(host)})
        if ev['kind'] == 'rebind':
            return judge_rebind(ev['before'], ev['after'])
        if ev['kind'] == 'timeout':
            return judge_timeout(ev['before'], ev['after'])
        if ev['kind'] == 'handover':
            return verify_handover(self, ev)
        if ev['kind'] == 'soft-handover':
            return verify_soft_handover(self, ev)
        if ev['kind'] == 'arrive-home':
            return verify_arrive_home(self, ev)
        if ev['kind'] == 'wifi-fade':
            return verify_wifi_fade(self, ev)
        if ev['kind'] == 'renumber':
            return verify_renumber(self, ev)
        return verify_blackout(self, ev)

    def _switch_state(self, host: str) -> dict[str, Any]:
        """The default route's uplink and the NAT counters, right after a probe along that route:
        whatever the strategy sends, the path the host's traffic takes now shows in the counters."""
        script = f'{{ echo probe > /dev/udp/{PROBE_DST}/{PROBE_PORT}; }} 2>/dev/null; ip -j route get {PROBE_DST} 2>/dev/null'
        if any(u.family == 'ipv6-only' and u.link_dev == u.dev for u in self.bed.uplinks(host)):
            # an IPv6-only uplink without a CLAT: the host reaches the probe's IPv4 only at its synthesized address
            dst6 = synthesize(PROBE_DST)
            script = f'{{ echo probe > /dev/udp/{dst6}/{PROBE_PORT}; }} 2>/dev/null; {script} || ip -j -6 route get {dst6} 2>/dev/null'
        out = self.bed.host(host).run(f'{script} || echo "[]"', shell='bash')
        dev = next((r['dev'] for r in json.loads(out)), None)
        route = next((u.name for u in self.bed.uplinks(host) if u.dev == dev), 'none')
        return {'route': route, 'counts': self._counts(host)}

    def _counts(self, host: str) -> dict[str, int]:
        """Packets of `host` each NAT of its uplinks has forwarded out (for a carrier NAT: of the
        inner NAT, which carries only this site's hosts)."""
        out: dict[str, int] = {}
        for u in self.bed.uplinks(host):
            src = u.nat_src or u.addr
            for n in u.nats:
                node = self.bed.host(n)
                out[n] = parse_set_counts(node.run(f'nft -j list set ip {COUNT_TABLE} out')).get(src, 0)
                assert node.nat is not None
                src = node.nat.wan_ip
        return out

    def _flows(self, nat: str) -> dict[str, str]:
        return parse_flows(self.bed.host(nat).run(f'conntrack -L -p udp -d {PROBE_DST} --dport {PROBE_PORT} 2>/dev/null || true'))

    def bound_probe(self, host: str, up: Uplink, count: int = 1) -> None:
        """Sends the probe (`count` copies) from `up`'s address, bound to its device, whatever the default route."""
        self.bed.host(host).run(f'{sys.executable} -S -I -c {shlex.quote(_PROBE_PY)} {up.addr} {up.dev} {PROBE_DST} '
                            f'{PROBE_PORT} {count} 2>/dev/null || true')

    def _trace(self, host: str, up: Uplink) -> list[Hop]:
        """Sends the probe over `up` and follows its mapping through the NAT chain (behind a NAT64 from
        the address the NAT64 gives the CLAT: tayga keeps ports, topologies/ipv6.py)."""
        self.bound_probe(host, up)
        return walk(f'{up.nat_src or up.addr}:{PROBE_PORT}', up.nats, [self._flows(n) for n in up.nats])

    def _drop_probe_script(self, up: Uplink, table: str) -> str:
        """One probe each way across a blacked-out uplink (from its gateway NAT in, to it out), then
        the drop counters: both grow wherever the drop holds, whatever the strategy sends."""
        gw = self.bed.host(up.nats[0]).pid
        return (f"nsenter -t {gw} -n bash -c 'echo probe > /dev/udp/{up.addr}/{PROBE_PORT}' 2>/dev/null\n"
                f'{{ echo probe > /dev/udp/{up.gateway}/{PROBE_PORT}; }} 2>/dev/null\n'
                f'nft -j list table netdev {table}')

    def _drops(self, host: str, up: Uplink, table: str) -> dict[str, int]:
        return parse_drop_counts(self.bed.host(host).run(self._drop_probe_script(up, table), shell='bash'))


@dataclass(frozen=True)
class Handler:
    """Fires one kind of event: (events, full name, host, the uplink it acts on if `targeted`)."""
    fire: Callable[[NetworkEvents, str, str, Uplink | None], EventResult]
    targeted: bool   # acts on the host's current uplink, or on the one named after `@`


# One handler per testbed event of the harness's table (harness/network-events.ts); the driver lists
# them at build and the harness refuses a table entry without one. `targeted` must agree with it.
HANDLERS: dict[str, Handler] = {
    'wifi-to-cellular': Handler(NetworkEvents._switch, False),
    'cellular-to-wifi': Handler(NetworkEvents._switch, False),
    'nat-rebind': Handler(NetworkEvents._rebind, True),
    'answerer-rebind': Handler(NetworkEvents._rebind, False),
    'mapping-timeout': Handler(NetworkEvents._timeout, True),
    'blackout': Handler(blackout, True),
    'handover': Handler(handover, False),
    'soft-handover': Handler(soft_handover, False),
    'wifi-fade': Handler(wifi_fade, False),
    'arrive-home': Handler(arrive_home, False),
    'renumber': Handler(renumber, True),
}


def wifi_up(wifi: Uplink) -> Change:
    """Wi-Fi back at once: its link, its table and the default route (the last: its completion)."""
    link, default = wifi_link(wifi), wifi_default(wifi)
    return Change(f'{link.script} && {default.script}', default.done)
