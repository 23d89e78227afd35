// `migbench testbed …`: look at the emulated network itself.
import { withTestbed, type BuildOptions, type LinkSlot } from '../driver.ts';
import { checkLinkProfile, NAT_PRESETS, natBehaviour } from '../presets.ts';
import { synthesize } from '../ip-plan.ts';
import { classifyHost, startProbeServer, type Behaviour } from './probes.ts';

export interface ClassifyRow extends Behaviour { preset: string; expected: Behaviour }

/** Builds as few `mobile` topologies as needed (three NAT slots each) and classifies every preset
 *  from the host behind it. */
export async function classifyPresets(presets: string[], seed = 1): Promise<ClassifyRow[]> {
  for (const p of presets) natBehaviour(p);   // fail on a bad name before building anything
  const rows: ClassifyRow[] = [];
  for (let i = 0; i < presets.length; i += 3) {
    const [answerer, wifi, cellular] = [0, 1, 2].map((k) => presets[i + k] ?? presets[i]!) as [string, string, string];
    await withTestbed({ nat: { answerer, wifi, cellular }, seed }, async (d, info) => {
      const server = await startProbeServer(d, info);
      const mobile = info.hosts.mobile!;
      const probes: [string, string, string | undefined][] = [
        [answerer, 'answerer', undefined],
        [wifi, 'mobile', mobile.find((u) => u.name === 'wifi')!.addr],
        [cellular, 'mobile', mobile.find((u) => u.name === 'cellular')!.addr],
      ];
      for (const [preset, host, local] of probes.slice(0, Math.min(3, presets.length - i))) {
        rows.push({ preset, ...(await classifyHost(d, info, host, local)), expected: natBehaviour(preset) });
      }
      await server.signal('TERM');
    });
  }
  return rows;
}

/** One build with every IPv6 preset behind a host: the answerer's firewall APDF, Wi-Fi's EIF, the
 *  IPv6-only cellular's ADF (its native IPv6) and, behind its NAT64, a symmetric NAT44. */
export const IPV6_CLASSIFY: BuildOptions = {
  nat: { cellular: 'symmetric' },
  ip: { answerer: 'dual-stack', wifi: 'dual-stack', cellular: 'ipv6-only', firewall: { answerer: 'APDF', wifi: 'EIF', cellular: 'ADF' } },
};

/** The IPv6 firewalls and the NAT64 (from the host's own IPv6 address, and from its CLAT's IPv4) of
 *  IPV6_CLASSIFY, classified as the NATs are. A firewall translates nothing: it shows as EIM, the
 *  mapped address the host's own. */
export async function classifyIpv6(seed = 1): Promise<ClassifyRow[]> {
  const rows: ClassifyRow[] = [];
  await withTestbed({ ...IPV6_CLASSIFY, seed }, async (d, info) => {
    const server = await startProbeServer(d, info);
    const up = (host: string, name: string) => info.hosts[host]!.find((u) => u.name === name)!;
    const cell = up('mobile', 'cellular');
    const fw = IPV6_CLASSIFY.ip!.firewall!;
    const nat64 = natBehaviour(IPV6_CLASSIFY.nat!.cellular!);
    const synthesized = info.intermediate.map((a) => synthesize(a, info.ip.nat64Prefix!));
    const probes: [string, Behaviour, string, string, string[]][] = [
      [`firewall ${fw.answerer} (answerer)`, { mapping: 'EIM', filtering: fw.answerer! }, 'answerer', up('answerer', 'uplink').addr6, info.intermediate6],
      [`firewall ${fw.wifi} (wifi)`, { mapping: 'EIM', filtering: fw.wifi! }, 'mobile', up('mobile', 'wifi').addr6, info.intermediate6],
      [`firewall ${fw.cellular} (cellular)`, { mapping: 'EIM', filtering: fw.cellular! }, 'mobile', cell.addr6, info.intermediate6],
      [`NAT64 ${IPV6_CLASSIFY.nat!.cellular} (cellular, IPv6 socket)`, nat64, 'mobile', cell.addr6, synthesized],
      [`NAT64 ${IPV6_CLASSIFY.nat!.cellular} (cellular, through the CLAT)`, nat64, 'mobile', cell.addr, info.intermediate],
    ];
    for (const [preset, expected, host, local, addrs] of probes) {
      rows.push({ preset, ...(await classifyHost(d, info, host, local, addrs)), expected });
    }
    await server.signal('TERM');
  });
  return rows;
}

export const SLOTS: LinkSlot[] = ['intermediate', 'answerer', 'wifi', 'cellular'];

/** `--link P` sets the three access slots; `--link-<slot> P` overrides one slot. */
export function linkOptions(values: Record<string, unknown>): BuildOptions['links'] {
  const links: NonNullable<BuildOptions['links']> = {};
  if (typeof values.link === 'string') {
    checkLinkProfile(values.link);
    for (const s of ['answerer', 'wifi', 'cellular'] as const) links[s] = values.link;
  }
  for (const s of SLOTS) {
    const v = values[`link-${s}`];
    if (typeof v === 'string') { checkLinkProfile(v); links[s] = v; }
  }
  return links;
}

export const DEFAULT_CLASSIFY = NAT_PRESETS;
