"""The boxes of a built plan: a Mininet node that applies its NodeSpec (addresses, routes, NAT, tayga and
the daemons it runs) and the Topo that lays a Plan out as nodes and links (topologies/shapes.py plans them)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mininet.link import Link
from mininet.node import Node
from mininet.topo import Topo

from .emulators import NetemLink, WireLink
from .nat import Nat
from .shapes import NodeSpec, Plan


class TestbedNode(Node):
    """Any box of a plan; `config` applies its NodeSpec once its links exist."""
    nat: Nat | None = None
    daemons: list[subprocess.Popen[bytes]]
    conf_dir: str | None = None

    def run(self, script: str, timeout: float = 30, shell: str = 'sh') -> str:
        """Run a shell script in this node's namespaces; stdout, or an error naming the script.
        A fresh process each time: Mininet's per-node shell must not be shared between threads."""
        p = subprocess.run(['mnexec', '-a', str(self.pid), shell, '-c', script], capture_output=True,
                           text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f'{self.name}: `{script}` failed ({p.returncode}): '
                               f'{p.stderr.strip() or p.stdout.strip()}')
        return p.stdout

    def config(self, spec: NodeSpec | None = None, **params: Any) -> Any:
        r = super().config(**params)
        if spec is None:
            return r
        settings = dict(spec.sysctls)
        if spec.forward:
            settings['net.ipv4.ip_forward'] = '1'
        if spec.forward6:
            settings['net.ipv6.conf.all.forwarding'] = '1'
        if settings:
            self.cmd('sysctl -qw ' + ' '.join(f'{k}={v}' for k, v in settings.items()))
        if spec.bridge:
            self.cmd('ip link add br0 type bridge && ip link set br0 up')
            for port in spec.bridge:
                self.cmd(f'ip link set {port} master br0')
        for cmd in [f'ip addr add {a}' for a in spec.addrs] + [f'ip route add {r}' for r in spec.routes] \
                + [f'ip rule add {r}' for r in spec.rules]:
            out = self.cmd(f'{cmd}; echo rc=$?')
            if 'rc=0' not in out:
                raise RuntimeError(f'{self.name}: `{cmd}` failed: {out.strip()}')
        confs = self._tayga_confs(spec.tayga)
        for conf in confs:
            self.run(f'tayga -c {conf} --mktun >/dev/null')
        for script in spec.setup:
            self.run(script)
        if spec.nat:
            n = spec.nat
            self.nat = Nat(self.run, n['behaviour'], n['wan'], n['wan_ip'], n['seed'], n['timeout'])
            self.nat.apply()
        self.daemons = [self._daemon(['tayga', '-c', conf, '--nodetach']) for conf in confs]
        for addr in spec.warm:   # first packets must not pay for ARP (docs/research.md "The ARP race")
            self.cmd(f'ping -c1 -W1 {addr} >/dev/null')
        return r

    def _tayga_confs(self, tayga: list[tuple[str, str]]) -> list[str]:
        if not tayga:
            return []
        self.conf_dir = tempfile.mkdtemp(prefix=f'migbench-{self.name}-')
        paths = [f'{self.conf_dir}/{tun}.conf' for tun, _ in tayga]
        for path, (_, text) in zip(paths, tayga):
            Path(path).write_text(text)
        return paths

    def _daemon(self, argv: list[str]) -> subprocess.Popen[bytes]:
        """A process that lives as long as the topology (stop_daemons); a failure at start is raised
        with what it said. From the building thread: its PR_SET_PDEATHSIG needs it."""
        assert self.conf_dir is not None
        log = Path(self.conf_dir) / f'{Path(argv[0]).name}.log'
        with log.open('wb') as out:
            p = subprocess.Popen(['mnexec', '-a', str(self.pid), 'setpriv', '--pdeathsig', 'KILL', *argv],
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            p.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            return p
        raise RuntimeError(f'{self.name}: `{" ".join(argv)}` exited {p.returncode}: {log.read_text().strip()}')

    def stop_daemons(self) -> None:
        for p in getattr(self, 'daemons', []):
            p.kill()
            p.wait()
        if self.conf_dir:
            shutil.rmtree(self.conf_dir, ignore_errors=True)


class PlanTopo(Topo):
    """Mininet Topo over a Plan; emulated slots become WireLink or NetemLink."""

    def build(self, plan: Plan | None = None, emulation: str = 'wire', run_dir: str = '/tmp',
              seed: int = 1, **_: Any) -> None:
        assert plan is not None
        for n in plan.nodes:
            self.addHost(n.name, cls=TestbedNode, ip=None, spec=n)
        for k, l in enumerate(plan.links):
            opts: dict[str, Any] = dict(intfName1=l.ifa, intfName2=l.ifb,
                                        params1={'ip': l.ipa}, params2={'ip': l.ipb})
            setting = plan.slots.get(l.slot) if l.slot else None
            if setting is not None and setting.impaired():
                if emulation == 'netem':
                    opts.update(cls=NetemLink, setting=setting)
                else:
                    opts.update(cls=WireLink, setting=setting, wire_name=f'w{l.slot}',
                                run_dir=Path(run_dir), seed=seed * 31 + k)
            else:
                opts.update(cls=Link)
            self.addLink(l.a, l.b, **opts)
