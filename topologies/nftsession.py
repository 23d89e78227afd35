"""One `nft -i` per host, started with the topology: an event's nftables change (a blackout's drop
chains and their removal) is a line written to a process that is already running, so no process
starts at the event's moment. A shell that ran `nft` at a blackout's end was 7-79 ms late (median 18)
over make bench's 230 blackouts at 1085837 — its own start on a loaded machine (docs/testbed.md
"When E is"); a written line takes effect within a millisecond.

Each command is followed by a sync: a table of the session's own is added, listed and deleted, and
the command is done when that listing has been read back — nft runs one command after another, and
prints its errors before it."""
from __future__ import annotations

import subprocess
import threading
import time
from typing import TYPE_CHECKING, Callable

from .stamps import now_ms

if TYPE_CHECKING:
    from .nodes import TestbedNode


def sync_lines(table: str) -> str:
    """What follows a command: its listing is read back once nft has run the command."""
    return f'add table netdev {table}\nlist table netdev {table}\ndelete table netdev {table}\n'


def read_until_sync(readline: Callable[[], str], table: str) -> list[str]:
    """The lines a command printed before the sync's listing; an error if it printed an error or nft
    exited."""
    out: list[str] = []
    header = f'table netdev {table} {{'
    while True:
        line = readline()
        if line == '':
            raise RuntimeError(f'nft -i exited: {"".join(out).strip()}')
        if line.rstrip('\n') == header:
            readline()   # its closing brace
            break
        out.append(line)
    errors = [l for l in out if l.startswith('Error:')]
    if errors:
        raise RuntimeError(''.join(out).strip())
    return out


class NftSession:
    """`nft -i` in `node`'s network namespace, dying with the driver."""

    def __init__(self, node: TestbedNode) -> None:
        self.sync = f'migbench_sync_{node.name}'
        self.proc = subprocess.Popen(['mnexec', '-a', str(node.pid), 'setpriv', '--pdeathsig', 'KILL', 'nft', '-i'],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.lock = threading.Lock()   # an event's thread and a blackout's restore

    def run(self, command: str, at_ms: float | None = None) -> tuple[float, float]:
        """Runs one nft command (one line), at `at_ms` (ms since epoch) if given: (issued, done)
        stamps, the change taking effect between them."""
        if at_ms is not None:
            time.sleep(max(0.0, (at_ms - now_ms()) / 1000))
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self.lock:
            t0 = now_ms()
            self.proc.stdin.write(f'{command}\n{sync_lines(self.sync)}')
            self.proc.stdin.flush()
            read_until_sync(self.proc.stdout.readline, self.sync)
            return t0, now_ms()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
