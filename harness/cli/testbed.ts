// `migbench testbed classify|calibrate`: the NAT presets' behaviour, the links' RTTs.
import { withTestbed } from '../driver.ts';
import { classifyIpv6, classifyPresets, DEFAULT_CLASSIFY, linkOptions, SLOTS } from '../testbed/commands.ts';
import { linkFlags, type Command } from './flags.ts';

export const classifyCommand: Command = {
  summary: 'measure each NAT preset\'s mapping and filtering (RFC 5780 probe)',
  usage: `migbench testbed classify [--presets a,b,…] [--ipv6] [--json]
  Builds the mobile topology with the presets in its three NAT slots and probes each from the host
  behind it, using the intermediate's two addresses. Prints: preset  mapping  filtering  (configured).
  --ipv6: instead, one dual-stack build with an IPv6-only cellular (docs/testbed.md "IPv6"): the three
  IPv6 firewalls (a firewall translates nothing: EIM) and the NAT64, from an IPv6 socket and through the CLAT.`,
  options: { presets: { type: 'string' }, seed: { type: 'string', default: '1' }, ipv6: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(v) {
    if (v.ipv6 && v.presets !== undefined) throw new Error('--ipv6 classifies its own presets: drop --presets');
    const presets = typeof v.presets === 'string' ? v.presets.split(',') : DEFAULT_CLASSIFY;
    const rows = v.ipv6 ? await classifyIpv6(Number(v.seed)) : await classifyPresets(presets, Number(v.seed));
    if (v.json) console.log(JSON.stringify(rows));
    let bad = 0;
    for (const r of rows) {
      const same = r.mapping === r.expected.mapping && r.filtering === r.expected.filtering;
      if (!same) bad++;
      if (!v.json) {
        console.log(`${r.preset.padEnd(v.ipv6 ? 44 : 16)} ${r.mapping.padEnd(5)} ${r.filtering.padEnd(5)}` +
          (same ? '' : `  (configured ${r.expected.mapping} ${r.expected.filtering})`));
      }
    }
    return bad ? 1 : 0;
  },
};

export const calibrateCommand: Command = {
  summary: 'configured vs measured RTT on every path of a topology; replayed vs trace rate of traced links',
  usage: `migbench testbed calibrate [--link PROFILE] [--link-<slot> PROFILE] [--count N] [--trace-seconds S] [--json]
  slots: ${SLOTS.join(', ')}; --link sets answerer, wifi and cellular.
  PROFILE: a name from topologies/presets.json or custom:delay=MS,jitter=MS,loss=PCT,rate=KBIT,…,trace=FILE,schedule=FILE
  A link with a trace is then flooded for S s (default 5, after 1 s to fill its queue), each traced
  direction at once: the rate its wire delivered against its trace's over the same window.
  --json: the paths as one JSON line, then (traced links only) the trace rows as a second.`,
  options: { ...linkFlags, count: { type: 'string', default: '20' }, topology: { type: 'string', default: 'mobile' },
    'trace-seconds': { type: 'string', default: '5' }, json: { type: 'boolean' } },
  async run(v) {
    const links = linkOptions(v);
    const [rows, traces] = await withTestbed({ topology: v.topology as string, links }, async (d, info) => {
      if (!v.json) console.log(`emulation: ${info.emulation}, build ${info.buildMs.toFixed(0)} ms`);
      const paths = await d.calibrate(Number(v.count));
      // after the RTTs: the floods leave the traced links' queues full
      const traced = Object.values(info.links).some((l) => l.up.trace || l.down.trace);
      return [paths, traced ? await d.calibrateTraces(Number(v['trace-seconds'])) : []] as const;
    });
    if (v.json) {
      console.log(JSON.stringify(rows));
      if (traces.length) console.log(JSON.stringify(traces));
      return 0;
    }
    console.log('path                    from            configured  median   error     avg/min/max/mdev');
    for (const r of rows) {
      if (r.median === undefined) { console.log(`${r.path.padEnd(23)} ${(r.source ?? r.host).padEnd(15)} no reply`); continue; }
      const err = r.median - r.configured;
      console.log(`${r.path.padEnd(23)} ${(r.source ?? r.host).padEnd(15)} ${r.configured.toFixed(1).padStart(10)}  ` +
        `${r.median.toFixed(2).padStart(6)}  ${(err >= 0 ? '+' : '') + err.toFixed(2)}    ` +
        `${r.avg!.toFixed(2)}/${r.min!.toFixed(2)}/${r.max!.toFixed(2)}/${r.mdev!.toFixed(2)}`);
    }
    if (!traces.length) return 0;
    const mbit = (k: number) => (k / 1000).toFixed(3).padStart(8);
    console.log('\ntraced link         trace                 window  trace Mbit/s  replayed  error     idle opp.  flood Mbit/s');
    let starved = false;
    for (const t of traces) {
      if (t.error !== undefined) { console.log(`${t.link.padEnd(19)} ${t.trace.padEnd(20)}  ${t.error}`); continue; }
      const err = t.errorPct == null ? '-' : `${t.errorPct >= 0 ? '+' : ''}${t.errorPct.toFixed(2)} %`;
      if (t.unusedPct! > 0.5) starved = true;
      console.log(`${t.link.padEnd(19)} ${t.trace.padEnd(20)}  ${t.seconds!.toFixed(2)} s  ${mbit(t.expectedKbit!)}      ` +
        `${mbit(t.deliveredKbit!)}  ${err.padEnd(9)} ${(t.unusedPct!.toFixed(1) + ' %').padStart(7)}    ${mbit(t.floodKbit)}`);
    }
    if (starved) console.log('idle opp.: trace opportunities that found the queue empty — the flood did not keep up (a busy VM?), so that replayed rate is a lower bound');
    return 0;
  },
};
