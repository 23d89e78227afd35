// NAT presets and link profiles, shared with topologies/ through one JSON file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.ts';

interface NatBehaviourSpec { mapping: string; filtering: string }
interface PresetsFile {
  nat: Record<string, NatBehaviourSpec & { carrier?: NatBehaviourSpec }>;
  natUdpTimeoutS: number;
  link: Record<string, unknown>;
  ipv6: { families: Record<'answerer' | 'wifi' | 'cellular', string[]>; firewalls: string[]; firewallUdpTimeoutS: number; nat64Prefix: string };
}

export const PRESETS: PresetsFile = JSON.parse(readFileSync(path.join(REPO, 'topologies/presets.json'), 'utf8'));
export const NAT_PRESETS = Object.keys(PRESETS.nat);
export const LINK_PROFILES = Object.keys(PRESETS.link);
export const MAPPINGS = ['EIM', 'ADM', 'APDM'];
export const FILTERINGS = ['EIF', 'ADF', 'APDF'];

/** What the outside sees of a preset: a carrier NAT in front makes mapping and filtering the
 *  stricter of the two. Throws naming the preset if it is neither a name nor MAPPING/FILTERING. */
export function natBehaviour(preset: string): NatBehaviourSpec {
  const spec = PRESETS.nat[preset];
  if (!spec) {
    const [m, f] = preset.toUpperCase().split('/');
    if (m && f && MAPPINGS.includes(m) && FILTERINGS.includes(f)) return { mapping: m, filtering: f };
    throw new Error(`unknown NAT preset '${preset}' (one of ${NAT_PRESETS.join(', ')}, or MAPPING/FILTERING such as EIM/ADF)`);
  }
  const c = spec.carrier;
  if (!c) return { mapping: spec.mapping, filtering: spec.filtering };
  const stricter = (order: string[], a: string, b: string) => order[Math.max(order.indexOf(a), order.indexOf(b))]!;
  return { mapping: stricter(MAPPINGS, spec.mapping, c.mapping), filtering: stricter(FILTERINGS, spec.filtering, c.filtering) };
}

export function checkLinkProfile(profile: string): void {
  if (profile.startsWith('custom:') || LINK_PROFILES.includes(profile)) return;
  throw new Error(`unknown link profile '${profile}' (one of ${LINK_PROFILES.join(', ')}, or custom:delay=…,jitter=…)`);
}
