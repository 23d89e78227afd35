"""What the event layer uses of the layers that call it, as structural types: the event handlers
(fade.py, phone.py, renumber.py) take the events module's `Events`, the events module and the
trace calibration take the testbed's `Bed` — so none of them imports the module that imports it,
and topologies/ has no import circle (topologies/test_units.py checks)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from mininet.net import Mininet

    from .emulators import EmulatedLink
    from .nodes import TestbedNode
    from .shapes import Plan, Uplink


class Bed(Protocol):
    """The built testbed (testbed.py Testbed)."""
    plan: Plan
    net: Mininet
    started_down: set[str]

    def host(self, name: str) -> TestbedNode: ...
    def uplinks(self, host: str) -> list[Uplink]: ...
    def current_uplink(self, host: str) -> Uplink: ...
    def _uplink(self, host: str, name: str) -> Uplink: ...
    def slot_links(self, slot: str) -> list[EmulatedLink]: ...


class Events(Protocol):
    """The network events of a testbed (events.py NetworkEvents), as its handlers use them."""
    bed: Bed
    notify: Callable[[dict[str, Any]], None]
    noop: bool
    stopping: bool

    def _change(self, node: TestbedNode, script: str) -> tuple[float, float]: ...
    def _record(self, kind: str, full: str, host: str, **evidence: Any) -> dict[str, Any]: ...
    def drop_all(self, node: TestbedNode, up: Uplink, table: str) -> tuple[float, float]: ...
    def later(self, node: TestbedNode, script: str) -> tuple[float, float, str] | None: ...
    def _switch_state(self, host: str) -> dict[str, Any]: ...
    def _counts(self, host: str) -> dict[str, int]: ...
    def bound_probe(self, host: str, up: Uplink, count: int = 1) -> None: ...
    def _drops(self, host: str, up: Uplink, table: str) -> dict[str, int]: ...
