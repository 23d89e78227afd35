import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkProof, encode, helloProof, MAX_PAYLOAD, MessageReader, ProtocolError, type Message } from '../../strategies/shared/signalling.ts';
import fc from 'fast-check';

const msgs: Message[] = [
  { type: 'open' },
  { type: 'challenge', nonce: 'abc' },
  { type: 'hello', pairing: 'p', role: 'mobile', proof: 'ff', host: [{ addr: '10.2.0.2', port: 5000 }] },
  { type: 'welcome', self: { addr: '198.18.1.2', port: 4000 }, relay: { port: 4435, session: 4294967295, key: '00112233445566778899aabbccddeeff' } },
  { type: 'peer', role: 'answerer', reflexive: { addr: '198.18.1.2', port: 4000 }, host: [], changed: true },
  { type: 'address-change', reason: 'netlink' },
  { type: 'address-change', reason: 'netlink', host: [{ addr: '2001:2:0:201::2', port: 5000 }] },
  { type: 'signal', kind: 'offer', body: { sdp: 'v=0' } },
];

test('messages round-trip, also when the stream splits them at every byte', () => {
  const bytes = Buffer.concat(msgs.map(encode));
  assert.deepEqual(new MessageReader().push(bytes), msgs);
  const r = new MessageReader();
  const out: Message[] = [];
  for (const b of bytes) out.push(...r.push(Buffer.from([b])));
  assert.deepEqual(out, msgs);
});

test('malformed input is a ProtocolError naming the problem', () => {
  const frame = (type: number, payload: string) => {
    const p = Buffer.from(payload);
    const h = Buffer.alloc(3); h[0] = type; h.writeUInt16BE(p.length, 1);
    return Buffer.concat([h, p]);
  };
  const cases: [Buffer, RegExp][] = [
    [frame(99, '{}'), /unknown message type 99/],
    [frame(2, 'not json'), /challenge: payload is not JSON/],
    [frame(2, '{"nonce": 5}'), /challenge: invalid fields/],
    [frame(3, '{"pairing":"p","role":"boss","proof":"x","host":[]}'), /hello: invalid fields/],
    [frame(4, '[]'), /welcome: invalid fields/],
    [frame(4, '{"self":{"addr":"1.2.3.4","port":5},"relay":{"port":5,"session":-1,"key":"00112233445566778899aabbccddeeff"}}'), /welcome: invalid fields/],
    [frame(4, '{"self":{"addr":"1.2.3.4","port":5},"relay":{"port":5,"session":1,"key":"short"}}'), /welcome: invalid fields/],
    [frame(6, '{"reason":"x","host":[{"addr":"2001:2::2","port":0}]}'), /address-change: invalid fields/],
    [frame(6, '{"reason":"x","host":"2001:2::2"}'), /address-change: invalid fields/],
    [Buffer.from([2, 0xff, 0xff]), new RegExp(`exceeds ${MAX_PAYLOAD}`)],
  ];
  for (const [bytes, re] of cases) assert.throws(() => new MessageReader().push(bytes), (e: Error) => e instanceof ProtocolError && re.test(e.message));
  assert.throws(() => encode({ type: 'signal', kind: 'big', body: 'x'.repeat(MAX_PAYLOAD) }), ProtocolError);
});

test('hello proofs bind secret, pairing, role and the one-time nonce', () => {
  const proof = helloProof('s3cret', 'pair-1', 'mobile', 'n1');
  assert.equal(checkProof('s3cret', 'pair-1', 'mobile', 'n1', proof), true);
  assert.equal(checkProof('wrong', 'pair-1', 'mobile', 'n1', proof), false);
  assert.equal(checkProof('s3cret', 'pair-1', 'answerer', 'n1', proof), false);
  assert.equal(checkProof('s3cret', 'pair-1', 'mobile', 'n2', proof), false, 'a replayed hello must fail on a new nonce');
  assert.equal(checkProof('s3cret', 'pair-1', 'mobile', 'n1', 'zz'), false);
});

// Fuzzing with a fixed budget (fast-check, seeded so a failure reproduces): whatever arrives on a
// control stream, the decoder returns valid messages or throws a ProtocolError, nothing else.
const FUZZ = { seed: 20261125, numRuns: 2000 };

test('fuzz: random bytes, in random chunks, only ever give valid messages or a ProtocolError', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
    const reader = new MessageReader();
    try {
      for (const c of chunks) for (const m of reader.push(c)) assert.ok(typeof m.type === 'string');
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }), FUZZ);
});

test('fuzz: well-framed random JSON never crashes the validator, and what passes re-encodes', () => {
  const frame = fc.record({ type: fc.integer({ min: 0, max: 12 }), body: fc.jsonValue({ maxDepth: 3 }) });
  fc.assert(fc.property(fc.array(frame, { maxLength: 5 }), (frames) => {
    const bytes = Buffer.concat(frames.map((f) => {
      const body = Buffer.from(JSON.stringify(f.body) ?? 'null');
      const head = Buffer.alloc(3);
      head[0] = f.type;
      head.writeUInt16BE(Math.min(body.length, 0xffff), 1);
      return Buffer.concat([head, body]);
    }));
    try {
      for (const m of new MessageReader().push(bytes)) {
        assert.deepEqual(new MessageReader().push(encode(m)), [m], 'a message that passes must survive a round trip');
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }), FUZZ);
});

test('fuzz: a valid stream split anywhere decodes to the same messages', () => {
  const msgs: Message[] = [{ type: 'open' }, { type: 'address-change', reason: 'netlink' }, { type: 'signal', kind: 'sdp', body: { gen: 1, sdp: 'v=0' } }];
  const stream = Buffer.concat(msgs.map(encode));
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 6 }), (cuts) => {
    const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), stream.length];
    const reader = new MessageReader();
    const got = points.slice(1).flatMap((end, i) => reader.push(stream.subarray(points[i]!, end)));
    assert.deepEqual(got, msgs);
  }), FUZZ);
});
