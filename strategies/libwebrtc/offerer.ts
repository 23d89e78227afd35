// The mobile's side of the negotiation, as a WebRTC app does it: the first offer, then an ICE restart
// (restartIce() and a new offer) whenever the app's trigger says so; one negotiation at a time (a
// trigger during one makes one more after it); an answer not back in ANSWER_TIMEOUT_MS is given up;
// a restart not connected OPEN_TIMEOUT_MS after its answer is made again (the app's connection
// timeout); and an offer whose answer was lost with the signalling connection (it died with the old
// network, docs/strategies.md "libwebrtc") is offered again once the signalling is back.
import type { RoleContext } from '../contract.ts';
import type { Signals } from '../shared/control.ts';
import { genOf, OPEN_TIMEOUT_MS, type SdpSignal } from '../shared/webrtc.ts';
import type { LibWebRtcPeer, LibWebRtcSignals } from './peer.ts';

/** An answer not back this long after its offer: the negotiation is given up (and retried). */
const ANSWER_TIMEOUT_MS = 5000;

export class Offerer {
  private busy = false;
  private again = false;
  private offered = false;
  private unanswered = false;
  private answered: ((s: SdpSignal) => void) | null = null;
  private dropAnswer: ((e: Error) => void) | null = null;
  private connectTimer: NodeJS.Timeout | undefined;
  /** `retry`: whether this app restarts at all (false: libwebrtc alone, after the first offer);
   *  `remote`: the stack's name in the handshake events. */
  constructor(private readonly ctx: RoleContext, private readonly peer: LibWebRtcPeer, private readonly signals: Signals<LibWebRtcSignals>,
    private readonly retry: boolean, private readonly remote: string) {
    signals.on('sdp', (answer) => { if (genOf(answer) === peer.gen) this.answered?.(answer); });
  }

  /** The signalling paired the peers (at the start, and again after it reconnected). */
  paired(): void {
    if (!this.offered) { this.offered = true; void this.negotiate(false); return; }
    if (!this.unanswered || !this.retry) return;
    this.ctx.log.logOther('ice.reoffer', { gen: this.peer.gen, why: 'the signalling reconnected before the answer came' });
    if (this.busy) { this.again = true; this.dropAnswer?.(new Error('the signalling reconnected: offering again')); }
    else void this.negotiate(true);
  }

  /** The first offer, or an ICE restart: new credentials and candidates, the same DTLS and media. */
  async negotiate(restart: boolean): Promise<void> {
    const { ctx, peer } = this;
    if (ctx.signal.aborted) return;
    if (this.busy) { this.again = true; return; }
    this.busy = true;
    clearTimeout(this.connectTimer);
    do {
      this.again = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        if (restart) { peer.gen++; ctx.log.logOther('ice.restart', { gen: peer.gen }); peer.pc.restartIce(); }
        else ctx.log.log('handshake.start', { remote: this.remote, with: 'peer' });
        const answer = new Promise<SdpSignal>((resolve, reject) => {
          this.answered = resolve;
          this.dropAnswer = reject;
          timer = setTimeout(() => reject(new Error(`no answer to offer ${peer.gen} in ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
        });
        await peer.pc.setLocalDescription(await peer.pc.createOffer());
        this.signals.send('sdp', { gen: peer.gen, sdp: peer.pc.localDescription!.sdp, type: 'offer' });
        this.unanswered = true;
        await peer.setRemote(peer.gen, { type: 'answer', sdp: (await answer).sdp });
        this.unanswered = false;
      } catch (e) {
        ctx.log.log('error', { message: `negotiate: ${(e as Error).message}` });
      } finally {
        clearTimeout(timer);
      }
      restart = true;
    } while (this.again && !ctx.signal.aborted);
    this.busy = false;
    if (this.retry) this.connectTimer = setTimeout(() => {
      if (['connected', 'completed'].includes(peer.pc.iceConnectionState)) return;
      ctx.log.logOther('handshake.failed', { with: 'peer', gen: peer.gen, message: `ICE not connected after ${OPEN_TIMEOUT_MS} ms` });
      void this.negotiate(true);
    }, OPEN_TIMEOUT_MS);
  }

  stop(): void { clearTimeout(this.connectTimer); }
}
