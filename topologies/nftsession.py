"""One `nft -i` per host, started with the topology: an event's nftables change (a blackout's drop
chains and their removal) is a line written to a process that is already running, so no process
starts at the event's moment. A shell that ran `nft` at a blackout's end was 7-79 ms late (median 18)
over make bench's 230 blackouts at 1085837 — its own start on a loaded machine (docs/testbed.md
"When E is"); a written line takes effect within a millisecond.

Each command is followed by a sync: a table of the session's own is added, listed and deleted, and
the command is done when that listing has been read back — nft runs one command after another, and
prints its errors before it."""
from __future__ import annotations

import queue
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Callable

from .stamps import now_ms

if TYPE_CHECKING:
    from .nodes import TestbedNode

# An nft command answers in about a millisecond; one not answered in this long leaves the session broken.
ANSWER_S = 2.0


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
    """`nft -i` in `node`'s network namespace, dying with the thread that starts it (start it from the
    one that builds the topology)."""

    def __init__(self, node: TestbedNode) -> None:
        self.sync = f'migbench_sync_{node.name}'
        self.proc = subprocess.Popen(['mnexec', '-a', str(node.pid), 'setpriv', '--pdeathsig', 'KILL', 'nft', '-i'],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.lock = threading.Lock()   # an event's thread and a blackout's restore
        self.broken: str | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put('')   # exited

    def _readline(self) -> str:
        try:
            return self.lines.get(timeout=ANSWER_S)
        except queue.Empty:
            self.broken = f'nft -i did not answer in {ANSWER_S:g} s'
            raise RuntimeError(self.broken) from None

    def run(self, command: str, at_ms: float | None = None) -> tuple[float, float]:
        """Runs one nft command (one line), at `at_ms` (ms since epoch) if given: (issued, done)
        stamps, the change taking effect between them."""
        if at_ms is not None:
            time.sleep(max(0.0, (at_ms - now_ms()) / 1000))
        assert self.proc.stdin is not None
        with self.lock:
            if self.broken:
                raise RuntimeError(self.broken)
            t0 = now_ms()
            self.proc.stdin.write(f'{command}\n{sync_lines(self.sync)}')
            self.proc.stdin.flush()
            read_until_sync(self._readline, self.sync)
            return t0, now_ms()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except (OSError, ValueError):   # a write the restore thread left half done
                pass
