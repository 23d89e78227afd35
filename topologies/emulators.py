"""The two ways to emulate a link profile (topologies/links.py): netem (Mininet-style tc qdiscs)
where the kernel has it; otherwise `wire`, a userspace AF_PACKET forwarder in a hidden node in the
middle of the link (docs/research.md "The userspace wire's lateness"). Links are always created
host side first, so on a wire 'ab' is the 'up' direction. A direction with a `trace` (mahimahi
delivery trace) or a `schedule` (delay/loss over time) always needs the wire: netem cannot replay
either (docs/testbed.md "Trace-driven links").
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from mininet.link import Link
from mininet.node import Node

from .links import Direction, LinkSetting

WIRE_BIN = Path(os.environ.get('MIGBENCH_WIRE', Path(__file__).parent / 'build' / 'wire'))


def netem_available(node: Node) -> bool:
    """Probe in a node's namespace: can a netem qdisc be attached?"""
    out = node.cmd('ip link add mbprobe0 type dummy 2>/dev/null && '
                   'tc qdisc add dev mbprobe0 root netem delay 1ms 2>/dev/null; echo rc=$?; '
                   'ip link del mbprobe0 2>/dev/null')
    return 'rc=0' in out


def emulation_mode() -> str:
    """netem where the kernel has it, else the userspace wire; MIGBENCH_EMULATION forces one."""
    forced = os.environ.get('MIGBENCH_EMULATION')
    if forced in ('wire', 'netem'):
        return forced
    if forced:
        raise ValueError(f'MIGBENCH_EMULATION={forced!r}: use wire or netem')
    probe = Node('mbprobe')
    try:
        return 'netem' if netem_available(probe) else 'wire'
    finally:
        probe.terminate()


def netem_args(d: Direction) -> str:
    """tc netem arguments for one direction."""
    args = [f'delay {d.delay}ms']
    if d.jitter:
        args.append(f'{d.jitter}ms distribution normal')
    if d.burst_p:
        # netem's 4-state Gilbert-Elliott: p, r, 1-h (loss in bad) = 100 %, 1-k (loss in good)
        args.append(f'loss gemodel {d.burst_p * 100}% {d.burst_r * 100}% 100% {d.loss}%')
    elif d.loss:
        args.append(f'loss {d.loss}%')
    if d.rate:
        args.append(f'rate {d.rate}kbit')
    args.append(f'limit {d.queue}')
    return ' '.join(args)


# Mean lateness of one wire traversal (its ppoll wake-up in this VM: docs/research.md, measured again
# by topologies/test_wire.sh); taken off the configured delay so path RTTs land on target.
WIRE_LATENESS_MS = 0.1


def wire_conf(s: LinkSetting) -> str:
    """The wire's config. With a trace the wire ignores the rate; a schedule's delays reach it as
    written (its lateness is not taken off them)."""
    def line(tag: str, d: Direction) -> str:
        delay = max(0.0, d.delay - WIRE_LATENESS_MS) if d.delay else 0.0
        return (f'{tag} {delay:.3f} {d.jitter} {d.loss} {d.rate} {d.queue} {d.burst_p} {d.burst_r}\n' +
                (f'{tag}trace {d.trace}\n' if d.trace else '') + (f'{tag}schedule {d.schedule}\n' if d.schedule else ''))
    return line('ab', s.up) + line('ba', s.down)


class EmulatedLink(Link):
    """Common surface of the emulated links: `setting` and run-time `set()`."""
    setting: LinkSetting

    def set(self, setting: LinkSetting) -> None:
        raise NotImplementedError


def _no_trace(setting: LinkSetting) -> None:
    # netem has a rate but cannot replay a delivery trace or a timed delay/loss schedule: a build with
    # one uses the userspace wire (testbed.py), and a netem link cannot be switched to one.
    if setting.needs_wire():
        raise ValueError(f'link profile {setting.name!r} has a trace or schedule, which netem cannot replay: '
                         'give a slot its traced profile at build (the build then uses the userspace wire)')


class NetemLink(EmulatedLink):
    """netem on each end's egress: intf1 (host side) shapes 'up', intf2 shapes 'down'."""

    def __init__(self, node1: Node, node2: Node, setting: LinkSetting, **params: Any) -> None:
        _no_trace(setting)
        super().__init__(node1, node2, **params)
        self.setting = setting
        self._apply('add')

    def _apply(self, verb: str) -> None:
        # a process of its own, not the node's Mininet shell: a fade (topologies/fade.py) sets a
        # link from its own thread, and that shell must not be shared between threads
        for intf, d in ((self.intf1, self.setting.up), (self.intf2, self.setting.down)):
            p = subprocess.run(['mnexec', '-a', str(intf.node.pid), 'sh', '-c',
                                f'tc qdisc {verb} dev {intf.name} root netem {netem_args(d)}'], capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f'netem on {intf.name}: {(p.stderr or p.stdout).strip()}')

    def set(self, setting: LinkSetting) -> None:
        _no_trace(setting)
        self.setting = setting
        self._apply('replace')


def _mac() -> str:
    return '02:' + ':'.join(f'{random.randrange(256):02x}' for _ in range(5))


class WireLink(EmulatedLink):
    """node1 —[wire node running topologies/wire]— node2; end nodes see one ordinary link."""

    def __init__(self, node1: Node, node2: Node, setting: LinkSetting, wire_name: str, run_dir: Path,
                 seed: int = 1, port1: int | None = None, port2: int | None = None,
                 intfName1: str | None = None, intfName2: str | None = None,
                 addr1: str | None = None, addr2: str | None = None,
                 params1: dict[str, Any] | None = None, params2: dict[str, Any] | None = None,
                 **params: Any) -> None:
        if not WIRE_BIN.exists():
            raise RuntimeError(f'{WIRE_BIN} is missing: run `make setup` (it compiles topologies/wire.c)')
        self.setting = setting
        self.wnode = Node(wire_name)
        self.left = Link(node1, self.wnode, port1=port1, intfName1=intfName1, intfName2=f'{wire_name}-a',
                         addr1=addr1 or _mac(), addr2=_mac(), params1=params1 or {}, **params)
        self.right = Link(self.wnode, node2, port2=port2, intfName1=f'{wire_name}-b', intfName2=intfName2,
                          addr1=_mac(), addr2=addr2 or _mac(), params2=params2 or {}, **params)
        self.intf1, self.intf2 = self.left.intf1, self.right.intf2
        # An AF_PACKET forwarder must see MTU-sized frames with real checksums.
        for intf in (self.intf1, self.left.intf2, self.right.intf1, self.intf2):
            intf.node.cmd(f'ethtool -K {intf.name} tx off tso off gso off gro off >/dev/null 2>&1')
        self.conf = run_dir / f'{wire_name}.conf'
        self._write()
        self.log = run_dir / f'{wire_name}.log'
        self.proc = self.wnode.popen([str(WIRE_BIN), '-a', f'{wire_name}-a', '-b', f'{wire_name}-b',
                                      '-c', str(self.conf), '-S', str(seed)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, 'wb'))

    def lateness(self) -> dict[str, Any] | None:
        """The wire's stats line (per direction: packets, late_mean_us, late_max_us — how far behind
        its schedule it sent) since the previous call, which starts a new window (SIGUSR2)."""
        return self.read_lateness(self.ask_lateness())

    def counters(self) -> dict[str, Any] | None:
        """The wire's cumulative counters (per direction: received, sent, lost, ...), its lateness
        window untouched (SIGUSR1)."""
        start = self.log.stat().st_size
        self.proc.send_signal(signal.SIGUSR1)
        return self.read_lateness(start)

    def ask_lateness(self) -> int:
        """Signals the wire; returns where its answer will start in its log."""
        start = self.log.stat().st_size
        self.proc.send_signal(signal.SIGUSR2)
        return start

    def read_lateness(self, start: int) -> dict[str, Any] | None:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            with open(self.log, 'rb') as f:
                f.seek(start)
                text = f.read().decode('utf-8', 'replace')
            # whole lines only: the wire writes its line in several pieces
            for line in reversed(text[:text.rfind('\n') + 1].splitlines()):
                if line.startswith('{'):
                    try:
                        return json.loads(line)
                    except json.JSONDecodeError:
                        break
            time.sleep(0.01)
        return None

    def _write(self) -> None:
        tmp = self.conf.with_suffix('.tmp')
        tmp.write_text(wire_conf(self.setting))
        tmp.replace(self.conf)

    def set(self, setting: LinkSetting) -> None:
        self.setting = setting
        self._write()
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.left.stop()
        self.right.stop()
        self.wnode.terminate()

    delete = stop
