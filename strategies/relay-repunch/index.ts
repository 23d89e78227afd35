// relay-repunch — the original system (kota-yata/p2p-quic-migration), re-implemented:
// the mobile detects a change (netlink, or silence on the audio path) and tells the intermediate
// over its control connection; the intermediate, which now sees the mobile's new address on that
// authenticated connection, tells the answerer; the answerer sends audio through the relay at once
// while both punch toward each other; the mobile dials a NEW P2P QUIC connection; when it is up the
// answerer returns audio to it and stops relaying. (The original waited a fixed 200 ms after the
// netlink event before signalling; this one signals at once — docs/strategies.md.)
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { LIVENESS_OPTION } from '../shared/netwatch.ts';
import { repunchRoles } from '../shared/repunch.ts';

const strategy: Strategy = {
  name: 'relay-repunch',
  describe: 'The original system: on a change the mobile signals the intermediate, the answerer ' +
    'relays audio through it at once while both re-punch, then a new P2P QUIC connection takes over.',
  options: LIVENESS_OPTION,
  intermediate: runIntermediate,
  ...repunchRoles({ relayWhilePunching: true, detectChanges: true }),
};
export default strategy;
