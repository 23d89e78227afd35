// libopus through native/opus.c (core/opus.ts): the codec the bench's frames carry, its concealment
// and its in-band FEC, on the bench's own sample (docs/audio.md "Opus").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OpusDecoder, OpusEncoder, opusVersion } from '../../core/opus.ts';
import { carriesFec } from '../../core/receiver.ts';
import { readWav } from '../../core/wav.ts';
import { REPO } from '../../harness/paths.ts';

const RATE = 16000, SAMPLES = 320, FRAME_BYTES = 640;
const { pcm } = readWav(readFileSync(path.join(REPO, 'static/sample.wav')));
const frame = (k: number) => pcm.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES);
/** The bench's default settings (core/codec.ts DEFAULT_CODEC). */
const encodeAll = (n: number, fec = true) => {
  const enc = new OpusEncoder({ sampleRate: RATE, bitrate: 24000, fec, lossPct: 10 });
  return Array.from({ length: n }, (_, k) => enc.encode(frame(k)));
};
const samples = (b: Buffer) => Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(2 * i));
const rms = (b: Buffer) => Math.sqrt(samples(b).reduce((s, x) => s + x * x, 0) / (b.length / 2));
const distance = (a: Buffer, b: Buffer) => { const x = samples(a), y = samples(b); return Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / x.length); };
/** libopus' look-ahead at 16 kHz (6.5 ms, OPUS_GET_LOOKAHEAD): the decoded stream lags by it. */
const LOOKAHEAD = 104;
/** The loudest frame of the sample's sixth second: inside the word "six". */
const MID_WORD = 258;

test('it is Debian\'s libopus', () => {
  assert.match(opusVersion(), /^libopus 1\.3/);
});

test('an encode → decode round trip of the sample keeps it: correlation ≥ 0.9 after the look-ahead', () => {
  const packets = encodeAll(500);
  assert.ok(packets.every((p) => p.length > 0 && p.length < 120), 'one small packet per 20 ms frame at 24 kbit/s');
  const dec = new OpusDecoder(RATE, 20);
  const out = samples(Buffer.concat(packets.map((p) => dec.decode(p))));
  const x = samples(pcm.subarray(0, 500 * FRAME_BYTES));
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 10 * SAMPLES; i < x.length - LOOKAHEAD; i++) { sxy += x[i]! * out[i + LOOKAHEAD]!; sxx += x[i]! ** 2; syy += out[i + LOOKAHEAD]! ** 2; }
  const corr = sxy / Math.sqrt(sxx * syy);
  console.log(`round trip at 24 kbit/s: correlation ${corr.toFixed(3)} after ${LOOKAHEAD} samples`);
  assert.ok(corr >= 0.9, `correlation ${corr.toFixed(3)} (0.953 measured with libopus 1.3.1)`);
});

test('a frame lost in the middle of a word: PLC fills it (not silence), FEC from the next packet comes closer', () => {
  const packets = encodeAll(MID_WORD + 2);
  const decoders = [0, 1, 2].map(() => new OpusDecoder(RATE, 20));
  for (let k = 0; k < MID_WORD; k++) for (const d of decoders) d.decode(packets[k]!);
  const [received, concealed, recovered] = [decoders[0]!.decode(packets[MID_WORD]!), decoders[1]!.conceal(), decoders[2]!.recover(packets[MID_WORD + 1]!)];
  for (const b of [received, concealed, recovered]) assert.equal(b.length, FRAME_BYTES, 'exactly one 20 ms frame');
  console.log(`frame ${MID_WORD} lost: RMS received ${rms(received).toFixed(0)}, PLC ${rms(concealed).toFixed(0)}; error from received: PLC ${distance(concealed, received).toFixed(0)}, FEC ${distance(recovered, received).toFixed(0)}`);
  assert.ok(rms(concealed) > 0.1 * rms(received), `PLC rms ${rms(concealed).toFixed(0)} vs ${rms(received).toFixed(0)} received`);
  assert.ok(distance(recovered, received) < 0.5 * distance(concealed, received),
    `FEC ${distance(recovered, received).toFixed(0)} vs PLC ${distance(concealed, received).toFixed(0)} from the frame as received`);
  assert.ok(carriesFec(packets[MID_WORD + 1]!, RATE), 'a packet inside a word carries LBRR');
});

test('carriesFec says whether FEC would differ from PLC: never without FEC, for some packets with it', () => {
  assert.ok(!encodeAll(100, false).some((p) => carriesFec(p, RATE)), 'no LBRR when FEC is off');
  const packets = encodeAll(300);
  let agree = 0, has = 0;
  for (let k = 20; k < 300; k += 7) {
    const [a, b] = [new OpusDecoder(RATE, 20), new OpusDecoder(RATE, 20)];
    for (let j = 0; j < k - 1; j++) { a.decode(packets[j]!); b.decode(packets[j]!); }
    const real = !a.recover(packets[k]!).equals(b.conceal());
    if (real === carriesFec(packets[k]!, RATE)) agree++;
    if (real) has++;
  }
  console.log(`carriesFec agreed with FEC-vs-PLC output on ${agree} of ${Math.ceil(280 / 7)} packets; ${has} carried LBRR`);
  assert.equal(agree, Math.ceil(280 / 7));
  assert.ok(has > 5, `LBRR in ${has} of 40 packets`);
});

test('carriesFec answers each packet as a fresh decoder would, packets with and without LBRR interleaved', () => {
  // one decoder is reused, reset before each packet (core/receiver.ts): a state left over from a
  // packet with LBRR would make the next check conceal from it, non-silent, and answer yes
  const withFec = encodeAll(60), without = encodeAll(60, false);
  const fresh = (p: Buffer) => new OpusDecoder(RATE, 20).recover(p).some((b) => b !== 0);
  for (let k = 20; k < 60; k++) {
    for (const p of [withFec[k]!, without[k]!]) assert.equal(carriesFec(p, RATE), fresh(p), `packet ${k}`);
  }
  assert.ok(withFec.slice(20).some((p) => carriesFec(p, RATE)), 'some packets carry LBRR');
});
