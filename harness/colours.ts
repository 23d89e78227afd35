// One colour per strategy in every chart of the report and every figure: a fixed palette keyed by
// the run spec's strategy, so that a strategy reads alike wherever it is drawn. A variant (a label
// other than its strategy's name, e.g. "ice-restart (trigger=ice)") gets a shade of its strategy's
// hue: the same family, never the same colour as the strategy itself.

/** Category10 without its red (red marks the runs that did not recover); the stacks wrapped from
 *  elsewhere take its pink (libwebrtc) and Category20b's plum (chromium), olive (nebula) and brown-gold (iroh);
 *  seamless, grown from standby, Category20b's gold. */
export const STRATEGY_COLOURS: Readonly<Record<string, string>> = {
  'relay-repunch': '#1f77b4', 'ice-restart': '#ff7f0e', 'ice-restart-werift': '#8c564b', 'quic-migration': '#2ca02c',
  reconnect: '#9467bd', overlay: '#17becf', standby: '#bcbd22', seamless: '#e7ba52', 'relay-only': '#7f7f7f', libwebrtc: '#e377c2', chromium: '#7b4173', nebula: '#637939', iroh: '#8c6d31',
};
/** The hue of a label whose strategy has no colour (not one of strategies/). */
const OTHER = '#393b79';

/** hex mixed with black (to 0) or white (to 255) by t. */
const mix = (hex: string, to: number, t: number) => `#${[1, 3, 5].map((i) =>
  Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - t) + to * t).toString(16).padStart(2, '0')).join('')}`;
const shades = (hue: string) => [mix(hue, 0, 0.4), mix(hue, 255, 0.45), mix(hue, 0, 0.65), mix(hue, 255, 0.65)];
// a variant's first shade depends on its label only, so it stays the same from chart to chart
const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);

/** The strategy a label draws: `bases` (label → the run spec's strategy) first, else the longest
 *  strategy name the label starts with ("ice-restart-werift (x=y)" → ice-restart-werift). */
export function baseOf(label: string, bases: ReadonlyMap<string, string> = new Map()): string {
  return bases.get(label) ?? Object.keys(STRATEGY_COLOURS).filter((s) => label === s || label.startsWith(`${s} `))
    .sort((a, b) => b.length - a.length)[0] ?? label;
}

/** A vega-lite colour scale for these labels: the strategy's colour for a label that is the strategy's
 *  name, a shade of it for a variant; two labels of one chart never share a colour. */
export function strategyScale(labels: readonly string[], bases: ReadonlyMap<string, string> = new Map()): { domain: string[]; range: string[] } {
  const domain = [...new Set(labels)];
  const used = new Set<string>(), colour = new Map<string, string>();
  // strategies before variants: a strategy's own colour is never taken by a variant
  const named = domain.filter((l) => baseOf(l, bases) === l);
  for (const label of [...named, ...domain.filter((l) => !named.includes(l))]) {
    const hue = STRATEGY_COLOURS[baseOf(label, bases)] ?? OTHER;
    const s = shades(hue), k = hash(label) % s.length;
    const candidates = named.includes(label) ? [hue, ...s] : [...s.slice(k), ...s.slice(0, k)];
    const c = candidates.find((x) => !used.has(x)) ?? candidates[0]!;
    used.add(c);
    colour.set(label, c);
  }
  return { domain, range: domain.map((l) => colour.get(l)!) };
}

/** Dash patterns for lines by strategy, so that lines stay apart in greyscale. */
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4]];
export function strategyDashes(labels: readonly string[]): { domain: string[]; range: number[][] } {
  const domain = [...new Set(labels)];
  return { domain, range: domain.map((_, i) => DASHES[i % DASHES.length]!) };
}
