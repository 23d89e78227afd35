// The relay data path's packets (strategies/shared/relay.ts): sealed packets open only under their
// key and unchanged; the replay window takes each counter once; random bytes never open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openRelay, relayHeader, ReplayWindow, RELAY_OVERHEAD, sealRelay } from '../../strategies/shared/relay.ts';

const key = Buffer.alloc(16, 7);

test('a sealed packet opens under its key with its header; a flipped bit or another key does not', () => {
  const b = sealRelay(key, 0xdeadbeef, 42, Buffer.from('audio frame'));
  assert.equal(b.length, RELAY_OVERHEAD + 11);
  assert.deepEqual(relayHeader(b), { session: 0xdeadbeef, counter: 42 });
  assert.equal(openRelay(key, b)?.toString(), 'audio frame');
  assert.equal(openRelay(Buffer.alloc(16, 8), b), null);
  for (let i = 1; i < b.length; i++) {
    const c = Buffer.from(b);
    c[i]! ^= 0x10;
    assert.equal(openRelay(key, c), null, `bit flip at byte ${i} accepted`);
  }
  assert.equal(openRelay(key, sealRelay(key, 1, 1, Buffer.alloc(0)))?.length, 0, 'a bind has an empty payload');
  assert.equal(relayHeader(b.subarray(0, RELAY_OVERHEAD - 1)), null);
});

test('the replay window accepts each counter once, out of order within 32, never older', () => {
  const w = new ReplayWindow();
  for (const [c, ok] of [[5, true], [5, false], [3, true], [3, false], [40, true], [9, true], [8, false], [38, true], [38, false], [39, true], [41, true], [10, true], [9, false]] as const) {
    assert.equal(w.accept(c), ok, `counter ${c}`);
  }
  assert.equal(w.highest, 41);
  const v = new ReplayWindow();
  assert.equal(v.accept(0), true);
  assert.equal(v.accept(31), true);
  assert.equal(v.accept(0), false, '31 behind, already seen');
  assert.equal(v.accept(100), true);
  assert.equal(v.accept(68), false, '32 behind: outside the window');
  assert.equal(v.accept(69), true, '31 behind, never seen');
  assert.equal(v.accept(69), false);
});

test('fuzz: random packets never open, whatever their header says', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
    const b = Buffer.from(bytes);
    if (b.length) b[0] = 0x3e;
    assert.equal(relayHeader(b) ? openRelay(key, b) : null, null);
  }), { seed: 20261125, numRuns: 5000 });
});
