// seamless — standby's warm paths (one QUIC connection over a direct path on every mobile uplink
// plus the relay, strategies/standby/), with the path chosen by its quality instead of the OS's word:
// every path probed every 100 ms, loss, RTT, jitter and silence over the last second (PathWindow),
// a primary left as soon as it is not good — before the OS drops a fading Wi-Fi or moves the route
// away from a silent one — with hysteresis against a flapping path (QualityPathSelector), and a copy
// on the best good other path while the primary is not good (`redundancy=suspect`, the default).
// The answerer is standby's: it pongs every path, follows the mobile's switches and copies when asked.
// docs/strategies.md "seamless".
import type { Redundancy } from '../shared/path-selector.ts';
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { LIVENESS_OPTION } from '../shared/netwatch.ts';
import { answerer } from '../standby/answerer.ts';
import { warmPathsMobile } from '../standby/mobile.ts';
import { qualityPolicy } from './policy.ts';

const strategy: Strategy = {
  name: 'seamless',
  describe: "Standby's warm path on every uplink, chosen by quality: loss, RTT, jitter and silence from 100 ms probes; a " +
    'degrading primary is left before the OS acts, with a copy on the best other path meanwhile; no handshake.',
  options: {
    redundancy: {
      describe: 'copy every packet onto the best good other path: suspect (while the primary is not good, or a frame is ' +
        'overdue, or just after a change), always, or off', default: 'suspect', values: ['suspect', 'always', 'off'],
    },
    ...LIVENESS_OPTION,
  },
  notes: [
    'Its probes (every 100 ms on every path, and their answers) are upkeep, in keepalive_pct; its copies are in dup_pct; ' +
      'both together are extra_pct, over issue 29\'s 10 % budget in this first slice (docs/strategies.md "seamless").',
  ],
  intermediate: runIntermediate,
  answerer,
  mobile: (ctx) => warmPathsMobile(ctx, qualityPolicy(ctx.option('redundancy') as Redundancy)),
};
export default strategy;
