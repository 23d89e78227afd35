import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioSender, AudioSource, FRAME_HEADER_BYTES, FRAME_MAGIC, decodeFrame, encodeFrame } from '../../strategies/shared/audio.ts';
import { AudioSink, DUPLICATE_WINDOW_FRAMES } from '../../strategies/shared/audio-sink.ts';
import type { AudioFrame } from '../../strategies/shared/audio.ts';
import { readWav, writeWav, type WavInfo } from '../../core/wav.ts';
import { now } from '../../core/events.ts';
import { prng } from './synthetic.ts';
import { FRAME_MS } from '../../core/playout.ts';
import { frameEncoder } from '../../core/codec.ts';

const INFO: WavInfo = { sampleRate: 16000, channels: 1, bitsPerSample: 16 };
const FB = 640; // frame bytes at 16 kHz


/** PCM whose bytes are all distinct-ish and non-zero, so silence is never mistaken for audio. */
function pattern(bytes: number, salt = 0): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = ((i * 7 + salt * 31) % 255) + 1;
  return b;
}

// --- WAV ------------------------------------------------------------------------------------

test('writeWav/readWav round trip with a canonical 44-byte header', () => {
  const pcm = pattern(3 * FB + 2);
  const wav = writeWav(INFO, pcm);
  assert.equal(wav.length, 44 + pcm.length);
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(4), wav.length - 8);
  const back = readWav(wav);
  assert.deepEqual(back.info, INFO);
  assert.deepEqual(back.pcm, pcm);
  assert.throws(() => writeWav(INFO, Buffer.alloc(3)), /not whole 16-bit samples/);
});

/** Builds a WAV from chunks, for the parser's edge cases. */
function riff(chunks: Array<[string, Buffer]>, form = 'WAVE'): Buffer {
  const parts: Buffer[] = [];
  for (const [id, body] of chunks) {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    parts.push(h, body, Buffer.alloc(body.length & 1));
  }
  const inner = Buffer.concat([Buffer.from(form, 'latin1'), ...parts]);
  const h = Buffer.alloc(8);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(inner.length, 4);
  return Buffer.concat([h, inner]);
}

function fmt(o: { format?: number; channels?: number; rate?: number; bits?: number } = {}): Buffer {
  const channels = o.channels ?? 1, rate = o.rate ?? 16000, bits = o.bits ?? 16;
  const b = Buffer.alloc(16);
  b.writeUInt16LE(o.format ?? 1, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

test('readWav skips unknown chunks (odd-sized ones are padded) before and after fmt', () => {
  const pcm = pattern(100);
  const wav = riff([['LIST', Buffer.from('odd')], ['fmt ', fmt()], ['fact', Buffer.alloc(4)], ['data', pcm]]);
  assert.deepEqual(readWav(wav), { info: INFO, pcm });
});

test('readWav names what is wrong', () => {
  const good = writeWav(INFO, pattern(FB));
  assert.throws(() => readWav(Buffer.from('hello')), /WAV: file too short for a RIFF header \(5 bytes\)/);
  assert.throws(() => readWav(Buffer.concat([Buffer.from('OggS'), good.subarray(4)])), /WAV: not a RIFF file \(starts with "OggS"\)/);
  assert.throws(() => readWav(riff([['fmt ', fmt()]], 'AVI ')), /RIFF form type is "AVI ", not "WAVE"/);
  assert.throws(() => readWav(riff([['fmt ', fmt({ format: 3, bits: 32 })], ['data', Buffer.alloc(8)]])), /not PCM: format tag 3, need 1/);
  assert.throws(() => readWav(riff([['fmt ', fmt({ format: 0xfffe })], ['data', Buffer.alloc(8)]])), /WAVE_FORMAT_EXTENSIBLE/);
  assert.throws(() => readWav(riff([['fmt ', fmt({ channels: 2 })], ['data', Buffer.alloc(8)]])), /expected mono, got 2 channels/);
  assert.throws(() => readWav(riff([['fmt ', fmt({ bits: 8 })], ['data', Buffer.alloc(8)]])), /expected 16 bits per sample, got 8/);
  assert.throws(() => readWav(good.subarray(0, 44 + 100)), /truncated data chunk: header says 640 bytes, only 100 present/);
  assert.throws(() => readWav(riff([['fmt ', fmt()], ['data', Buffer.alloc(7)]])), /data chunk is 7 bytes, not a whole number of 16-bit samples/);
  assert.throws(() => readWav(riff([['data', Buffer.alloc(8)], ['fmt ', fmt()]])), /data chunk before fmt chunk/);
  assert.throws(() => readWav(riff([['fmt ', fmt()]])), /no data chunk/);
  assert.throws(() => readWav(riff([['LIST', Buffer.alloc(4)]])), /no fmt chunk/);
  assert.throws(() => readWav(riff([['fmt ', Buffer.alloc(14)], ['data', Buffer.alloc(8)]])), /fmt chunk is 14 bytes, needs at least 16/);
});

// --- AudioSource ------------------------------------------------------------------------------

test('AudioSource: 640-byte frames at 16 kHz, wrapping seamlessly around a file of 1.5625 frames', () => {
  const pcm = pattern(1000); // not a multiple of 640
  const src = new AudioSource(INFO, pcm);
  assert.equal(src.frameBytes, FB);
  assert.deepEqual(src.frame(0), pcm.subarray(0, 640));
  assert.deepEqual(src.frame(1), Buffer.concat([pcm.subarray(640, 1000), pcm.subarray(0, 280)]));
  for (const n of [2, 3, 7, 25, 1000, 0xffffffff]) {
    const f = src.frame(n);
    assert.equal(f.length, FB);
    for (let i = 0; i < FB; i++) assert.equal(f[i], pcm[(n * FB + i) % 1000], `frame ${n} byte ${i}`);
  }
  // A file shorter than one frame repeats inside the frame.
  const short = pattern(100);
  const tiny = new AudioSource(INFO, short).frame(3);
  for (let i = 0; i < FB; i++) assert.equal(tiny[i], short[(3 * FB + i) % 100], `tiny frame byte ${i}`);
  assert.throws(() => src.frame(-1), /bad frame seq/);
  assert.throws(() => src.frame(1.5), /bad frame seq/);
});

test('AudioSource: other rates, bad rates and bad files', () => {
  assert.equal(new AudioSource({ ...INFO, sampleRate: 48000 }, pattern(10)).frameBytes, 1920);
  assert.equal(new AudioSource({ ...INFO, sampleRate: 44100 }, pattern(10)).frameBytes, 1764);
  assert.throws(() => new AudioSource({ ...INFO, sampleRate: 11025 }, pattern(10)), /11025 Hz does not give whole-sample 20 ms frames/);
  assert.throws(() => new AudioSource(INFO, Buffer.alloc(0)), /non-empty/);
  const dir = mkdtempSync(join(tmpdir(), 'audio-test-'));
  try {
    const good = join(dir, 'good.wav');
    writeFileSync(good, writeWav(INFO, pattern(FB * 2)));
    assert.deepEqual(AudioSource.fromFile(good).frame(1), pattern(FB * 2).subarray(FB));
    const bad = join(dir, 'bad.wav');
    writeFileSync(bad, 'not a wav file at all');
    assert.throws(() => AudioSource.fromFile(bad), (e: Error) => e.message === `${bad}: WAV: not a RIFF file (starts with "not ")`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- wire format -----------------------------------------------------------------------------

test('encodeFrame/decodeFrame round trip and exact byte layout', () => {
  const f: AudioFrame = { seq: 0x01020304, sentAt: 1732500000123.456, flags: 0x5a, codec: 'pcm', payload: pattern(FB) };
  const b = encodeFrame(f);
  assert.equal(FRAME_HEADER_BYTES, 14);
  assert.equal(b.length, FRAME_HEADER_BYTES + FB);
  assert.equal(b[0], FRAME_MAGIC.pcm);
  assert.equal(b[1], 0x5a);
  assert.deepEqual([...b.subarray(2, 6)], [1, 2, 3, 4]);
  assert.equal(b.readDoubleBE(6), f.sentAt);
  assert.deepEqual(b.subarray(14), f.payload);
  assert.deepEqual(decodeFrame(b), f);
  for (const seq of [0, 0xffffffff]) assert.equal(decodeFrame(encodeFrame({ ...f, seq }))?.seq, seq);
  // The decoded PCM is a copy: reusing the receive buffer does not change it.
  const d = decodeFrame(b)!;
  b.fill(0);
  assert.deepEqual(d.payload, f.payload);

  assert.throws(() => encodeFrame({ ...f, seq: -1 }), /bad seq/);
  assert.throws(() => encodeFrame({ ...f, seq: 2 ** 32 }), /bad seq/);
  assert.throws(() => encodeFrame({ ...f, flags: 256 }), /bad flags/);
  assert.throws(() => encodeFrame({ ...f, sentAt: NaN }), /bad sentAt/);
  assert.throws(() => encodeFrame({ ...f, payload: Buffer.alloc(3) }), /bad pcm payload length/);
  assert.throws(() => encodeFrame({ ...f, codec: 'opus', payload: Buffer.alloc(1276) }), /bad opus payload length/);
  const opus = { ...f, codec: 'opus' as const, payload: Buffer.from([0x48, 1, 2]) };
  assert.equal(encodeFrame(opus)[0], FRAME_MAGIC.opus);
  assert.deepEqual(decodeFrame(encodeFrame(opus)), opus, 'an Opus packet of any length (odd too) round-trips');
});

test('decodeFrame returns null for truncated, wrong-magic, odd and non-finite frames', () => {
  const b = encodeFrame({ seq: 7, sentAt: 1000, flags: 0, codec: 'pcm', payload: pattern(FB) });
  for (let len = 0; len < FRAME_HEADER_BYTES + 2; len++) assert.equal(decodeFrame(b.subarray(0, len)), null, `length ${len}`);
  assert.equal(decodeFrame(b.subarray(0, b.length - 1)), null, 'half a sample');
  for (const magic of [0x00, 0xa0, 0xa3, 0xff]) {
    const c = Buffer.from(b);
    c[0] = magic;
    assert.equal(decodeFrame(c), null, `magic ${magic}`);
  }
  for (const v of [NaN, Infinity, -Infinity]) {
    const c = Buffer.from(b);
    c.writeDoubleBE(v, 6);
    assert.equal(decodeFrame(c), null, `sentAt ${v}`);
  }
  assert.equal(decodeFrame(undefined as unknown as Buffer), null);
});

test('decodeFrame never throws on random bytes (seeded) and anything it accepts re-encodes identically', () => {
  const rnd = prng(0xa0d10);
  let accepted = 0;
  for (let i = 0; i < 500; i++) {
    const len = Math.floor(rnd() * 80);
    const buf = Buffer.alloc(len);
    for (let j = 0; j < len; j++) buf[j] = Math.floor(rnd() * 256);
    if (i % 2 === 0 && len > 0) buf[0] = i % 4 === 0 ? FRAME_MAGIC.pcm : FRAME_MAGIC.opus; // half the cases get past the magic check
    const f = decodeFrame(buf);
    if (f) {
      accepted++;
      assert.deepEqual(encodeFrame(f), buf);
    }
  }
  assert.ok(accepted > 10, `some random frames should be well-formed (got ${accepted})`);
});

// --- AudioSink -------------------------------------------------------------------------------

const J = 80;
const T0 = 1_700_000_000_000;
const frameAt = (seq: number, salt = seq): Buffer =>
  encodeFrame({ seq, sentAt: T0 + seq * FRAME_MS, flags: 0, codec: 'pcm', payload: pattern(FB, salt) });

test('AudioSink dedups by seq (first arrival wins) and counts malformed input', () => {
  const seen: Array<[number, number, boolean, string]> = [];
  const sink = new AudioSink({ info: INFO, onFrame: (f, at, dup, via) => seen.push([f.seq, at, dup, via]) });
  assert.equal(sink.jitterBufferMs, 80, 'default J (docs/metrics.md)');
  assert.deepEqual(sink.stats(), { received: 0, duplicates: 0, malformed: 0, firstSeq: null, lastSeq: null });
  assert.equal(sink.toWav().length, 44, 'nothing received: an empty WAV');

  assert.equal(sink.accept(frameAt(5), T0 + 110)?.seq, 5);
  assert.equal(sink.accept(frameAt(5, 99), T0 + 120, 'relay')?.seq, 5, 'a duplicate is still returned');
  assert.equal(sink.accept(frameAt(3), T0 + 130)?.seq, 3, 'out of order');
  assert.equal(sink.accept(Buffer.from('junk')), null);
  assert.equal(sink.accept(encodeFrame({ seq: 4, sentAt: T0, flags: 0, codec: 'pcm', payload: pattern(FB - 2) })), null, 'wrong frame size');
  assert.deepEqual(sink.stats(), { received: 2, duplicates: 1, malformed: 2, firstSeq: 3, lastSeq: 5 });
  assert.deepEqual(seen, [[5, T0 + 110, false, 'direct'], [5, T0 + 120, true, 'relay'], [3, T0 + 130, false, 'direct']]);

  const { pcm } = readWav(sink.toWav());
  assert.deepEqual(pcm.subarray(2 * FB), pattern(FB, 5), 'first copy of seq 5 wins, not the duplicate');
});

test('AudioSink with a spool file renders what it would from memory, keeps no frame in memory, and removes the file once written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'migbench-spool-'));
  try {
    const spool = join(dir, 'received.wav.frames');
    const onDisk = new AudioSink({ info: INFO, jitterBufferMs: J, spool });
    const inMemory = new AudioSink({ info: INFO, jitterBufferMs: J });
    const arrivals: [number, number, number][] = [[10, 5, 10], [12, 90, 12], [11, 30, 11], [11, 40, 99], [14, 3, 14], [13, 200, 13]];
    for (const [seq, late, salt] of arrivals) for (const sink of [onDisk, inMemory]) sink.accept(frameAt(seq, salt), T0 + seq * FRAME_MS + late);
    assert.deepEqual(onDisk.stats(), inMemory.stats());
    assert.equal(onDisk.stats().duplicates, 1);
    assert.ok(readFileSync(spool).length > 5 * FB, 'the first arrivals are in the file');
    assert.deepEqual(onDisk.toWav(), inMemory.toWav());
    const out = join(dir, 'received.wav');
    await onDisk.writeWav(out);
    assert.deepEqual(readFileSync(out), inMemory.toWav());
    assert.equal(existsSync(spool), false, 'the spool is removed once received.wav is written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AudioSink: a copy is a duplicate within DUPLICATE_WINDOW_FRAMES of the newest seq; the seqs remembered for it stay bounded', () => {
  const sink = new AudioSink({ info: INFO });
  const n = 3 * DUPLICATE_WINDOW_FRAMES;
  for (let seq = 0; seq < n; seq++) sink.accept(frameAt(seq), T0 + seq * FRAME_MS);
  sink.accept(frameAt(n - 10, 1), T0 + n * FRAME_MS);   // a copy seconds later
  assert.equal(sink.stats().duplicates, 1);
  assert.ok((sink as unknown as { recent: Set<number> }).recent.size <= 2 * DUPLICATE_WINDOW_FRAMES + 1);
  assert.equal(sink.stats().received, n);
});

test('AudioSink.toWav: frames late by more than J and lost frames are silence at the right offsets', () => {
  const sink = new AudioSink({ info: INFO, jitterBufferMs: J });
  const sent = (seq: number): number => T0 + seq * FRAME_MS;
  sink.accept(frameAt(10), sent(10) + 5);       // on time
  // seq 11 lost
  sink.accept(frameAt(12), sent(12) + J + 0.5); // late: concealed
  sink.accept(frameAt(13), sent(13) + J);       // exactly at the deadline: plays
  sink.accept(frameAt(15), sent(15) + 500);     // late
  sink.accept(frameAt(14), sent(14));           // out of order but on time; the base delay D0 is 0
  sink.accept(frameAt(16), sent(16) + 79);      // on time
  assert.deepEqual(sink.stats(), { received: 6, duplicates: 0, malformed: 0, firstSeq: 10, lastSeq: 16 });

  const wav = sink.toWav();
  const { info, pcm } = readWav(wav);
  assert.deepEqual(info, INFO);
  assert.equal(pcm.length, (16 - 10 + 1) * FB);
  assert.equal(wav.length, 44 + 7 * FB);
  const silence = Buffer.alloc(FB);
  const expected: Record<number, Buffer> = {
    10: pattern(FB, 10), 11: silence, 12: silence, 13: pattern(FB, 13), 14: pattern(FB, 14), 15: silence, 16: pattern(FB, 16),
  };
  for (let seq = 10; seq <= 16; seq++) {
    assert.deepEqual(pcm.subarray((seq - 10) * FB, (seq - 9) * FB), expected[seq], `frame ${seq}`);
  }

  // A larger jitter buffer plays the late frames; the lost one stays silent.
  const patient = new AudioSink({ info: INFO, jitterBufferMs: 1000 });
  for (const seq of [10, 12, 15]) patient.accept(frameAt(seq), sent(seq) + 500);
  const p = readWav(patient.toWav()).pcm;
  assert.deepEqual(p.subarray(2 * FB, 3 * FB), pattern(FB, 12));
  assert.deepEqual(p.subarray(1 * FB, 2 * FB), silence);
});

test('AudioSink without info learns the format from the first frame; writeWav(path) writes toWav()', async () => {
  const sink = new AudioSink({});
  assert.deepEqual(sink.info, INFO, 'before any frame: the sample format');
  assert.equal(sink.accept(encodeFrame({ seq: 0, sentAt: T0, flags: 0, codec: 'pcm', payload: Buffer.alloc(4) })), null, 'implausible rate is not learned');
  const f48 = (seq: number, at: number) => sink.accept(encodeFrame({ seq, sentAt: T0 + seq * FRAME_MS, flags: 0, codec: 'pcm', payload: pattern(1920, seq) }), at);
  assert.ok(f48(1, T0 + 30));
  assert.deepEqual(sink.info, { ...INFO, sampleRate: 48000 });
  assert.equal(sink.accept(frameAt(2), T0 + 50), null, 'a 16 kHz frame is now malformed');
  assert.ok(f48(3, T0 + 70));
  assert.deepEqual(sink.stats(), { received: 2, duplicates: 0, malformed: 2, firstSeq: 1, lastSeq: 3 });

  const dir = mkdtempSync(join(tmpdir(), 'audio-test-'));
  try {
    const out = join(dir, 'received.wav');
    await sink.writeWav(out);
    const { info, pcm } = readWav(readFileSync(out));
    assert.deepEqual(info, { ...INFO, sampleRate: 48000 });
    assert.deepEqual(pcm, Buffer.concat([pattern(1920, 1), Buffer.alloc(1920), pattern(1920, 3)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- AudioSender -----------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('AudioSender paces 50 frames/s on the schedule start + n*20 ms, never early, never skipping', async () => {
  const src = new AudioSource(INFO, pattern(FB * 3 + 100));
  const sent: Array<{ seq: number; sentAt: number; calledAt: number; buf: Buffer }> = [];
  const sender = new AudioSender(src, (buf, seq, sentAt) => sent.push({ seq, sentAt, calledAt: now(), buf }));
  const t0 = now();
  sender.start();
  await sleep(300);
  sender.stop();
  const elapsed = now() - t0;
  const n = sent.length;
  await sleep(60);
  assert.equal(sent.length, n, 'nothing is sent after stop()');

  assert.ok(n >= 10, `expected ~15 frames in 300 ms, got ${n}`);
  assert.ok(n <= Math.floor(elapsed / FRAME_MS) + 1, `too many frames (${n}) for ${elapsed.toFixed(1)} ms`);
  const start = sent[0]!.sentAt;
  assert.ok(start >= t0 - 1e-6 && start - t0 < 50, 'first frame is scheduled at start()');
  sent.forEach((s, i) => {
    assert.equal(s.seq, i);
    assert.ok(Math.abs(s.sentAt - (start + i * FRAME_MS)) < 1e-6, `sentAt of ${i} is on the 20 ms grid`);
    assert.ok(s.calledAt >= s.sentAt - 1e-6, `frame ${i} sent before its time`);
    assert.deepEqual(decodeFrame(s.buf), { seq: i, sentAt: s.sentAt, flags: 0, codec: 'pcm', payload: src.frame(i) });
  });

  // Resume: seq continues where it stopped, on a fresh schedule.
  sender.start();
  await sleep(50);
  sender.stop();
  assert.equal(sent[n]?.seq, n);
  assert.ok(sent[n]!.sentAt >= sent[n - 1]!.sentAt + FRAME_MS);
  assert.equal(sender.nextSeq, sent.length);
});

test('AudioSender catches up after a blocked event loop with a burst, keeping schedule times', async () => {
  const sent: Array<{ seq: number; sentAt: number; calledAt: number }> = [];
  const sender = new AudioSender(new AudioSource(INFO, pattern(FB)), (_b, seq, sentAt) => sent.push({ seq, sentAt, calledAt: now() }));
  sender.start();
  const blockedFrom = now();
  while (now() - blockedFrom < 110) { /* block the event loop */ }
  await sleep(30);
  sender.stop();
  const start = sent[0]!.sentAt;
  assert.ok(sent.length >= 6, `got ${sent.length}`);
  sent.forEach((s, i) => {
    assert.equal(s.seq, i);
    assert.ok(Math.abs(s.sentAt - (start + i * FRAME_MS)) < 1e-6);
  });
  // Frames 1..5 were all due while the loop was blocked: they left together, late.
  const burst = sent.slice(1, 6);
  assert.ok(burst.every((s) => s.calledAt - s.sentAt > 0), 'burst frames were sent late, not skipped');
  assert.ok(burst[4]!.calledAt - burst[0]!.calledAt < 15, 'the burst is sent in one tick');
});

test('AudioSender: stop() from inside send() takes effect immediately', async () => {
  const seqs: number[] = [];
  const sender = new AudioSender(new AudioSource(INFO, pattern(FB)), (_b, seq) => {
    seqs.push(seq);
    if (seq === 2) sender.stop();
  });
  sender.start();
  await sleep(120);
  sender.stop();
  assert.deepEqual(seqs, [0, 1, 2]);
});

// --- the generated sample --------------------------------------------------------------------

const SAMPLE = fileURLToPath(new URL('../../static/sample.wav', import.meta.url));

test('static/sample.wav is 16 kHz mono 16-bit and 15-30 s long', { skip: existsSync(SAMPLE) ? false : `${SAMPLE} not generated (bash static/make-sample.sh static/sample.wav)` }, () => {
  const { info, pcm } = readWav(readFileSync(SAMPLE));
  assert.deepEqual(info, INFO);
  const seconds = pcm.length / 2 / info.sampleRate;
  assert.ok(seconds >= 15 && seconds <= 30, `duration ${seconds} s`);
  assert.ok(pcm.some((b) => b !== 0), 'not all silence');
  assert.equal(new AudioSource(info, pcm).frameBytes, FB);
});

test('AudioSink.toWav: playout is relative to the base delay of the first seconds (a 150 ms path plays)', () => {
  const sink = new AudioSink({ info: INFO, jitterBufferMs: J });
  const sent = (seq: number): number => T0 + seq * FRAME_MS;
  for (let seq = 0; seq < 200; seq++) if (seq !== 180) sink.accept(frameAt(seq), sent(seq) + 150);   // D0 = 150 > J
  sink.accept(frameAt(180), sent(180) + 150 + J + 0.5);   // later than D0 + J: concealed
  const { pcm } = readWav(sink.toWav());
  assert.deepEqual(pcm.subarray(0, FB), pattern(FB, 0), 'a frame at the base delay plays');
  assert.deepEqual(pcm.subarray(179 * FB, 180 * FB), pattern(FB, 179));
  assert.deepEqual(pcm.subarray(180 * FB, 181 * FB), Buffer.alloc(FB), 'late by more than J after D0: silence');
});

test('AudioSink with Opus: received.wav is the receiver model\'s decoded playout (PLC where a frame is missing), FEC reported', () => {
  const tone = Buffer.alloc(FB * 30);
  for (let i = 0; i < tone.length / 2; i++) tone.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i);
  const encode = frameEncoder({ name: 'opus', bitrateKbps: 24, fec: true, lossPct: 10 }, 16000);
  const T0 = 1_700_000_000_000;
  const frames = Array.from({ length: 30 }, (_, seq) =>
    encodeFrame({ seq, sentAt: T0 + seq * FRAME_MS, flags: 0, codec: 'opus', payload: encode(tone.subarray(seq * FB, (seq + 1) * FB)) }));
  assert.ok(frames.every((f) => f.length < 200), 'Opus frames are small');
  let reported = 0;
  const sink = new AudioSink({ jitterBufferMs: 80, onFrame: (_f, _at, _dup, _via, fec) => { if (typeof fec === 'boolean') reported++; } });
  frames.forEach((f, seq) => { if (seq !== 12) assert.ok(sink.accept(f, T0 + seq * FRAME_MS + 10)); });
  assert.equal(reported, 29, 'every arrival says whether it carries FEC');
  assert.equal(sink.accept(encodeFrame({ seq: 40, sentAt: T0, flags: 0, codec: 'pcm', payload: pattern(FB) })), null, 'PCM in an Opus stream is malformed');
  const wav = readWav(sink.toWav());
  assert.equal(wav.pcm.length, 30 * FB);
  const frame12 = wav.pcm.subarray(12 * FB, 13 * FB);
  assert.ok(frame12.some((b) => b !== 0), 'the missing frame is concealed by libopus, not silence');
});
