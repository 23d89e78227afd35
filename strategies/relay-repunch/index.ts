// relay-repunch — the original system (kota-yata/p2p-quic-migration), re-implemented:
// the mobile detects a change (netlink, or silence on the audio path) and tells the intermediate
// over its control connection; the intermediate, which now sees the mobile's new address on that
// authenticated connection, tells the answerer; the answerer sends audio through the relay at once
// while both punch toward each other; the mobile dials a NEW P2P QUIC connection; when it is up the
// answerer returns audio to it and stops relaying. By default it detects by netlink and signals at
// once, and sends audio as QUIC DATAGRAMs; `detect=probe`, `settleMs=200` and `media=stream` give
// the original's own ways (docs/strategies.md).
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { MEDIA_OPTION } from '../shared/media.ts';
import { DETECT_OPTION, LIVENESS_OPTION } from '../shared/netwatch.ts';
import { repunchRoles } from '../shared/repunch.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';

const strategy: Strategy = {
  name: 'relay-repunch',
  needsIpv4: controlNeedsIpv4,
  describe: 'The original system: on a change the mobile signals the intermediate, the answerer ' +
    'relays audio through it at once while both re-punch, then a new P2P QUIC connection takes over.',
  options: {
    ...LIVENESS_OPTION,
    ...DETECT_OPTION,
    settleMs: { describe: 'a fixed wait after a detection before signalling (the original waited 200 ms after netlink before its latest version)', default: '0' },
    ...MEDIA_OPTION,
    ...FAMILY_OPTION,
  },
  intermediate: runIntermediate,
  ...repunchRoles({ relayWhilePunching: true, detectChanges: true, detectOption: true, originalOptions: true }),
};
export default strategy;
