// seamless — standby's warm paths (one QUIC connection over a direct path on every mobile uplink
// plus the relay, strategies/standby/), with the path chosen by its quality instead of the OS's word
// (policy.ts): the primary judged by the audio arriving on it, the standbys by probes — once a second
// while all is well, every 100 ms while the primary is not good; a primary left as soon as it is not
// good — before the OS drops a fading Wi-Fi or moves the route away from a silent one — with
// hysteresis against a flapping path (QualityPathSelector). While the primary is suspect (a frame
// overdue, not good, a change) the answerer copies onto the best good other path for a short window
// and re-sends what the mobile missed, within a budget of extra bytes (`budget`, % of the media).
// The answerer is standby's with those rules. docs/strategies.md "seamless".
import type { Redundancy } from '../shared/path-selector.ts';
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { LIVENESS_OPTION } from '../shared/netwatch.ts';
import { warmPathsAnswerer } from '../standby/answerer.ts';
import { warmPathsMobile } from '../standby/mobile.ts';
import { CALM_PROBE_MS, COPY_WINDOW_MS, PROBE_MS, PUNCH_BURST_MS, qualityPolicy } from './policy.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';

const strategy: Strategy = {
  name: 'seamless',
  needsIpv4: controlNeedsIpv4,
  describe: "Standby's warm path on every uplink, chosen by quality (the primary judged by its audio, the others by probes); a " +
    'degrading primary is left before the OS acts, with short copies and re-sends on the best other path within a byte budget; no handshake.',
  options: {
    redundancy: {
      describe: 'copy every packet onto the best good other path: suspect (while the primary is not good, or a frame is ' +
        'overdue, or just after a change), always, or off', default: 'suspect', values: ['suspect', 'always', 'off'],
    },
    budget: {
      describe: 'the most both ends send beyond the media, in % of the media bytes sent so far (the mobile\'s share from ' +
        'its pings): copies stop and re-sends are skipped at it; upkeep is not capped', default: '10',
    },
    ...LIVENESS_OPTION,
    ...FAMILY_OPTION,
  },
  notes: [
    'Its probes and their answers are upkeep, in keepalive_pct; its copies and re-sends are in dup_pct; both together are ' +
      'extra_pct, which its `budget` option caps at the answerer (docs/strategies.md "seamless").',
  ],
  intermediate: runIntermediate,
  answerer: (ctx) => warmPathsAnswerer(ctx, {
    punchEveryMs: PROBE_MS, punchForMs: PUNCH_BURST_MS, quietMs: 2.5 * CALM_PROBE_MS, quicPings: false, copyWindowMs: COPY_WINDOW_MS, repairOnSuspect: true, budgetPct: Number(ctx.option('budget')),
  }),
  mobile: (ctx) => warmPathsMobile(ctx, qualityPolicy(ctx.option('redundancy') as Redundancy,
    (mode, why) => ctx.log.logOther('seamless.probing', { mode, why }))),
};
export default strategy;
