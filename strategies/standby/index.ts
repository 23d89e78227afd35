// standby — make-before-break. One QUIC connection for the whole run on the overlay's path layer
// (strategies/shared/paths.ts), with a warm direct path on EVERY mobile uplink plus the relay:
// - the mobile binds one UDP socket per uplink address (source routing sends it out of that
//   uplink), learns each socket's reflexive address from the intermediate's reflector and tells
//   the answerer; both punch; authenticated pings (every KEEPALIVE_MS, well below the NATs' 30 s
//   UDP timeout) keep each path open and its RTT measured (probe.ts);
// - the primary is the path of the uplink the OS prefers if it is up, else the fastest one up,
//   else the relay; the mobile tells the answerer with an authenticated `switch` ON that path
//   (no round trip through the intermediate);
// - on a netlink change, or silence on the primary longer than livenessMs (netwatch.ts), the mobile
//   switches at once to the best standby; the answerer re-sends the frames the mobile missed that
//   can still make their playout deadline (the switch carries the last frame it got);
// - whatever the change broke is re-learned and re-punched in the background (a path without a
//   pong for DEAD_MS is re-discovered), so that a standby exists again;
// - `--opt redundancy=always` copies every packet onto the best standby too (the upper bound);
//   `redundancy=suspect` only while the primary is suspect: a frame overdue on it (SUSPECT_MS of
//   silence, before the liveness miss that switches) or SUSPECT_WINDOW_MS after a netlink change.
//   The mobile asks with an authenticated `suspect` probe on the standby path itself.
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { LIVENESS_OPTION } from '../shared/netwatch.ts';
import { answerer } from './answerer.ts';
import { mobile } from './mobile.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';

const strategy: Strategy = {
  name: 'standby',
  needsIpv4: controlNeedsIpv4,
  describe: 'Make-before-break: one QUIC connection over a warm direct path on every mobile uplink plus ' +
    'the relay; on a change or a liveness miss it switches at once to the best standby, no handshake.',
  options: {
    redundancy: {
      describe: 'copy every packet onto the best standby path: off; always (the upper bound); suspect (only while the primary looks broken)',
      default: 'off', values: ['off', 'always', 'suspect'],
    },
    ...LIVENESS_OPTION,
    ...FAMILY_OPTION,
  },
  intermediate: runIntermediate,
  answerer,
  mobile,
};
export default strategy;
