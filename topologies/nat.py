"""RFC 4787 NAT behaviours with nftables, one table per NAT node.

Mapping: every variant snats UDP to a port hashed (jhash with a seed) from the endpoint tuple
that the mapping depends on: EIM hashes the internal endpoint, ADM adds the remote address,
APDM the remote port too. Hashing instead of `masquerade` makes ports reproducible from the run
seed, never preserves the internal port (apps must not rely on it), and lets `rebind` change
every mapping at once by changing the seed (a flush alone is invisible on a port-preserving
NAT: docs/research.md "How to force a NAT rebinding").

Filtering: APDF is conntrack's own behaviour; EIF and ADF add a learned map (mapped port ->
internal endpoint) that DNATs unsolicited inbound packets, ADF only from remote addresses the
inside has sent to.

Always: unsolicited inbound UDP is dropped in the input hook (otherwise it creates a conntrack
entry on the NAT that clashes with the later outbound mapping and breaks hole punching:
docs/research.md), and rp_filter=1.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

PRESETS: dict[str, Any] = json.loads((Path(__file__).parent / 'presets.json').read_text())

MAPPINGS = ('EIM', 'ADM', 'APDM')
FILTERINGS = ('EIF', 'ADF', 'APDF')
# The tuple each mapping's port is a function of.
_HASH_KEY = {'EIM': 'ip saddr . udp sport',
             'ADM': 'ip saddr . udp sport . ip daddr',
             'APDM': 'ip saddr . udp sport . ip daddr . udp dport'}
PORT_BASE, PORT_SPAN = 20000, 40000
TABLE = 'migbench_nat'
COUNT_TABLE = 'migbench_count'


@dataclass(frozen=True)
class NatBehaviour:
    mapping: str
    filtering: str

    def __post_init__(self) -> None:
        if self.mapping not in MAPPINGS:
            raise ValueError(f'unknown NAT mapping {self.mapping!r} (one of {", ".join(MAPPINGS)})')
        if self.filtering not in FILTERINGS:
            raise ValueError(f'unknown NAT filtering {self.filtering!r} (one of {", ".join(FILTERINGS)})')


@dataclass(frozen=True)
class NatPreset:
    """A named preset, or a custom 'MAPPING/FILTERING' pair; `carrier` adds a second NAT upstream."""
    name: str
    inner: NatBehaviour
    carrier: NatBehaviour | None = None


def parse_preset(name: str) -> NatPreset:
    """`port-restricted`, `cgnat`, … or a custom pair such as `EIM/ADF`."""
    spec = PRESETS['nat'].get(name)
    if spec is not None:
        carrier = spec.get('carrier')
        return NatPreset(name, NatBehaviour(spec['mapping'], spec['filtering']),
                         NatBehaviour(carrier['mapping'], carrier['filtering']) if carrier else None)
    if '/' in name:
        mapping, filtering = name.upper().split('/', 1)
        return NatPreset(name, NatBehaviour(mapping, filtering))
    known = ', '.join(PRESETS['nat'])
    raise ValueError(f'unknown NAT preset {name!r} (one of {known}, or MAPPING/FILTERING such as EIM/ADF)')


def ruleset(b: NatBehaviour, wan: str, wan_ip: str, seed: int, timeout_s: int) -> str:
    """The nft script for one NAT: replaces the table atomically (used for rebinding too)."""
    inbound = {'EIF': f'iifname "{wan}" udp dport @mapped dnat ip to udp dport map @mapped',
               'ADF': f'iifname "{wan}" ip saddr . udp dport @contacted dnat ip to udp dport map @mapped',
               'APDF': ''}[b.filtering]
    hashed = f'jhash {_HASH_KEY[b.mapping]} mod {PORT_SPAN} seed {seed & 0xffffffff:#x} offset {PORT_BASE}'
    return f"""table ip {TABLE}
delete table ip {TABLE}
table ip {TABLE} {{
  map mapped {{ type inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout {timeout_s}s; }}
  set contacted {{ type ipv4_addr . inet_service; flags dynamic,timeout; timeout {timeout_s}s; }}
  chain pre {{ type nat hook prerouting priority dstnat; policy accept;
    {inbound}
  }}
  chain post {{ type nat hook postrouting priority srcnat; policy accept;
    oifname "{wan}" meta l4proto udp snat ip to {wan_ip} : {hashed}
    oifname "{wan}" masquerade
  }}
  chain learn {{ type filter hook postrouting priority 110; policy accept;
    oifname "{wan}" meta l4proto udp ct status snat update @mapped {{ ct reply proto-dst : ct original ip saddr . ct original proto-src }}
    oifname "{wan}" meta l4proto udp ct status snat update @contacted {{ ip daddr . ct reply proto-dst }}
  }}
  chain forward {{ type filter hook forward priority filter; policy accept;
    iifname "{wan}" ct state new ct status dnat accept
    iifname "{wan}" ct state new drop
  }}
  chain input {{ type filter hook input priority filter; policy accept;
    iifname "{wan}" meta l4proto udp ct state new drop
  }}
}}
"""


def count_ruleset(wan: str) -> str:
    """Packets forwarded out of the WAN per inside source address (the host, or the inner NAT of a
    carrier chain): what the scenario checks read. Its own table, so a rebind (which replaces the
    NAT table) never resets it."""
    return f"""table ip {COUNT_TABLE} {{
  set out {{ type ipv4_addr; size 65535; flags dynamic; counter; }}
  chain forward {{ type filter hook forward priority -10; policy accept;
    oifname "{wan}" update @out {{ ip saddr }}
  }}
}}
"""


Shell = Callable[[str], str]   # runs a script in the NAT node, raises on failure


class Nat:
    """One NAT box: applies its behaviour and performs the NAT events."""

    def __init__(self, sh: Shell, behaviour: NatBehaviour, wan: str, wan_ip: str,
                 seed: int, timeout_s: int) -> None:
        self.sh, self.behaviour, self.wan, self.wan_ip = sh, behaviour, wan, wan_ip
        self.seed, self.timeout_s, self.epoch = seed, timeout_s, 0

    def _load_script(self) -> str:
        script = ruleset(self.behaviour, self.wan, self.wan_ip, self.seed + self.epoch * 7919, self.timeout_s)
        return f"nft -f - <<'EOF'\n{script}EOF\n"

    def apply(self) -> None:
        t = self.timeout_s
        self.sh('sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1 '
                f'net.netfilter.nf_conntrack_udp_timeout={t} net.netfilter.nf_conntrack_udp_timeout_stream={t}')
        self.sh(f"nft -f - <<'EOF'\n{count_ruleset(self.wan)}EOF\n" + self._load_script() + FLUSH)

    def rebind_script(self) -> str:
        """The script that changes every mapping: new hash seed, learned state and conntrack
        flushed. The caller runs it in the NAT node (timed)."""
        self.epoch += 1
        return self._load_script() + FLUSH


FLUSH = 'conntrack -F >/dev/null 2>&1 || true'
# Every mapping times out now (as after idling past the UDP timeout): inbound is dropped until the
# inside sends again; the hash is unchanged, so the port comes back.
EXPIRE_SCRIPT = f'nft flush map ip {TABLE} mapped; nft flush set ip {TABLE} contacted; {FLUSH}'
