// A path layer under ONE QUIC connection (think iroh's magicsock): the P2P connection lives on a
// virtual socket and always sees the same peer address, while this layer carries each of its
// packets over the direct (punched) path or through the intermediate's relay. A change of path is
// invisible to QUIC: no new handshake, no migration, no path validation, no stream restart.
//
// Wire format: OVERLAY_TAG · QUIC packet — as a raw UDP packet on the peer's shared socket
// (direct), or as the payload of a relay datagram on the control connection (relay). The tag
// keeps these packets apart from punches, relayed audio and the control connection's own QUIC.
// The packets themselves are the P2P connection's (TLS with pinned certificates): a forged one
// fails QUIC's decryption, so neither path needs a MAC of its own.
import type { QUICClient, QUICConnection, QUICServer } from '@matrixai/quic';
import type { RoleContext } from '../contract.ts';
import type { PathKind } from '../../core/events.ts';
import { overhead } from './overhead.ts';
import { Puncher, within, type PeerSocket } from './peer.ts';
import { type ControlClient } from './control.ts';
import { onRawPacket, VIRTUAL_PEER, virtualSocket, type VirtualSocket } from './quic-sockets.ts';
import { endpointKey, type Endpoint } from './signalling.ts';
import type { CandidatePath, PathPolicy, Selection, SelectionHints } from './path-selector.ts';

export const OVERLAY_TAG = 0x3c;
/** How long one punch attempt lasts before the relay is accepted as the path (retried on the
 *  next change or `peer` message). */
const PUNCH_MS = 5000;
/** The inner connection's packets must fit in one relay datagram on the control connection
 *  (≈ 1306 bytes of room): 1200 is QUIC's minimum and leaves room for the tags. */
const INNER_PAYLOAD = 1200;

/** Something that sends UDP: the peer's shared QUICSocket, or a plain socket bound to one uplink. */
export interface Sender { send(msg: Buffer, port: number, addr: string): unknown }
/** A direct path: where to, and through which socket. */
export interface DirectPath { to: Endpoint; via: Sender }

const sendOn = (d: DirectPath, framed: Buffer) => {
  const r = d.via.send(framed, d.to.port, d.to.addr);
  if (r instanceof Promise) r.catch(() => {});
};

export class PathLayer {
  /** The path the next packet takes (null: the relay). */
  private direct: DirectPath | null = null;
  /** A second path every packet is copied to (make-before-break redundancy); QUIC drops the
   *  copy that arrives second as a duplicate packet. */
  private copy: DirectPath | null = null;
  private puncher: Puncher | null = null;
  private punchTimer?: NodeJS.Timeout;
  private rx = Promise.resolve();
  /** The path the packet being processed came in on; for a direct one, the label its caller gave
   *  (receiveDirect's `on`: the mobile's uplink path in standby and seamless), else null. */
  arrivedVia: PathKind = 'relay';
  arrivedOn: number | null = null;
  private readonly offRaw: () => void;

  private constructor(private readonly ctx: RoleContext, private readonly ps: PeerSocket,
    private readonly control: ControlClient, readonly vs: VirtualSocket,
    private readonly onPath: (path: PathKind) => void) {
    this.offRaw = onRawPacket(ps.socket, (data, from) => this.receiveDirect(data, from));
    control.on('relay', (payload: Buffer) => { if (payload[0] === OVERLAY_TAG) this.receive(payload.subarray(1), 'relay'); });
  }

  static async open(ctx: RoleContext, ps: PeerSocket, control: ControlClient,
    onPath: (path: PathKind) => void = () => {}): Promise<PathLayer> {
    let layer: PathLayer | undefined;
    const vs = await virtualSocket((packet) => layer?.send(packet));
    layer = new PathLayer(ctx, ps, control, vs, onPath);
    return layer;
  }

  get path(): PathKind { return this.direct ? 'direct' : 'relay'; }

  private send(packet: Buffer): void {
    const framed = Buffer.concat([Buffer.of(OVERLAY_TAG), packet]);
    if (this.direct) sendOn(this.direct, framed);
    else void this.control.relay(framed);
    if (this.copy) { sendOn(this.copy, framed); overhead.duplicate += framed.length; }
  }

  /** A UDP packet that arrived straight from the peer (on the shared socket, or on another socket
   *  the strategy owns, `on` naming it): overlay packets go to the connection, anything else is ignored. */
  receiveDirect(data: Buffer, from: { address: string; port: number }, on: number | null = null): void {
    if (data[0] !== OVERLAY_TAG) return;
    // The other side sends direct: it heard our punch, so the path works both ways (and if we
    // had not heard its punch yet, its packets are as good a proof).
    if (this.puncher) {
      if (!this.direct) this.useDirect({ addr: from.address, port: from.port });
      else this.stopPunching();
    }
    this.receive(data.subarray(1), 'direct', on);
  }

  /** Once the connection is up (connect, serve), packets are processed one at a time so that
   *  `arrivedVia` is the path of the packet whose datagrams are being delivered. Not before: js-quic
   *  completes a server handshake inside the handler of its first packet, which awaits the later ones. */
  private connected = false;

  private receive(packet: Buffer, via: PathKind, on: number | null = null): void {
    const arrived = () => { this.arrivedVia = via; this.arrivedOn = on; };
    if (!this.connected) { arrived(); void this.vs.inject(packet).catch(() => {}); return; }
    this.rx = this.rx.then(() => { arrived(); return this.vs.inject(packet); }).catch(() => {});
  }

  private useDirect(to: Endpoint): void {
    this.ctx.log.log('punch.ok', { remote: endpointKey(to) });
    this.setDirect({ to, via: this.ps.socket });
  }

  /** Sends direct on `d` from now on (null: through the relay). */
  setDirect(d: DirectPath | null): void {
    const was = this.path;
    this.direct = d;
    if (this.path !== was) this.onPath(this.path);
  }

  /** Copies every packet onto `d` too (null: no copies). */
  setCopy(d: DirectPath | null): void { this.copy = d; }

  /** The selection in force through reselect (initially: the relay, no copy). */
  private selected: Selection = { primary: null, copy: null };

  /** Applies a path policy to the current candidates: the one place a strategy's choice of paths
   *  becomes the layer's. `primaryChanged`: the caller tells its peer. */
  reselect(selector: PathPolicy, candidates: readonly (CandidatePath & { direct: DirectPath | null })[],
    hints: SelectionHints = {}): Selection & { primaryChanged: boolean } {
    const s = selector.select(candidates, hints);
    const direct = (id: number | null) => (id === null ? null : candidates.find((c) => c.id === id)?.direct ?? null);
    const primaryChanged = s.primary !== this.selected.primary;
    if (primaryChanged) this.setDirect(direct(s.primary));
    this.setCopy(direct(s.copy));
    this.selected = s;
    return { ...s, primaryChanged };
  }

  /** The direct path is gone (or suspect): everything goes through the relay from now on. */
  useRelay(): void { this.setDirect(null); }

  /** Punches toward the peer's candidates; the first punch heard from it (or its first direct
   *  packet) makes the direct path current. Keeps punching until the peer's direct packets
   *  arrive, so its side of the hole is open too, or for PUNCH_MS at most. */
  punch(targets: Endpoint[]): void {
    this.stopPunching();
    this.ctx.log.log('punch.start', { remote: targets.map(endpointKey).join(' ') });
    const p = new Puncher(this.ps, this.ctx.pairings[0]!.id, targets);
    this.puncher = p;
    void p.heard.then((from) => { if (this.puncher === p && !this.direct) this.useDirect(from); });
    this.punchTimer = setTimeout(() => {
      if (this.puncher !== p) return;
      if (!this.direct) this.ctx.log.logOther('punch.failed', { after: PUNCH_MS });
      this.stopPunching();
    }, PUNCH_MS);
  }

  private stopPunching(): void {
    clearTimeout(this.punchTimer);
    this.puncher?.stop();
    this.puncher = null;
  }

  /** The connection's config: packets small enough for a relay datagram. */
  // A long idle timeout: the layer, not QUIC, notices a dead path (netlink, liveness) and moves the
  // connection; QUIC's timeout only ends it when every path, the relay included, stays silent —
  // e.g. the intermediate restarting (peers need the 5 s control idle timeout to notice that).
  static readonly innerConfig = { maxSendUdpPayloadSize: INNER_PAYLOAD, maxRecvUdpPayloadSize: INNER_PAYLOAD, maxIdleTimeout: 15000 };
  /** For a strategy whose own probes keep its paths warm and watched (seamless): no QUIC PINGs, whose
   *  1 s keepalive would only repeat them (the audio and its ACKs keep the connection from idling). */
  static readonly noQuicPings = { keepAliveIntervalTime: undefined };

  /** The mobile's one P2P connection, dialled over the layer (relay until a punch succeeds). */
  dial(timeoutMs: number, config = {}): Promise<QUICClient> {
    return this.ps.dial({ addr: VIRTUAL_PEER.host, port: VIRTUAL_PEER.port }, timeoutMs, { ...PathLayer.innerConfig, ...config }, this.vs.socket);
  }

  /** The mobile's one connection: dialled (over whatever path the layer has) until it is made or
   *  the role stops; resolves with it, or null if stopped. Concurrent calls share one attempt. */
  connect(ctx: RoleContext, name: string, config = {}): Promise<QUICConnection | null> {
    this.connecting ??= (async () => {
      while (!ctx.signal.aborted) {
        ctx.log.log('handshake.start', { remote: name, with: 'peer' });
        try {
          const client = await within(this.dial(5000, config), 6000, `${name} handshake`);
          this.connected = true;
          ctx.log.log('handshake.ok', { remote: name, with: 'peer' });
          return client.connection;
        } catch (e) {
          ctx.log.logOther('handshake.failed', { message: (e as Error).message });
        }
      }
      return null;
    })();
    return this.connecting;
  }
  private connecting: Promise<QUICConnection | null> | null = null;

  /** The answerer's server for the P2P connection (the layer is connected from its first one). */
  serve(onConnection: (conn: QUICConnection) => void, config = {}): Promise<QUICServer> {
    return this.ps.serve((conn) => { this.connected = true; onConnection(conn); }, { ...PathLayer.innerConfig, ...config }, this.vs.socket);
  }

  async close(): Promise<void> {
    this.stopPunching();
    this.offRaw();
    await this.vs.stop();
  }
}
