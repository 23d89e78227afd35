"""Explore a topology by hand with Mininet's own CLI:

    mn --custom topologies/custom.py --controller none \\
       --topo mobile,answerer=full-cone,wifi=port-restricted,cellular=cgnat,link=broadband

Topos: mobile, same-nat, pairs (count=N). Keywords: answerer/wifi/cellular (NAT presets or
MAPPING/FILTERING), link (profile for the access slots), link_<slot>, seed, udp_timeout,
source_routing (1, or 0 for the default route only).
Events are not fired from here: use `migbench run --interactive`, or nft/ip commands in the CLI.
"""
import atexit
import inspect
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(inspect.currentframe().f_code.co_filename))))

from topologies.emulators import emulation_mode  # noqa: E402
from topologies.links import resolve  # noqa: E402
from topologies.nat import parse_preset  # noqa: E402
from topologies.nodes import PlanTopo  # noqa: E402
from topologies.shapes import plan  # noqa: E402


def _topo(shape: str, answerer: str = 'port-restricted', wifi: str = 'port-restricted',
          cellular: str = 'port-restricted', link: str = 'lan', seed: int = 1, udp_timeout: int = 0,
          source_routing: int = 1, **slots: str) -> PlanTopo:
    settings = {s: resolve(link) for s in ('answerer', 'wifi', 'cellular')}
    settings.update({k.removeprefix('link_'): resolve(v) for k, v in slots.items()})
    if shape == 'same-nat':
        settings.pop('wifi')
        settings.pop('cellular')
    nat = {'answerer': parse_preset(answerer), 'wifi': parse_preset(wifi), 'cellular': parse_preset(cellular)}
    p = plan(shape, nat, settings, int(seed), int(udp_timeout) or None, bool(int(source_routing)))
    run_dir = tempfile.mkdtemp(prefix='migbench-mn-')
    atexit.register(shutil.rmtree, run_dir, True)
    return PlanTopo(plan=p, emulation=emulation_mode(), run_dir=run_dir, seed=int(seed))


topos = {'mobile': lambda **kw: _topo('mobile', **kw),
         'same-nat': lambda **kw: _topo('same-nat', **kw),
         'pairs': lambda count=2, **kw: _topo(f'pairs:{count}', **kw)}
