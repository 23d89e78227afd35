// A peer role's life, the same in every strategy: its one socket and its control connection to the
// intermediate are opened first, the role reports ready and holds until the harness stops it, and
// then closes so that nothing new is sent while it closes (docs/strategies.md, "Writing a strategy").
import type { RoleContext } from '../contract.ts';
import { ControlClient, type ControlOptions } from './control.ts';
import { aborted, PeerSocket } from './peer.ts';
import type { PeerRole } from './signalling.ts';
import { familyOf } from './family.ts';

export interface Peer { ps: PeerSocket; control: ControlClient }

/** Opens the peer's shared socket and connects it to the intermediate. `beforeControl` runs in
 *  between, for what must listen on the socket before the other peer can learn its address (a P2P
 *  server: the intermediate tells the other peer about this one as soon as it connects). */
export async function openPeer(ctx: RoleContext, role: PeerRole, opts?: ControlOptions,
  beforeControl?: (ps: PeerSocket) => Promise<void>): Promise<Peer> {
  const ps = new PeerSocket();
  await ps.start(familyOf(ctx) === 'dual' ? '::' : undefined);
  await beforeControl?.(ps);
  return { ps, control: await ControlClient.connect(ctx, ps, role, opts) };
}

type Stoppable = { stop(): unknown } | (() => unknown) | null | undefined;

/** What a strategy tears down itself, in the order it goes. */
export interface Teardown {
  /** Senders, watchers, timers: stopped first, so nothing new goes out. */
  stop?: Stoppable[];
  /** The received audio, written once nothing more can arrive for it. */
  audio?: { finish(): Promise<void> } | null;
  /** What the strategy opened on the peer (P2P connections, servers, sessions), closed before the
   *  control connection and the socket they may share. */
  close?: () => unknown;
}

/** Reports ready, holds until the harness stops the role, then tears down: `teardown`, the control
 *  connection, the socket. */
export async function holdPeer(ctx: RoleContext, peer: Peer, teardown: Teardown = {}): Promise<void> {
  ctx.report('ready');
  await aborted(ctx.signal);
  for (const s of teardown.stop ?? []) {
    if (typeof s === 'function') s(); else s?.stop();
  }
  await teardown.audio?.finish();
  await bounded(ctx, 'close', () => teardown.close?.());
  await bounded(ctx, 'control', () => peer.control.close());
  await bounded(ctx, 'socket', () => peer.ps.stop());
}

/** The harness gives a stopping role 8 s in all before it kills it (harness/run/roles.ts): a step
 *  that hangs — a QUIC close waits up to three PTOs for its peer, far longer over a lossy path —
 *  gets this long, and the rest still run. The received audio is written before any of them. */
export const TEARDOWN_STEP_MS = 2000;

async function bounded(ctx: RoleContext, step: string, work: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), TEARDOWN_STEP_MS); });
  try {
    if (await Promise.race([Promise.resolve().then(work), late]) === 'late') {
      ctx.log.log('teardown.slow', { step, ms: TEARDOWN_STEP_MS });
    }
  } finally {
    clearTimeout(timer);
  }
}
