// chromium: libwebrtc as a browser ships it — Debian's headless Chromium in each peer's namespace, the
// WebRTC app of the `libwebrtc` strategy (the same offers, restarts and triggers: roles.ts) driving
// the browser's RTCPeerConnection over the DevTools protocol (page-peer.ts). The browser does its own
// network handling (its network-change notifier, its ICE); the audio is the bench's Opus frames on the
// data channel. Two browsers per run: its CPU is in docs/bench.md, and it is not in the default matrix.
import type { RoleContext, Strategy } from '../contract.ts';
import { WEBRTC_OPTIONS } from '../shared/webrtc.ts';
import { triggerOption, webrtcRoles, type OpenedPc, type WebRtcStack } from '../libwebrtc/roles.ts';
import { IP_POLICY, openBrowser } from './browser.ts';
import { PagePeerConnection } from './page-peer.ts';

const stack: WebRtcStack = {
  remote: 'chromium',
  async open(ctx: RoleContext, config: RTCConfiguration): Promise<OpenedPc> {
    const policy = ctx.role === 'mobile' ? IP_POLICY[ctx.option('uplinks') as keyof typeof IP_POLICY] : IP_POLICY.all;
    const browser = await openBrowser(ctx, policy);
    try {
      return { pc: await PagePeerConnection.open(browser.cdp, config), close: () => browser.close() };
    } catch (e) {
      await browser.close();
      throw e;
    }
  },
};

const strategy: Strategy = {
  name: 'chromium',
  describe: "Chrome's WebRTC as a browser ships it (Debian's headless Chromium 156 in each peer's namespace), driven by the " +
    "libwebrtc strategy's app over the DevTools protocol: on a change the mobile restarts ICE and re-negotiates, when the app " +
    "hears the OS, when the browser's ICE state says so, or never; the browser's own network handling beside it.",
  options: {
    ...WEBRTC_OPTIONS,
    trigger: triggerOption('the browser'),
    uplinks: {
      describe: "the mobile's interfaces WebRTC may use: default (Chromium's --force-webrtc-ip-handling-policy=" +
        `${IP_POLICY.default}: the default route's, as a phone's OS gives an app) or all (the browser's default)`,
      default: 'default', values: ['default', 'all'],
    },
  },
  notes: [
    'Audio on the data channel only: a browser plays a track out to a speaker, not to the bench (no received.wav from its ' +
      'playout); the frames cross the DevTools protocol as base64, ≈ 3 ms more base delay than libwebrtc (docs/strategies.md "chromium").',
    'Two headless browsers a run: ≈ 1–2 CPU s more per peer than libwebrtc, and their start alone outlasts the start window ' +
      'at three runs at once; run one at a time, not in the default matrix (docs/bench.md "chromium").',
    "Chromium hides host addresses behind mDNS names and a reflexive candidate's base (raddr 0.0.0.0); the pair's path is " +
      'still direct or relay by candidate type (docs/strategies.md "chromium").',
  ],
  ...webrtcRoles(stack),
};
export default strategy;
