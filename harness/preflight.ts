// Before anything is built: is this host able to build the testbed? Root, the tools, and the
// kernel features, each probed for real in a private network namespace (unshare -n: it vanishes
// with the probe, so a failed check leaves nothing behind). One error names everything missing.
import { spawnSync } from 'node:child_process';
import { PYTHON } from './paths.ts';

export interface Probe { what: string; fix: string; script: string }

const TOOLS: Probe[] = [
  ['ip', 'iproute2'], ['nft', 'nftables'], ['conntrack', 'conntrack'], ['tc', 'iproute2'], ['mnexec', 'mininet'],
  ['setpriv', 'util-linux'], ['unshare', 'util-linux'], ['tayga', 'tayga'],
].map(([tool, pkg]) => ({ what: `the ${tool} command`, fix: `apt install ${pkg} (make setup)`, script: `command -v ${tool} >/dev/null` }));

/** Each runs in the same private namespace, in order; later probes may use what earlier ones made. */
export const KERNEL_PROBES: Probe[] = [
  { what: 'veth pairs', fix: 'CONFIG_VETH', script: 'ip link add mbv0 type veth peer name mbv1' },
  { what: 'Linux bridges', fix: 'CONFIG_BRIDGE', script: 'ip link add mbbr type bridge' },
  { what: 'nftables NAT', fix: 'CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_MASQ',
    script: "nft add table ip mbp && nft add chain ip mbp post '{ type nat hook postrouting priority 100; }' && nft add rule ip mbp post masquerade" },
  { what: 'connection tracking', fix: 'CONFIG_NF_CONNTRACK, CONFIG_NFT_CT', script: 'nft add rule ip mbp post ct state established accept' },
  { what: 'nftables netdev ingress/egress hooks (blackout)', fix: 'CONFIG_NETFILTER_INGRESS, CONFIG_NETFILTER_EGRESS',
    script: "nft add table netdev mbd && nft add chain netdev mbd rx '{ type filter hook ingress device mbv0 priority 0; }' && nft add chain netdev mbd tx '{ type filter hook egress device mbv0 priority 0; }'" },
  { what: 'TUN devices and IPv6 prefix NAT (NAT64, CLAT: topologies/ipv6.py)', fix: 'CONFIG_TUN, CONFIG_NF_NAT (IPv6), CONFIG_NFT_NAT',
    script: "ip tuntap add mbt0 mode tun && nft add table ip6 mb6 && nft add chain ip6 mb6 pre '{ type nat hook prerouting priority -100; }' && nft add rule ip6 mb6 pre ip6 daddr 64:ff9b::/96 dnat ip6 prefix to 2001:2:0:64::/96" },
  { what: 'HTB and TBF qdiscs (link rates)', fix: 'CONFIG_NET_SCH_HTB, CONFIG_NET_SCH_TBF',
    script: 'tc qdisc add dev mbv0 root handle 1: htb && tc qdisc add dev mbv1 root tbf rate 1mbit burst 32kbit latency 400ms' },
];

/** Names every probe whose script fails; probes share one shell in one private namespace. */
export function failingProbes(probes: Probe[], shell: string[] = ['unshare', '--net', 'sh', '-c']): Probe[] {
  const script = probes.map((p, i) => `{ ${p.script}; } >/dev/null 2>&1 || echo ${i}`).join('\n');
  const r = spawnSync(shell[0]!, [...shell.slice(1), script], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return probes;   // the namespace itself could not be made
  return r.stdout.split('\n').filter(Boolean).map((i) => probes[Number(i)]!);
}

let checked = false;
/** Throws one error naming everything this host lacks to build a testbed (once per process). */
export function checkHost(): void {
  if (checked) return;
  const missing: string[] = [];
  if (process.getuid?.() !== 0) {
    throw new Error('building the testbed needs root (Mininet makes network namespaces, NATs and links): run as root, e.g. `sudo make bench`');
  }
  for (const p of failingProbes(TOOLS, ['sh', '-c'])) missing.push(`${p.what} (${p.fix})`);
  if (spawnSync(PYTHON, ['-c', 'import mininet.net'], { encoding: 'utf8' }).status !== 0) missing.push(`Mininet for ${PYTHON} (apt install mininet; make setup)`);
  if (!missing.length) for (const p of failingProbes(KERNEL_PROBES)) missing.push(`kernel: ${p.what} (${p.fix})`);
  if (missing.length) throw new Error(`this host cannot build the testbed; missing:\n  ${missing.join('\n  ')}`);
  checked = true;
}
