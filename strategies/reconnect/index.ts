// reconnect (baseline): on a change, drop the P2P connection, re-punch and open a new one, with
// nothing carrying the audio in between — the floor relay-repunch improves on.
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { DETECT_OPTION, LIVENESS_OPTION } from '../shared/netwatch.ts';
import { repunchRoles } from '../shared/repunch.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';

const strategy: Strategy = {
  name: 'reconnect',
  needsIpv4: controlNeedsIpv4,
  describe: 'Baseline: on a change the old P2P connection is closed, both re-punch and a new QUIC ' +
    'connection is opened; no relay in between (audio stops until the new connection is up).',
  options: { ...LIVENESS_OPTION, ...DETECT_OPTION, ...FAMILY_OPTION },
  intermediate: runIntermediate,
  ...repunchRoles({ relayWhilePunching: false, detectChanges: true, detectOption: true }),
};
export default strategy;
