"""Topology driver: one process holds one Mininet network and speaks JSON lines on stdio.

Request  {"id": 1, "cmd": "build", ...}      -> reply {"id": 1, "ok": true, "result": {...}}
                                                 or   {"id": 1, "ok": false, "error": "..."}
Async    {"event": "proc.output", "proc": 3, "stream": "stdout", "line": "..."}
         {"event": "proc.exit", "proc": 3, "code": 0, "t": ...}
         {"event": "event.restored", "name": "blackout:2", "host": "mobile", "t": ...}

Commands: build, start, signal, exec, event, verify, link, rtt, calibrate, calibrate_traces, lateness, cli, stop
(docs/testbed.md).
Teardown runs on `stop`, on end of stdin (the harness died, even by SIGKILL), on SIGINT,
SIGTERM and SIGHUP. Started processes and wire emulators carry PR_SET_PDEATHSIG, so they go
with this process even if it is killed outright.

Over 250 lines: it is the whole protocol, one method per command plus the serving loop and the
teardown that must run on every way out; split, the commands would lose sight of that teardown.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, IO

from mininet.cli import CLI
from mininet.log import lg

from .links import resolve
from .ipv6 import parse_address_plan
from .nat import parse_preset
from .events import HANDLERS
from .stamps import now_ms
from .testbed import Testbed
from . import priority
from .shapes import plan

_out_lock = threading.Lock()


def emit(msg: dict[str, Any]) -> None:
    line = json.dumps(msg, separators=(',', ':'))
    with _out_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


class Driver:
    def __init__(self) -> None:
        self.bed: Testbed | None = None
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.next_proc = 1
        self.run_dir = Path(tempfile.mkdtemp(prefix=f'migbench-{os.getpid()}-'))
        self.stopped = False
        self.cli_server: socket.socket | None = None

    # -- commands ---------------------------------------------------------------------------

    def build(self, topology: str = 'mobile', nat: dict[str, str] | None = None,
              links: dict[str, Any] | None = None, seed: int = 1, udpTimeout: int | None = None,
              sourceRouting: bool = True, startOn: str = 'wifi',
              ip: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.bed:
            raise ValueError('already built: one topology per driver')
        nat = {'answerer': 'port-restricted', 'wifi': 'port-restricted', 'cellular': 'port-restricted', **(nat or {})}
        unknown = set(nat) - {'answerer', 'wifi', 'cellular'}
        if unknown:
            raise ValueError(f'unknown NAT slot {", ".join(sorted(unknown))} (answerer, wifi, cellular)')
        presets = {k: parse_preset(v) for k, v in nat.items()}
        settings = {k: resolve(v) for k, v in (links or {}).items()}
        p = plan(topology, presets, settings, seed, udpTimeout, bool(sourceRouting), startOn, parse_address_plan(ip))
        self.bed = Testbed(p, seed, self.run_dir, emit)
        priority.serve_run()
        return {**p.describe(), 'emulation': self.bed.emulation, 'buildMs': self.bed.build_ms,
                'driverPid': os.getpid(), 'nodePids': self.bed.pids(), 'runDir': str(self.run_dir),
                'events': {k: {'targeted': h.targeted} for k, h in HANDLERS.items()}}

    def _bed(self) -> Testbed:
        if not self.bed:
            raise ValueError('build a topology first')
        return self.bed

    def start(self, host: str, argv: list[str], env: dict[str, str] | None = None,
              cwd: str | None = None) -> dict[str, Any]:
        """A long-running process in a host; its output lines come back as proc.output events.
        Must run on the main thread: PR_SET_PDEATHSIG fires when the *thread* that forked exits."""
        node = self._bed().host(host)
        if not argv:
            raise ValueError('start needs argv')
        proc = subprocess.Popen(['mnexec', '-da', str(node.pid), 'setpriv', '--pdeathsig', 'KILL', *argv],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})}, cwd=cwd)
        pid = self.next_proc
        self.next_proc += 1
        self.procs[pid] = proc
        readers = [threading.Thread(target=self._pump, args=(pid, name, stream), daemon=True)
                   for name, stream in (('stdout', proc.stdout), ('stderr', proc.stderr))]
        for r in readers:
            r.start()
        threading.Thread(target=self._reap, args=(pid, proc, readers), daemon=True).start()
        return {'proc': pid, 'pid': proc.pid, 'host': host, 't': now_ms()}

    def _pump(self, pid: int, name: str, stream: IO[bytes] | None) -> None:
        assert stream is not None
        for raw in stream:
            emit({'event': 'proc.output', 'proc': pid, 'stream': name,
                  'line': raw.decode('utf-8', 'replace').rstrip('\n')})

    def _reap(self, pid: int, proc: subprocess.Popen[bytes], readers: list[threading.Thread]) -> None:
        code = proc.wait()
        for r in readers:
            r.join(5)
        emit({'event': 'proc.exit', 'proc': pid, 'code': code, 't': now_ms()})

    def signal(self, proc: int, sig: str = 'TERM') -> dict[str, Any]:
        p = self.procs.get(proc)
        if p is None:
            raise ValueError(f'no process {proc}')
        if p.poll() is None:
            p.send_signal(getattr(signal, f'SIG{sig.upper().removeprefix("SIG")}'))
        return {'proc': proc}

    def exec(self, host: str, script: str, timeout: float = 30) -> dict[str, Any]:
        node = self._bed().host(host)
        p = subprocess.run(['mnexec', '-a', str(node.pid), 'setpriv', '--pdeathsig', 'KILL', 'sh', '-c', script],
                           capture_output=True, text=True, timeout=timeout)
        return {'code': p.returncode, 'stdout': p.stdout, 'stderr': p.stderr}

    def event(self, name: str, host: str | None = None) -> dict[str, Any]:
        return self._bed().events.fire(name, host).as_dict()

    def verify(self, fired: dict[str, Any]) -> dict[str, Any]:
        """The scenario check of an event, `fired` being what `event` returned: {ok, reason, evidence}."""
        return self._bed().events.verify(fired)

    def link(self, slot: str, profile: Any) -> dict[str, Any]:
        return self._bed().set_link(slot, profile)

    def rtt(self, host: str, dst: str, count: int = 20, interval: float = 0.05,
            source: str | None = None) -> dict[str, Any]:
        return self._bed().rtt(host, dst, count, interval, source)

    def calibrate(self, count: int = 20) -> list[dict[str, Any]]:
        return self._bed().calibrate(count)

    def calibrate_traces(self, seconds: float = 5.0) -> list[dict[str, Any]]:
        """Replayed vs trace rate of every traced wire direction under a flood (`testbed calibrate` only)."""
        return self._bed().calibrate_traces(float(seconds))

    def lateness(self) -> dict[str, Any]:
        return self._bed().lateness()

    def cli(self) -> dict[str, Any]:
        """Mininet's CLI on a Unix socket in the run dir (stdio is the JSON channel, so it cannot
        have the terminal): `migbench cli` connects; one session at a time, any number in turn."""
        bed = self._bed()
        path = self.run_dir / 'cli.sock'
        if self.cli_server is None:
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(str(path))
            os.chmod(path, 0o600)
            srv.listen(1)
            self.cli_server = srv
            threading.Thread(target=self._serve_cli, args=(srv, bed), daemon=True).start()
        return {'socket': str(path)}

    def _serve_cli(self, srv: socket.socket, bed: Testbed) -> None:
        while not self.stopped:
            try:
                conn, _ = srv.accept()
            except OSError:   # closed by teardown
                return
            # separate reader and writer: Mininet polls its stdin's fileno (a read/write pair has none)
            with conn, conn.makefile('r', encoding='utf-8', errors='replace') as fin, \
                    conn.makefile('w', buffering=1, encoding='utf-8', errors='replace') as fout:
                handler = lg.handlers[0]   # Mininet prints command output through its logger
                old = handler.setStream(fout)   # type: ignore[attr-defined]
                try:
                    SocketCLI(bed.net, stdin=fin, stdout=fout)
                except (OSError, ValueError):   # the client went away mid-command
                    pass
                finally:
                    handler.setStream(old)   # type: ignore[attr-defined]

    # -- lifecycle --------------------------------------------------------------------------

    def teardown(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        priority.tear_down()
        if self.cli_server:
            self.cli_server.close()
        live = [p for p in self.procs.values() if p.poll() is None]
        for p in live:
            p.terminate()
        deadline = time.monotonic() + 2
        for p in live:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        if self.bed:
            self.bed.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


class SocketCLI(CLI):
    """Mininet's CLI reading its own stdin (a socket), not the process's terminal."""
    use_rawinput = False


THREADED = {'exec', 'event', 'verify', 'link', 'rtt', 'calibrate'}   # may overlap; the rest run in order


def serve() -> int:
    d = Driver()

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    def handle(req: dict[str, Any]) -> None:
        rid = req.get('id')
        try:
            args = {k: v for k, v in req.items() if k not in ('id', 'cmd')}
            fn = getattr(d, str(req.get('cmd')), None) if req.get('cmd') in COMMANDS else None
            if fn is None:
                raise ValueError(f'unknown command {req.get("cmd")!r} ({", ".join(sorted(COMMANDS))})')
            emit({'id': rid, 'ok': True, 'result': fn(**args)})
        except (ValueError, TypeError, RuntimeError, subprocess.TimeoutExpired) as e:
            emit({'id': rid, 'ok': False, 'error': str(e)})
        except Exception as e:   # a bug: keep serving, but say where
            emit({'id': rid, 'ok': False, 'error': f'{type(e).__name__}: {e}', 'trace': traceback.format_exc()})

    try:
        emit({'event': 'ready', 'pid': os.getpid()})
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
            except json.JSONDecodeError as e:
                emit({'id': None, 'ok': False, 'error': f'bad JSON: {e}'})
                continue
            if req.get('cmd') == 'stop':
                d.teardown()
                emit({'id': req.get('id'), 'ok': True, 'result': {'t': now_ms()}})
                return 0
            if req.get('cmd') in THREADED:
                threading.Thread(target=handle, args=(req,), daemon=True).start()
            else:
                handle(req)
        return 0
    finally:
        d.teardown()


COMMANDS = {'build', 'start', 'signal', 'exec', 'event', 'verify', 'link', 'rtt', 'calibrate', 'calibrate_traces',
            'lateness', 'cli'}

if __name__ == '__main__':
    sys.exit(serve())
