// libwebrtc: the WebRTC of Chrome, Meet, Teams and Whereby (libwebrtc M106 through @roamhq/wrtc
// 0.10.0, wrapped, never patched). One PeerConnection for the whole run; audio on an unordered,
// maxRetransmits 0 data channel; STUN and TURN from the bench's coturn; offers, answers and trickled
// candidates through the intermediate. On a change the mobile (the offerer) calls restartIce() and
// re-negotiates — when the app hears the OS (`trigger=app`, as `ice-restart` does), when libwebrtc's
// own ICE state says disconnected/failed (`trigger=ice`, a web page without network events), or never
// (`trigger=none`: libwebrtc alone). The timers each trigger waits on are in docs/strategies.md "libwebrtc".
import wrtc from '@roamhq/wrtc';
import type { RoleContext, Strategy } from '../contract.ts';
import { WEBRTC_OPTIONS } from '../shared/webrtc.ts';
import { triggerOption, webrtcRoles, type OpenedPc, type WebRtcStack } from './roles.ts';
import { TrackReceiver, TrackSender } from './track.ts';
import { DefaultUplinkOnly, PORT_RANGE } from './uplinks.ts';

/** libwebrtc in the role's own process; the mobile's uplinks as `uplinks` says (uplinks.ts), its
 *  local ports in PORT_RANGE then (`portRange`: node-webrtc's extension to RTCConfiguration). */
const stack: WebRtcStack = {
  remote: 'libwebrtc',
  async open(ctx: RoleContext, config: RTCConfiguration): Promise<OpenedPc> {
    const uplinks = ctx.role === 'mobile' && ctx.option('uplinks') === 'default'
      ? new DefaultUplinkOnly(ctx.intermediate.addrs[0]!, (blocked) => ctx.log.logOther('uplinks.blocked', { blocked }),
        (e) => ctx.log.log('error', { message: `uplinks: ${e.message}` })) : null;
    await uplinks?.start();   // before the PeerConnection gathers
    const pc = new wrtc.RTCPeerConnection({ ...config, ...(uplinks ? { portRange: PORT_RANGE } : {}) } as RTCConfiguration);
    return {
      pc,
      ...(uplinks ? { beforeRestart: () => uplinks.sync() } : {}),
      close: () => uplinks?.stop(),
      track: {
        sender: (path, anchor) => new TrackSender(ctx, pc, path, anchor),
        receiver: (path, hooks) => new TrackReceiver(ctx, pc, path, hooks),
      },
    };
  },
};

const strategy: Strategy = {
  name: 'libwebrtc',
  describe: "Chrome's WebRTC (libwebrtc M106 through @roamhq/wrtc), one PeerConnection for the run: on a change " +
    'the mobile restarts ICE (restartIce) and re-negotiates through the intermediate, when the app hears the OS, ' +
    "when libwebrtc's ICE state says so, or never; DTLS and the data channel survive.",
  options: {
    ...WEBRTC_OPTIONS,
    trigger: triggerOption('libwebrtc'),
    media: {
      describe: "the call's audio: datachannel (the bench's Opus frames on an unordered, unreliable data channel) or track " +
        "(a libwebrtc audio track: its Opus, NetEQ's playout as received.wav, its concealment counters as rtc.audio)",
      default: 'datachannel', values: ['datachannel', 'track'],
    },
    uplinks: {
      describe: "the mobile's networks libwebrtc may use: default (the default route's, as a phone's OS gives an app; " +
        'the others dropped in its namespace) or all (every interface, libwebrtc on a Linux host)', default: 'default', values: ['default', 'all'],
    },
  },
  notes: [
    '@roamhq/wrtc 0.10.0 (libwebrtc M106) has no continual-gathering switch: candidates are gathered once per ICE ' +
      'generation, and libwebrtc re-reads the interface list every 2 s (docs/strategies.md "libwebrtc").',
    'Here libwebrtc cannot tell Wi-Fi from cellular (no network monitor on Linux; both uplinks cost 50) and with uplinks=all ranks ' +
      'cellular first, so its call is not on Wi-Fi when a Wi-Fi event hits; the default, uplinks=default, gives it the default ' +
      'route only, as a phone OS gives an app (docs/strategies.md "libwebrtc").',
  ],
  ...webrtcRoles(stack),
};
export default strategy;
