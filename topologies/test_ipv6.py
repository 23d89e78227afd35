"""Unit tests of the IPv6 address plans (topologies/ipv6.py): no root needed."""
import unittest

from topologies.ipv6 import (CLAT_POOL, CLAT_V4, HOST_POOL, TAYGA_PREFIX, AddressPlan, firewall_ruleset,
                             parse_address_plan, synthesize)
from topologies.nat import parse_preset
from topologies.renumber import judge_renumber, next_prefix
from topologies.shapes import plan


def presets(name: str = 'port-restricted'):
    return {k: parse_preset(name) for k in ('answerer', 'wifi', 'cellular')}


def build(ip: dict, nat: str = 'port-restricted'):
    return plan('mobile', presets(nat), {}, ip=parse_address_plan(ip))


class AddressPlans(unittest.TestCase):
    def test_ipv4_everywhere_leaves_the_plan_as_it_was(self):
        # both plans pass through add_ipv6, so each is also checked for the absence of any IPv6 itself
        before, after = plan('mobile', presets(), {}), build({'wifi': 'ipv4'})
        for p in (before, after):
            self.assertFalse([n.name for n in p.nodes if n.setup or n.tayga or n.forward6 or
                              any(':' in a for a in n.addrs + n.routes + n.rules)])
            self.assertTrue(all(u.family == 'ipv4' and not u.addr6 and not u.link and not u.nat_src
                                for ups in p.uplinks.values() for u in ups))
            self.assertEqual(p.describe()['intermediate6'], [])
        self.assertEqual([(n.name, n.addrs, n.routes, n.rules) for n in before.nodes],
                         [(n.name, n.addrs, n.routes, n.rules) for n in after.nodes])
        self.assertEqual(before.describe()['hosts'], after.describe()['hosts'])

    def test_bad_plans_name_the_problem(self):
        for spec, words in (({'wifi': 'ipv6-only'}, 'ip.wifi'), ({'moon': 'ipv4'}, 'unknown site'),
                            ({'clat': 'yes'}, 'ip.clat'), ({'firewall': {'wifi': 'EIF'}}, 'has no IPv6'),
                            ({'wifi': 'dual-stack', 'firewall': {'wifi': 'open'}}, 'ip.firewall.wifi')):
            with self.assertRaises(ValueError) as e:
                parse_address_plan(spec)
            self.assertIn(words, str(e.exception))
        with self.assertRaises(ValueError):
            build({'cellular': 'ipv6-only'}, nat='cgnat')
        with self.assertRaises(ValueError):
            plan('same-nat', presets(), {}, ip=AddressPlan({'answerer': 'dual-stack'}))

    def test_ipv6_only_cellular_has_no_ipv4_and_reaches_it_through_the_nat64_and_clat(self):
        p = build({'wifi': 'dual-stack', 'cellular': 'ipv6-only'})
        wifi, cell = p.uplinks['mobile']
        self.assertEqual((wifi.family, wifi.addr, wifi.addr6), ('dual-stack', '10.2.0.2', '2001:2:0:200::2'))
        self.assertEqual((cell.family, cell.dev, cell.link, cell.addr, cell.nat_src),
                         ('ipv6-only', 'mobile-clat', 'mobile-cell', CLAT_V4, CLAT_POOL))
        lan = next(l for l in p.links if l.ifa == 'mobile-cell')
        self.assertEqual((lan.ipa, lan.ipb), (None, None))
        mobile = p.node('mobile')
        self.assertFalse([r for r in mobile.routes + mobile.rules if 'mobile-cell' in r or '10.3.' in r])
        self.assertIn('ip route add default dev mobile-clat metric 200', mobile.setup)
        nat64 = dict(p.node('natC').tayga)['nat64']
        self.assertIn(f'prefix {TAYGA_PREFIX}', nat64)
        self.assertIn(f'map {HOST_POOL} 2001:2:0:300::2', nat64)
        self.assertIn(f'map {CLAT_POOL} 2001:2:0:300::c1a7', nat64)
        self.assertIn('dnat ip6 prefix to 2001:2:0:64::/96', ' '.join(p.node('natC').setup))
        no_clat = build({'cellular': 'ipv6-only', 'clat': False}).uplinks['mobile'][1]
        self.assertEqual((no_clat.dev, no_clat.addr, no_clat.nat_src), ('mobile-cell', '2001:2:0:300::2', HOST_POOL))

    def test_every_static_address_skips_dad_and_no_address_is_used_twice(self):
        p = build({'answerer': 'dual-stack', 'wifi': 'dual-stack', 'cellular': 'ipv6-only'})
        adds = [c for n in p.nodes for c in n.setup if c.startswith('ip addr add 2001')]
        self.assertTrue(adds and all(c.endswith(' nodad') for c in adds), adds)
        addrs = [c.split()[3] for c in adds]
        self.assertEqual(len(addrs), len(set(addrs)), addrs)
        # the intermediate's second address is never a source the kernel picks (a QUIC client dialling
        # the first takes answers only from it): deprecated, as IPv4's secondary address
        inter = [c for c in adds if 'dev intermediate-e0' in c]
        self.assertEqual([' preferred_lft 0 ' in c for c in inter], [False, True], inter)

    def test_synthesize(self):
        self.assertEqual(synthesize('198.18.0.10'), '64:ff9b::c612:a')
        self.assertEqual(synthesize('192.0.2.33', '2001:db8:122:344::/96'), '2001:db8:122:344::c000:221')   # RFC 6052 §2.4
        with self.assertRaises(ValueError):
            synthesize('198.18.0.10', '2001:db8::/64')


class Firewalls(unittest.TestCase):
    def test_each_filtering_learns_from_outbound_and_matches_inbound_on_its_key(self):
        keys = {'EIF': 'ip6 daddr . udp dport @open', 'ADF': 'ip6 daddr . udp dport . ip6 saddr @open',
                'APDF': 'ip6 daddr . udp dport . ip6 saddr . udp sport @open'}
        for filtering, inbound in keys.items():
            rules = firewall_ruleset(filtering, 'lan0', 'wan0', 300)
            self.assertIn(f'iifname "wan0" meta l4proto udp {inbound} accept', rules)
            self.assertIn('iifname "lan0" meta l4proto udp update @open', rules)
            self.assertIn('timeout 300s', rules)
            self.assertIn('iifname "wan0" counter name dropped drop', rules)
            self.assertIn('packet-too-big', rules)   # RFC 4890: never filtered


class Renumbering(unittest.TestCase):
    def test_next_prefix(self):
        self.assertEqual(next_prefix('2001:2:0:300::2'), '2001:2:0:301::')
        self.assertEqual(next_prefix('2001:2:0:301::2'), '2001:2:0:302::')

    def test_judge(self):
        old, new = '2001:2:0:300::2', '2001:2:0:301::2'
        ok = judge_renumber(old, new, [new], ['2001:2:0:301::1'], new)
        self.assertTrue(ok['ok'], ok)
        for host, router, src, words in (([old], ['2001:2:0:300::1'], old, 'still has its old address'),
                                         ([], ['2001:2:0:301::1'], None, 'no address'),
                                         ([new], ['2001:2:0:300::1', '2001:2:0:301::1'], new, 'did not move'),
                                         ([new], ['2001:2:0:301::1'], '2001:2:0:200::2', 'leaves from')):
            v = judge_renumber(old, new, host, router, src)
            self.assertFalse(v['ok'], v)
            self.assertIn(words, v['reason'])


if __name__ == '__main__':
    unittest.main()
