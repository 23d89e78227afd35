// A peer's end of the intermediate's relay (strategies/shared/relay.ts): the grant its control
// session holds, the binds that keep the relay's latch and the peer's NAT mapping current, the
// payloads it sends and accepts — and whether the relay still answers. The intermediate answers
// every bind, so a peer that uses the relay and hears nothing from it for RELAY_SILENT_MS knows the
// intermediate is gone (logged as control.unreachable; until it answers again its payloads are not
// sent into the void: `send` says false, and the control client redials), seconds before QUIC's idle
// timeout would tell.
import { performance } from 'node:perf_hooks';
import type { RoleContext } from '../contract.ts';
import { openRelay, RELAY_BIND_MS, RELAY_UDP_TAG, relayHeader, ReplayWindow, sealRelay, type RelayGrant } from './relay.ts';
import { overhead } from './overhead.ts';
import { intermediateAddresses } from './family.ts';

/** Sends one UDP packet (the peer's shared socket, or a socket of the strategy's own: relayVia). */
export type RelaySend = (packet: Buffer, port: number, addr: string) => void;

/** While the relay is in use (a payload either way within RELAY_IN_USE_MS: longer than the silence
 *  it judges, so a peer that only received is still using it when it judges) and nothing came from it
 *  for RELAY_PROBE_MS, a bind goes every RELAY_PROBE_MS; silence longer than RELAY_SILENT_MS is the
 *  intermediate gone: noticed 0.9–1.2 s after it died (docs/strategies.md "The intermediate"). */
export const RELAY_IN_USE_MS = 2000;
export const RELAY_PROBE_MS = 300;
export const RELAY_SILENT_MS = 900;

export class RelayEnd {
  private state: { grant: RelayGrant; key: Buffer; sent: number; window: ReplayWindow } | null = null;
  private host = '';
  private sendVia: RelaySend | null = null;
  private usedAt = -Infinity;
  private useBegan = -Infinity;   // silence counts from here at the earliest: the binds before were slow
  private heardAt = performance.now();
  private boundAt = -Infinity;
  private unreachable = false;
  private readonly timer?: NodeJS.Timeout;

  /** `binding`: false for a strategy that never relays (WebRTC has TURN): no binds, no watch. */
  /** `onSilent`: the relay stopped answering (called once per silence). */
  constructor(private readonly ctx: RoleContext, private readonly send_: RelaySend,
    private readonly onPayload: (payload: Buffer) => void, private readonly onSilent: () => void, private readonly binding: boolean) {
    if (binding) this.timer = setInterval(() => this.tick(), RELAY_PROBE_MS);
  }

  /** The grant of a (new) control session and the intermediate's address it dialled; binds at once,
   *  so the relay latches where packets leave from now. */
  granted(grant: RelayGrant, host: string): void {
    if (this.state?.grant.session !== grant.session) {
      this.state = { grant, key: Buffer.from(grant.key, 'hex'), sent: 0, window: new ReplayWindow() };
    }
    this.host = host;
    this.bind();
  }

  /** A packet from the intermediate's relay port: a payload is handed on (dropped if it fails
   *  authentication or is a replay), an answered bind only counts as heard; false: not one. */
  accept(data: Buffer, from: { address: string; port: number }): boolean {
    const r = this.state;
    if (!r || data[0] !== RELAY_UDP_TAG || from.port !== r.grant.port || !intermediateAddresses(this.ctx).includes(from.address)) return false;
    const h = relayHeader(data);
    const payload = h && h.session === r.grant.session ? openRelay(r.key, data) : null;
    if (!payload || !r.window.accept(h!.counter)) return true;
    this.heard();
    if (payload.length) {
      this.used();
      this.onPayload(Buffer.from(payload));
    } else {
      overhead.keepalive += data.length;   // a bind's answer: upkeep, as the bind
    }
    return true;
  }

  /** Sends a payload to the paired peer; false: no grant yet, or the relay is not answering. */
  send(payload: Uint8Array): boolean {
    if (this.unreachable) return false;
    this.used();
    return this.transmit(payload);
  }

  /** Where packets leave from from now on (null: the default sender); binds at once from there. */
  via(send: RelaySend | null): void {
    this.sendVia = send;
    this.bind();
  }

  bind(): void { if (this.binding) this.transmit(Buffer.alloc(0)); }

  /** False from a silence noticed until the relay answers again. */
  get answering(): boolean { return !this.unreachable; }

  stop(): void { clearInterval(this.timer); }

  private transmit(payload: Uint8Array): boolean {
    const r = this.state;
    if (!r) return false;
    const packet = sealRelay(r.key, r.grant.session, ++r.sent, payload);
    if (!payload.length) {
      overhead.keepalive += packet.length;
      this.boundAt = performance.now();
    }
    (this.sendVia ?? this.send_)(packet, r.grant.port, this.host);
    return true;
  }

  private used(): void {
    const t = performance.now();
    if (t - this.usedAt >= RELAY_IN_USE_MS) this.useBegan = t;
    this.usedAt = t;
  }

  private heard(): void {
    this.heardAt = performance.now();
    if (!this.unreachable) return;
    this.unreachable = false;
    this.ctx.log.logOther('control.reachable', {});
  }

  private tick(): void {
    const t = performance.now();
    const inUse = t - this.usedAt < RELAY_IN_USE_MS;
    if (t - this.boundAt >= RELAY_BIND_MS || (inUse && t - this.heardAt >= RELAY_PROBE_MS)) this.bind();
    const silent = t - Math.max(this.heardAt, this.useBegan);
    if (inUse && !this.unreachable && this.state && silent > RELAY_SILENT_MS) {
      this.unreachable = true;
      this.ctx.log.logOther('control.unreachable', { silentMs: Math.round(t - this.heardAt) });
      this.onSilent();
    }
  }
}
