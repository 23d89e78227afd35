import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoleContext } from '../../strategies/contract.ts';
import { holdPeer, TEARDOWN_STEP_MS, type Peer } from '../../strategies/shared/peer-role.ts';

test('holdPeer: a teardown step that hangs is given up after TEARDOWN_STEP_MS, logged, and the later steps still run', async () => {
  const logged: { type: string; fields: unknown }[] = [];
  const order: string[] = [];
  const ctrl = new AbortController();
  const ctx = {
    signal: ctrl.signal, report: () => {}, log: { log: (type: string, fields: unknown) => logged.push({ type, fields }) },
  } as unknown as RoleContext;
  const peer = {
    control: { close: async () => { order.push('control'); } },
    ps: { stop: async () => { order.push('socket'); } },
  } as unknown as Peer;
  const t0 = performance.now();
  const holding = holdPeer(ctx, peer, {
    audio: { finish: async () => { order.push('audio'); } },
    close: () => new Promise(() => { order.push('close'); }),   // a QUIC close that never drains
  });
  ctrl.abort();
  await holding;
  const took = performance.now() - t0;
  assert.deepEqual(order, ['audio', 'close', 'control', 'socket']);
  assert.deepEqual(logged, [{ type: 'teardown.slow', fields: { step: 'close', ms: TEARDOWN_STEP_MS } }]);
  assert.ok(took >= TEARDOWN_STEP_MS - 5 && took < 2 * TEARDOWN_STEP_MS, `took ${took} ms`);
});
