// quic-migration: plain QUIC. Nothing is detected or signalled: the mobile (QUIC client) keeps its
// connection and simply sends from its new address; quiche on the answerer (QUIC server) migrates
// the connection passively (docs/research.md "Only the QUIC server follows a peer's new address") — if the answerer's NAT lets the new
// address in (endpoint-independent filtering, or a rebinding to the same IP under ADF). Otherwise
// the connection idles out (maxIdleTimeout, 5 s) and the app reconnects from scratch through the
// rendezvous, as a plain app would.
// `nudge=on` (default): on a netlink change the mobile sends a PING at once from its new address, as
// an app told of OS network events does; `nudge=off`: the answerer, which only receives ACKs, learns
// the new address at the mobile's next 1 s keepalive PING.
import type { Strategy } from '../contract.ts';
import { runIntermediate } from '../shared/intermediate.ts';
import { repunchRoles } from '../shared/repunch.ts';
import { controlNeedsIpv4, FAMILY_OPTION } from '../shared/family.ts';

const strategy: Strategy = {
  name: 'quic-migration',
  needsIpv4: controlNeedsIpv4,
  describe: 'Plain QUIC connection migration: no signalling; the answerer follows the mobile\'s new ' +
    'address passively where its NAT lets it in, else the connection idles out (5 s) and reconnects.',
  options: {
    nudge: { describe: 'on a netlink change, send a PING from the new address at once (on) or wait for the 1 s keepalive (off)', default: 'on', values: ['on', 'off'] },
    ...FAMILY_OPTION,
  },
  intermediate: runIntermediate,
  ...repunchRoles({ relayWhilePunching: false, detectChanges: false, nudge: (ctx) => ctx.option('nudge') === 'on' }),
};
export default strategy;
