// The standby strategy's path probes: round trip, and nothing a stranger sends is taken for one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeProbe, encodeProbe, PROBE_LEN } from '../../strategies/standby/probe.ts';

const T = 1.8e12;

test('probes round-trip; a wrong secret, a flipped bit or a stale ping is refused', () => {
  const p = { kind: 'switch' as const, path: 1, seq: 4242, sentAt: T };
  const b = encodeProbe('s3cret', p);
  assert.equal(b.length, PROBE_LEN);
  assert.deepEqual(decodeProbe('s3cret', b, T + 5), p);
  assert.equal(decodeProbe('other', b, T + 5), null);
  for (let i = 1; i < PROBE_LEN; i++) {
    const c = Buffer.from(b);
    c[i]! ^= 1;
    assert.equal(decodeProbe('s3cret', c, T + 5), null, `bit flip at byte ${i} accepted`);
  }
  assert.equal(decodeProbe('s3cret', encodeProbe('s3cret', { ...p, kind: 'ping' }), T + 6000), null, 'a replayed ping');
});

test('a ping may carry the mobile\'s upkeep (seamless): 4 bytes more, authenticated like the rest', () => {
  const p = { kind: 'ping' as const, path: 0, seq: 7, sentAt: T, upkeep: 123_456 };
  const b = encodeProbe('s3cret', p);
  assert.equal(b.length, PROBE_LEN + 4);
  assert.deepEqual(decodeProbe('s3cret', b, T + 5), p);
  for (let i = 1; i < b.length; i++) {
    const c = Buffer.from(b);
    c[i]! ^= 1;
    assert.equal(decodeProbe('s3cret', c, T + 5), null, `bit flip at byte ${i} accepted`);
  }
  assert.equal(decodeProbe('s3cret', b.subarray(0, PROBE_LEN), T + 5), null, 'cut to the short form');
});

test('fuzz: random packets are never probes', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
    assert.equal(decodeProbe('s3cret', Buffer.from(bytes), T), null);
  }), { seed: 20261125, numRuns: 5000 });
});
