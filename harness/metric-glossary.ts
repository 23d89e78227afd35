// The definition of every metric in one sentence (the report's glossary; docs/metrics.md carries the
// same text, and test/unit/metrics.test.ts fails if they differ). harness/metrics.ts computes them.
import type { RunMetrics } from './metrics.ts';

/** One precise sentence per metric; the report's glossary. docs/metrics.md carries the same text. */
export const METRIC_GLOSSARY: Record<keyof RunMetrics, string> = {
  gap_ms: 'Longest run of consecutive-seq concealed frames among observed frames whose playout deadline is after E (the earliest such run if several tie), times the frame length.',
  concealed_ms: 'Number of concealed (late or lost) frames in the observe window, before and after the event, times the frame length.',
  recovery_ms: 'Playout deadline of the first frame of the first run of 10 consecutive-seq on-time frames that starts after the longest post-event gap (with no gap: the first such run starting with a frame whose deadline is after E), minus E; null if there is no such run.',
  direct_ms: 'With D the first observed frame whose deadline is after E and that was concealed or first arrived via the relay: arrival time of the first frame with seq > D.seq whose first arrival was direct, minus E; with no D, arrival time of the first post-event frame that first arrived direct, minus E (can be negative, down to -J, when nothing was disrupted); null if none.',
  switch_ms: 'Arrival time of the earliest first arrival among frames sent at or after E (such a frame can only have come by the path the strategy uses after the event), minus E; null if none arrived. The floors limit_ms and limit_standby_ms are compared with this, not with gap_ms, whose frames the jitter buffer\'s slack can hide.',
  limit_ms: 'Physical floor for a relay-bridged switch: detect_ms + RTT mobile-intermediate + RTT intermediate-answerer as measured by the harness on the post-event uplink; null if any of the three is missing.',
  limit_standby_ms: 'Physical floor for make-before-break: detect_ms + one RTT of the direct path on the uplink that survives the event (cellular after wifi-to-cellular or an event on the Wi-Fi uplink, Wi-Fi after cellular-to-wifi or an event on the cellular uplink), as measured by the harness; null if either is missing.',
  detect_ms: 'Time of the first netchange.detected (any role) at or after the event was issued (event.fired tIssued; E - 1 ms without it), minus E — slightly negative when the host noticed the change before the harness had stamped it; null if none.',
  base_delay_ms: 'D0: the smallest one-way delay (arrival - sentAt) among frames sent in the pre-event window [E - 3000 ms, E) (with no event.fired: the first 3000 ms of audio); null if none of them arrived (0 is then used). Every frame plays at sentAt + D0 + J.',
  added_delay_ms: 'Median one-way delay of the frames that arrived among those sent in the last 1000 ms of the observe window, minus base_delay_ms: the latency price of the path the strategy ends on (relay vs direct); null if none arrived or D0 is null.',
  relay_bytes: 'Sum over the intermediate\'s relays (its QUIC relay; coturn for the WebRTC strategies) of the largest cumulative byte count in their relay.bytes events (0 if none): the payload of every packet relayed in the run, each counted once whichever direction it went — by the QUIC relay when it forwards it, for coturn when it delivers it to a peer (TURN framing removed); IP/UDP headers, relay headers and the relays\' own control traffic excluded.',
  dup_bytes: 'Bytes a strategy sent twice on purpose (redundant copies on a standby path, loss-repair re-sends): the sum over roles of the largest cumulative duplicate count in their overhead.bytes events (0 if none).',
  keepalive_bps: 'Path-maintenance bytes each role sent (hole punches, relay binds, probes and their replies, an estimated 42 B per QUIC keepalive PING on P2P connections, and every STUN message a WebRTC peer sends: ICE checks, consent, TURN upkeep), each packet counted once by its sender (not the control connection to the intermediate), per second of the run: the sum over roles of the largest cumulative keepalive count in their overhead.bytes events, divided by the span of the run\'s log (0 if none).',
  handshakes: 'Number of P2P connections made over the whole run: handshake.ok events with the other peer (with = peer) logged by the receiver (one end of every connection); handshakes with the intermediate are not counted.',
  signal_msgs: 'Number of signal.sent events from any role at or after E (over the whole run if there was no event.fired).',
  success: 'True iff recovery_ms is not null, i.e. 10 consecutive on-time frames followed the longest post-event gap inside the observe window.',
  frames_sent: 'Frames of the sender\'s schedule whose playout deadline lies in the observe window (after the log\'s first event, at most observe end - J): the seqs it logged as audio.sent, the seqs it skipped in its log, and (with a known observe end) the frames its 20 ms schedule still owed after its last logged one; equals on time + late + lost.',
  frames_on_time: 'Observed frames whose first arrival at the receiver was no later than their playout deadline sentAt + D0 + J.',
  frames_late: 'Observed frames that first arrived after their playout deadline sentAt + D0 + J (concealed).',
  frames_lost: 'Observed frames that never arrived at the receiver, frames_unsent included (concealed).',
  frames_unsent: 'Observed frames of the sender\'s schedule that it never logged as sent (dead or stalled sender); counted as lost.',
  pre_event_concealed: 'Concealed observed frames with playout deadline in [E - 3000 ms, E): the baseline impairment just before the event.',
  cpu_s: 'Per role, user + system CPU seconds reported by its role.stop event: the role process\'s own plus its waited-for child processes\' (coturn for the WebRTC strategies\' intermediate); summed if a role stopped more than once.',
  event_t: 't of the harness\'s first event.fired (ms since epoch), i.e. E; null if there was none, in which case E is the send time of the first frame and every after-event metric covers the whole run.',
};
/** The event-window rule shared by every after-event metric. */
export const EVENT_WINDOW_NOTE = 'E is the t of the harness\'s first event.fired; with no event.fired, E is the send time of the first frame the sender logged, so every after-event metric covers the whole run; a frame is post-event iff its playout deadline sentAt + D0 + J is after E.';
