import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkProof, encode, helloProof, MAX_PAYLOAD, MessageReader, ProtocolError, type Message } from '../../strategies/shared/signalling.ts';

const msgs: Message[] = [
  { type: 'open' },
  { type: 'challenge', nonce: 'abc' },
  { type: 'hello', pairing: 'p', role: 'mobile', proof: 'ff', host: [{ addr: '10.2.0.2', port: 5000 }] },
  { type: 'peer', role: 'answerer', reflexive: { addr: '198.18.1.2', port: 4000 }, host: [], changed: true },
  { type: 'address-change', reason: 'netlink' },
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
