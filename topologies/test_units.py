"""Unit tests of the pure parts: NAT rulesets, link profiles, topology plans (no root needed)."""
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from topologies.emulators import _no_trace, netem_args, wire_conf
from topologies.links import Direction, LinkSetting, parse_custom, resolve
from topologies.trace_files import (TRACES, opportunities, read_schedule, read_trace, schedule_at, schedule_mean_delay,
                                    schedule_period)
from topologies.nat import NatBehaviour, count_ruleset, parse_preset, ruleset
from topologies.netlink import default_route, default_route_deleted, effect_at, link_down, parse_line, table_route
from topologies.scenario import (judge_arrive_home, judge_blackout, judge_handover, judge_wifi_fade, judge_soft_handover, judge_rebind, judge_switch, judge_timeout, parse_drop_counts,
                                 parse_flows, parse_set_counts, walk)
from topologies.shapes import plan


def presets(name: str = 'port-restricted'):
    return {k: parse_preset(name) for k in ('answerer', 'wifi', 'cellular')}


class NatRules(unittest.TestCase):
    def test_mapping_hash_depends_on_what_the_mapping_depends_on(self):
        for mapping, key in (('EIM', 'ip saddr . udp sport'), ('ADM', 'ip saddr . udp sport . ip daddr'),
                             ('APDM', 'ip saddr . udp sport . ip daddr . udp dport')):
            rules = ruleset(NatBehaviour(mapping, 'APDF'), 'n-wan', '198.18.1.2', 7, 30)
            self.assertIn(f'snat ip to 198.18.1.2 : jhash {key} mod 40000 seed 0x7 offset 20000', rules)

    def test_filtering_rules(self):
        eif = ruleset(NatBehaviour('EIM', 'EIF'), 'w', '1.2.3.4', 1, 30)
        adf = ruleset(NatBehaviour('EIM', 'ADF'), 'w', '1.2.3.4', 1, 30)
        apdf = ruleset(NatBehaviour('EIM', 'APDF'), 'w', '1.2.3.4', 1, 30)
        self.assertIn('udp dport @mapped dnat', eif)
        self.assertIn('ip saddr . udp dport @contacted dnat', adf)
        self.assertNotIn('dnat', apdf.split('chain post')[0].split('chain pre')[1])
        for r in (eif, adf, apdf):   # docs/research.md: never let unsolicited UDP reach the NAT itself
            self.assertIn('iifname "w" meta l4proto udp ct state new drop', r)

    def test_seed_changes_ports_only_through_the_hash_seed(self):
        a = ruleset(NatBehaviour('EIM', 'APDF'), 'w', '1.2.3.4', 1, 30)
        b = ruleset(NatBehaviour('EIM', 'APDF'), 'w', '1.2.3.4', 2, 30)
        self.assertNotEqual(a, b)
        self.assertEqual(a.replace('seed 0x1', 'seed 0x2'), b)

    def test_presets(self):
        self.assertEqual(parse_preset('symmetric').inner, NatBehaviour('APDM', 'APDF'))
        self.assertEqual(parse_preset('cgnat').carrier, NatBehaviour('APDM', 'APDF'))
        self.assertEqual(parse_preset('eim/adf').inner, NatBehaviour('EIM', 'ADF'))
        with self.assertRaisesRegex(ValueError, "unknown NAT preset 'cone'"):
            parse_preset('cone')
        with self.assertRaisesRegex(ValueError, "unknown NAT mapping 'XYZ'"):
            parse_preset('XYZ/EIF')


class Links(unittest.TestCase):
    def test_profiles_and_directions(self):
        bb = resolve('broadband')
        self.assertEqual((bb.up.delay, bb.up.rate, bb.down.rate), (10.0, 10000.0, 50000.0))
        c = resolve('custom:delay=10,jitter=1,loss=2,burst=0.01/0.3,up.delay=30,queue=50')
        self.assertEqual(c.up, Direction(30.0, 1.0, 2.0, 0.01, 0.3, 0.0, 50))
        self.assertEqual(c.down.delay, 10.0)
        self.assertFalse(resolve('lan').impaired())

    def test_bad_profiles_name_the_problem(self):
        with self.assertRaisesRegex(ValueError, "unknown link profile 'dsl'"):
            resolve('dsl')
        with self.assertRaisesRegex(ValueError, "unknown link field 'latency'"):
            resolve({'latency': 3})
        with self.assertRaisesRegex(ValueError, 'not key=value'):
            parse_custom('delay')

    def test_emulator_configs(self):
        s = LinkSetting(Direction(delay=10, jitter=2, burst_p=0.01, burst_r=0.3, rate=500), Direction(delay=5))
        self.assertEqual(wire_conf(s).splitlines(), ['ab 9.900 2 0.0 500 1000 0.01 0.3', 'ba 4.900 0.0 0.0 0.0 1000 0.0 0.0'])
        self.assertEqual(netem_args(s.up), 'delay 10ms 2ms distribution normal loss gemodel 1.0% 30.0% 100% 0.0% '
                                           'rate 500kbit limit 1000')


class Traces(unittest.TestCase):
    def test_trace_fields_via_custom_presets_and_dicts(self):
        c = resolve('custom:up.trace=lte-walk.up,down.trace=lte-walk.down,delay=30')
        self.assertEqual((c.up.trace, c.down.trace), (str(TRACES / 'lte-walk.up'), str(TRACES / 'lte-walk.down')))
        self.assertEqual((c.up.delay, c.up.rate), (30.0, 0.0))
        self.assertTrue(c.impaired() and c.needs_wire())
        self.assertTrue(resolve({'down': {'trace': 'const-12mbit.down'}}).down.impaired())
        self.assertFalse(resolve('cellular').needs_wire())
        lte = resolve('lte-walk')
        self.assertEqual(lte.down.trace, str(TRACES / 'lte-walk.down'))
        self.assertEqual(wire_conf(lte).splitlines(), [
            'ab 29.900 2.0 0.0 0.0 1000 0.0 0.0', f'abtrace {TRACES / "lte-walk.up"}',
            'ba 29.900 2.0 0.0 0.0 1000 0.0 0.0', f'batrace {TRACES / "lte-walk.down"}'])
        s = resolve(f'custom:schedule={TRACES / "lte-walk.sched"}')   # an absolute path, both directions
        self.assertIn(f'baschedule {TRACES / "lte-walk.sched"}', wire_conf(s).splitlines())
        with self.assertRaisesRegex(ValueError, 'netem cannot replay'):
            _no_trace(s)

    def test_missing_and_malformed_files_name_file_and_line(self):
        with self.assertRaisesRegex(ValueError, r'custom\.down: trace file .*/traces/nope\.down not found'):
            resolve('custom:down.trace=nope.down')
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / 'bad.trace'
            for text, why in (('1\n5\n3\n', r'bad\.trace:3: offset 3 is before'), ('1\nx\n', r'bad\.trace:2: expected one whole'),
                              ('0\n0\n', 'the last offset is 0'), ('\n', 'no line')):
                bad.write_text(text)
                with self.assertRaisesRegex(ValueError, why):
                    resolve({'up': {'trace': str(bad)}})
            for text, why in (('5 10 0\n', r'bad\.trace:1: the first line must be at 0'), ('0 10 0\n0 20 0\n', ':2: 0 ms is not after'),
                              ('0 10\n', ':1: expected'), ('0 10 101\n', r'loss in \[0, 100\]')):
                bad.write_text(text)
                with self.assertRaisesRegex(ValueError, why):
                    resolve({'schedule': str(bad)})

    def test_trace_and_schedule_arithmetic(self):
        ms = [1, 1, 3, 4]                                        # loops every 4 ms
        self.assertEqual(opportunities(ms, 0, 4), 4)
        self.assertEqual(opportunities(ms, 0, 9), 2 * 4 + 2)     # two loops, then the third's two at 1 ms
        self.assertEqual(opportunities(ms, 3.5, 7.5), 4)         # 4, then 5, 5, 7
        self.assertEqual(opportunities(read_trace(TRACES / 'const-12mbit.down'), 0, 10_000), 10_000)   # 12 Mbit/s
        sched = [(0, 10.0, 0.0), (1000, 40.0, 1.0)]
        self.assertEqual(schedule_period(sched), 2000)
        self.assertEqual([schedule_at(sched, t) for t in (0, 999, 1000, 1999, 2000, 3500)],
                         [(10, 0), (10, 0), (40, 1), (40, 1), (10, 0), (40, 1)])
        self.assertEqual(schedule_mean_delay(sched), 25.0)
        self.assertEqual(schedule_period(read_schedule(TRACES / 'lte-walk.sched')), 60_000)

    def test_shipped_traces_are_what_the_generator_writes(self):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, str(TRACES / 'make_traces.py'), '--out', tmp], check=True, capture_output=True)
            for name in ('lte-walk.up', 'lte-walk.down', 'lte-walk.sched', 'const-12mbit.down'):
                self.assertEqual((Path(tmp) / name).read_bytes(), (TRACES / name).read_bytes(), name)
                self.assertLess((TRACES / name).stat().st_size, 300_000, name)
        self.assertEqual(read_trace(TRACES / 'lte-walk.down')[-1], 60_000, 'loops every 60 s')


class Plans(unittest.TestCase):
    def test_mobile(self):
        p = plan('mobile', presets(), {})
        self.assertEqual([u.name for u in p.uplinks['mobile']], ['wifi', 'cellular'])
        self.assertEqual(sorted(p.slots), ['answerer', 'cellular', 'intermediate', 'wifi'])
        self.assertTrue(all(len(l.ifa) <= 15 and len(l.ifb) <= 15 for l in p.links))
        mobile = next(n for n in p.nodes if n.name == 'mobile')
        self.assertEqual(mobile.rules, ['from 10.2.0.2 table 102 pref 1002', 'from 10.3.0.2 table 103 pref 1003'])
        single = next(n for n in plan('mobile', presets(), {}, source_routing=False).nodes if n.name == 'mobile')
        self.assertEqual(single.rules, [])
        self.assertEqual(len(single.routes), 2, 'the two default routes (metric 100, 200), no per-uplink tables')

    def test_cgnat_puts_a_carrier_nat_in_front(self):
        p = plan('mobile', {**presets(), 'cellular': parse_preset('cgnat')}, {})
        self.assertEqual(p.uplinks['mobile'][1].nats, ['natC', 'cgnC'])

    def test_same_nat_and_pairs(self):
        self.assertEqual(plan('same-nat', presets(), {}).uplinks['mobile'][0].nats, ['natA'])
        p = plan('pairs:3', presets(), {})
        self.assertEqual(sorted(h for h in p.uplinks if h.startswith('mobile')), ['mobile1', 'mobile2', 'mobile3'])
        self.assertEqual(p.node('natB').bridge, ['natB-l0', 'natB-l1', 'natB-l2'])
        with self.assertRaisesRegex(ValueError, 'pairs:N needs'):
            plan('pairs:0', presets(), {})
        with self.assertRaisesRegex(ValueError, 'has no link slot cellular'):
            plan('same-nat', presets(), {'cellular': resolve('lan')})

    def test_start_on(self):
        self.assertEqual(plan('mobile', presets(), {}).describe()['startOn'], 'wifi')
        self.assertEqual(plan('pairs:2', presets(), {}, start_on='cellular').start_on, 'cellular')
        with self.assertRaisesRegex(ValueError, 'startOn cellular needs a dual-homed host'):
            plan('same-nat', presets(), {}, start_on='cellular')
        with self.assertRaisesRegex(ValueError, 'startOn must be wifi or cellular'):
            plan('mobile', presets(), {}, start_on='ethernet')


# What the testbed reads (conntrack -L, nft -j), as printed on this machine kind.
CT = ('udp      17 29 src=10.3.0.2 dst=198.18.0.1 sport=9 dport=9 [UNREPLIED] src=198.18.0.1 dst=100.64.3.2 '
      'sport=9 dport=31000 mark=0 use=1\n')
CT_OUTER = ('udp      17 29 src=100.64.3.2 dst=198.18.0.1 sport=31000 dport=9 [UNREPLIED] src=198.18.0.1 '
            'dst=198.18.3.2 sport=9 dport=45000 mark=0 use=1\n')
SET = ('{"nftables": [{"metainfo": {}}, {"set": {"family": "ip", "name": "out", "elem": ['
       '{"elem": {"val": "10.2.0.2", "counter": {"packets": 7, "bytes": 900}}}]}}]}')
DROPS = ('{"nftables": [{"metainfo": {}}, {"table": {}}, {"chain": {"name": "rx"}}, '
         '{"rule": {"chain": "rx", "expr": [{"counter": {"packets": 3, "bytes": 90}}]}}, '
         '{"rule": {"chain": "tx", "expr": [{"counter": {"packets": 1, "bytes": 42}}]}}]}')
CHAINS = {'wifi': ['natB'], 'cellular': ['natC', 'cgnC']}


class ScenarioChecks(unittest.TestCase):
    def test_parsers(self):
        self.assertEqual(parse_flows(CT + CT_OUTER), {'10.3.0.2:9': '100.64.3.2:31000', '100.64.3.2:31000': '198.18.3.2:45000'})
        self.assertEqual(parse_flows('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n'), {})
        self.assertEqual(parse_set_counts(SET), {'10.2.0.2': 7})
        self.assertEqual(parse_drop_counts(DROPS), {'rx': 3, 'tx': 1})
        self.assertIn('oifname "natB-wan" update @out { ip saddr }', count_ruleset('natB-wan'))

    def test_walk_follows_a_flow_through_a_carrier_chain(self):
        hops = walk('10.3.0.2:9', ['natC', 'cgnC'], [parse_flows(CT), parse_flows(CT_OUTER)])
        self.assertEqual([h['mapped'] for h in hops], ['100.64.3.2:31000', '198.18.3.2:45000'])
        self.assertEqual(walk('10.3.0.2:9', ['natC', 'cgnC'], [{}, parse_flows(CT_OUTER)]),
                         [{'nat': 'natC', 'src': '10.3.0.2:9', 'mapped': None}])

    def test_switch(self):
        at = {'natB': 50, 'natC': 3, 'cgnC': 3}
        ok = judge_switch('cellular', 'wifi', at, {'natB': 50, 'natC': 90, 'cgnC': 90}, 'cellular', CHAINS)
        self.assertTrue(ok['ok'], ok['reason'])
        leaked = judge_switch('cellular', 'wifi', at, {'natB': 51, 'natC': 90, 'cgnC': 90}, 'cellular', CHAINS)
        self.assertEqual((leaked['ok'], leaked['reason']), (False, '1 packets of the host crossed the Wi-Fi NAT natB after the event'))
        self.assertRegex(judge_switch('cellular', 'wifi', at, at, 'wifi', CHAINS)['reason'], 'leaves over wifi, not cellular')
        self.assertRegex(judge_switch('cellular', 'cellular', at, at, 'cellular', CHAINS)['reason'], 'already on cellular')
        self.assertRegex(judge_switch('cellular', 'wifi', at, {**at, 'natC': 9}, 'cellular', CHAINS)['reason'],
                         r'no packet of the host crossed cgnC \(cellular\)')
        # arriving home: cellular may go on carrying traffic (the strategy's choice)
        home = judge_switch('wifi', 'cellular', at, {'natB': 52, 'natC': 99, 'cgnC': 99}, 'wifi', CHAINS)
        self.assertTrue(home['ok'], home['reason'])
        self.assertRegex(judge_switch('wifi', 'wifi', at, at, 'wifi', CHAINS)['reason'], 'already on wifi')

    def test_rebind_and_timeout(self):
        hop = lambda m: [{'nat': 'natB', 'src': '10.2.0.2:9', 'mapped': m}]
        self.assertTrue(judge_rebind(hop('198.18.2.2:1'), hop('198.18.2.2:2'))['ok'])
        self.assertRegex(judge_rebind(hop('198.18.2.2:1'), hop('198.18.2.2:1'))['reason'], 'did not change')
        self.assertRegex(judge_rebind(hop(None), hop('198.18.2.2:1'))['reason'], 'no public mapping before')
        self.assertTrue(judge_timeout(hop('198.18.2.2:1'), hop(None))['ok'])
        self.assertRegex(judge_timeout(hop('198.18.2.2:1'), hop('198.18.2.2:1'))['reason'], 'still in the conntrack table of natB')
        self.assertFalse(judge_timeout(hop(None), hop(None))['ok'])

    def test_handover(self):
        start, end = {'rx': 1, 'tx': 1}, {'rx': 30, 'tx': 2}
        self.assertTrue(judge_handover(500, 1000, start, end, 1510, 'cellular', True)['ok'])
        self.assertRegex(judge_handover(500, 1000, start, end, None, 'wifi', True)['reason'], 'never became the default')
        self.assertRegex(judge_handover(500, 1000, start, end, 1800, 'cellular', True)['reason'], '800 ms after the event, not 500')
        self.assertRegex(judge_handover(500, 1000, start, end, 1510, 'wifi', True)['reason'], 'on wifi at the check')
        self.assertRegex(judge_handover(500, 1000, start, end, 1510, 'cellular', False)['reason'], 'lingering')
        self.assertRegex(judge_handover(500, 1000, start, {'rx': 1, 'tx': 2}, 1510, 'cellular', True)['reason'], 'nothing rx')
        self.assertRegex(judge_handover(500, 1000, None, None, None, 'wifi', True)['reason'], 'never installed')

    def test_soft_handover(self):
        self.assertTrue(judge_soft_handover(2, 1000, 'cellular', True, 3020, False)['ok'])
        self.assertRegex(judge_soft_handover(2, 1000, 'wifi', True, 3020, False)['reason'], 'on wifi after the event')
        self.assertRegex(judge_soft_handover(2, 1000, 'cellular', False, 3020, False)['reason'], 'keeps it working')
        self.assertRegex(judge_soft_handover(2, 1000, 'cellular', True, None, True)['reason'], 'never went down')
        self.assertRegex(judge_soft_handover(2, 1000, 'cellular', True, 3500, False)['reason'], '2500 ms after the event, not 2000')
        self.assertRegex(judge_soft_handover(2, 1000, 'cellular', True, 3020, True)['reason'], 'up again')

    def test_wifi_fade(self):
        mid = {'route': 'wifi', 'wifiLinkUp': True}
        self.assertTrue(judge_wifi_fade(2, 1000, 20, 20, 12, mid, 9, 3030, False)['ok'])
        self.assertTrue(judge_wifi_fade(2, 1000, 20, 20, 12, mid, None, 3030, False)['ok'], 'netem: no counters')
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 0, 0, None, None, None, True)['reason'], 'applied 0 of its 20 steps')
        self.assertTrue(judge_wifi_fade(2, 1000, 20, 20, 140, mid, 9, 3030, False)['ok'])
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 20, 180, mid, 9, 3030, False)['reason'], '180 ms late')
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 20, 12, {'route': 'cellular', 'wifiLinkUp': True}, 9, 3030, False)['reason'],
                         'half way')
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 20, 12, mid, 0, 3030, False)['reason'], 'lost none')
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 20, 12, mid, 9, None, True)['reason'], 'never dropped')
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 20, 12, mid, 9, 3300, False)['reason'], '2300 ms after the fade began')
        self.assertRegex(judge_wifi_fade(2, 1000, 20, 20, 12, mid, 9, 3030, True)['reason'], 'up again')

    def test_arrive_home(self):
        ok = judge_arrive_home(500, 1000, 'cellular', 1520, 'wifi', True, 31500, None, 2000)
        self.assertTrue(ok['ok'], ok['reason'])
        self.assertTrue(judge_arrive_home(500, 1000, 'cellular', 1520, 'wifi', False, 31500, 31510, 32000)['ok'])
        self.assertTrue(judge_arrive_home(50, 1000, 'wifi', 1060, 'wifi', True, 31050, None, 2000)['ok'], 'too short to tell')
        self.assertRegex(judge_arrive_home(500, 1000, 'wifi', 1520, 'wifi', True, 31500, None, 2000)['reason'], 'was on wifi, not cellular')
        self.assertRegex(judge_arrive_home(500, 1000, 'cellular', None, 'cellular', True, 31500, None, 2000)['reason'], 'never became')
        self.assertRegex(judge_arrive_home(500, 1000, 'cellular', 1700, 'wifi', True, 31500, None, 2000)['reason'], '700 ms after')
        self.assertRegex(judge_arrive_home(500, 1000, 'cellular', 1520, 'cellular', True, 31500, None, 2000)['reason'], 'on cellular at the check')
        self.assertRegex(judge_arrive_home(500, 1000, 'cellular', 1520, 'wifi', False, 31500, None, 2000)['reason'], 'before its linger')
        self.assertRegex(judge_arrive_home(500, 1000, 'cellular', 1520, 'wifi', True, 31500, None, 32000)['reason'], 'did not go down')

    def test_blackout(self):
        start, end = {'rx': 1, 'tx': 1}, {'rx': 40, 'tx': 3}
        self.assertTrue(judge_blackout(2, 1000, start, end, 3010)['ok'])
        self.assertTrue(judge_blackout(2, 1000, start, end, None)['ok'], 'still on at the check')
        self.assertRegex(judge_blackout(2, 1000, start, end, 2500)['reason'], 'lasted 1500 ms, not 2000')
        self.assertTrue(judge_blackout(2, 1000, start, end, 3300).get('late'), 'a blackout too long is late: the run goes again')
        self.assertRegex(judge_blackout(2, 1000, start, {'rx': 40, 'tx': 1}, 3000)['reason'], 'nothing dropped tx')
        self.assertFalse(judge_blackout(2, 1000, start, {'rx': 40, 'tx': 1}, 3000).get('late'), 'a drop that did not hold is no lateness')
        self.assertRegex(judge_blackout(2, 1000, None, None, None)['reason'], 'never installed')


if __name__ == '__main__':
    unittest.main()


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Each module of the package -> the package modules it imports, TYPE_CHECKING imports included
    (a circle through type hints is a circle of the design all the same)."""
    graph: dict[str, set[str]] = {}
    for f in folder.glob('*.py'):
        text = f.read_text()
        graph[f.stem] = set(re.findall(r'^\s*from \.(\w+) import', text, re.M)) | {
            m.strip() for names in re.findall(r'^\s*from \. import ([\w, ]+)', text, re.M) for m in names.split(',')}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every set of modules that reach one another (strongly connected, more than one, or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


class EffectStamps(unittest.TestCase):
    # as `ip -ts -o monitor link address route` printed them for `ip link set v0 down` (T0 .883645, T1 .890440)
    DOWN = ['[2026-12-07T09:49:09.889287] 3: v0@v1: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether 22:2f:03:7b:58:47',
            '[2026-12-07T09:49:09.889436] Deleted fe80::/64 dev v0 proto kernel metric 256 pref medium']
    UP = ['[2026-12-07T09:50:00.100000] 3: mobile-wifi@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP',
          '[2026-12-07T09:50:00.102000] default via 10.2.0.1 dev mobile-wifi table 102',
          '[2026-12-07T09:50:00.104000] default via 10.2.0.1 dev mobile-wifi metric 100']

    def stamp(self, iso: str) -> float:
        return parse_line(f'[{iso}] x')[0]   # type: ignore[index]

    def test_lines_parse_to_epoch_ms(self) -> None:
        t, text = parse_line(self.DOWN[0])   # type: ignore[misc]
        self.assertAlmostEqual(t - self.stamp('2026-12-07T09:49:09.883645'), 5.642, places=3)
        self.assertTrue(text.startswith('3: v0@v1:'))
        self.assertIsNone(parse_line('Deleted 3: v0 without a stamp'))

    def test_the_completing_notification_is_e_never_after_the_command(self) -> None:
        seen = [parse_line(l) for l in self.DOWN]
        t0, t1 = self.stamp('2026-12-07T09:49:09.883645'), self.stamp('2026-12-07T09:49:09.890440')
        self.assertEqual(effect_at(seen, t0, t1, link_down('v0')), seen[0][0])   # type: ignore[index]
        self.assertEqual(effect_at(seen, t0, seen[0][0] - 1, link_down('v0')), seen[0][0] - 1, 'read late: the command\'s stamp')   # type: ignore[index]
        self.assertIsNone(effect_at(seen, seen[1][0] + 1, t1, link_down('v0')), 'before the command: not this change')   # type: ignore[index]
        self.assertIsNone(effect_at(seen, t0, t1, link_down('v1')))
        up = [parse_line(l) for l in self.UP]
        a, b = self.stamp('2026-12-07T09:50:00.099000'), self.stamp('2026-12-07T09:50:00.110000')
        self.assertEqual(effect_at(up, a, b, default_route('mobile-wifi', '10.2.0.1', 100)), up[2][0], 'the main table\'s route, not table 102\'s')   # type: ignore[index]
        self.assertIsNone(effect_at(up, a, b, link_down('mobile-wifi')), 'a link coming up is not down')
        self.assertEqual(effect_at(up, a, b, table_route('mobile-wifi', '10.2.0.1', 102)), up[1][0], 'the uplink\'s own table')   # type: ignore[index]

    def test_a_deleted_route_is_not_an_added_one(self) -> None:
        deleted = [parse_line('[2026-12-07T09:51:00.100000] Deleted default via 10.2.0.1 dev mobile-wifi metric 100'),
                   parse_line('[2026-12-07T09:51:00.101000] Deleted default via 2001:2:0:300::1 dev mobile-wifi metric 100 pref medium')]
        a, b = self.stamp('2026-12-07T09:51:00.000000'), self.stamp('2026-12-07T09:51:00.200000')
        self.assertEqual(effect_at(deleted, a, b, default_route_deleted('mobile-wifi', '2001:2:0:300::1', 100)), deleted[1][0])   # type: ignore[index]
        self.assertIsNone(effect_at(deleted, a, b, default_route('mobile-wifi', '10.2.0.1', 100)))
        self.assertIsNone(effect_at(deleted, a, b, default_route_deleted('mobile-wifi', '10.2.0.1', 200)))
        self.assertEqual(effect_at(deleted, a, b, default_route_deleted('mobile-wifi', '2001:0002:0000:0300::0001', 100)), deleted[1][0],   # type: ignore[index]
                         'a gateway written otherwise than ip prints it')


class Layers(unittest.TestCase):
    def test_the_finder_sees_a_circle(self) -> None:
        self.assertEqual(circles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}), [['a', 'b', 'c']])
        self.assertEqual(circles({'a': {'b'}, 'b': set()}), [])

    def test_topologies_has_no_import_circle(self) -> None:
        graph = import_graph(Path(__file__).parent)
        self.assertIn('events', graph['testbed'])
        self.assertEqual(circles(graph), [])
