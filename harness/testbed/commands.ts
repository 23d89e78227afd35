// `migbench testbed …`: look at the emulated network itself.
import { withTestbed, type BuildOptions, type LinkSlot } from '../driver.ts';
import { checkLinkProfile, NAT_PRESETS, natBehaviour } from '../presets.ts';
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
