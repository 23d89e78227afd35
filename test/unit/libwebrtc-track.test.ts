// libwebrtc media=track: naming the call's frames from libwebrtc's RTP counters (the sender's packets
// and pauses; the receiver's counters, the sender's first anchor, a silence the counters miss), and
// the decimation of NetEQ's 48 kHz playout to the sample's 16 kHz for received.wav.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANCHOR_WAIT_MS, ReceivedFrames, SentFrames } from '../../strategies/libwebrtc/rtp-frames.ts';
import { resample } from '../../strategies/libwebrtc/track.ts';

test('sender: packets continue the frames fed; a pause (frames fed, no packet) skips them', () => {
  const s = new SentFrames();
  assert.deepEqual(s.next(5, 0), { sent: [], skipped: [], anchor: null }, 'nothing sent yet');
  assert.deepEqual(s.next(6, 1), { sent: [5], skipped: [], anchor: { seq: 5 } }, 'the first packet: the newest frame');
  assert.deepEqual(s.next(8, 3), { sent: [6, 7], skipped: [], anchor: null });
  assert.deepEqual(s.next(9, 3), { sent: [], skipped: [], anchor: null });
  assert.deepEqual(s.next(10, 4), { sent: [8], skipped: [], anchor: null }, 'a frame behind: poll jitter, not a pause');
  // 100 frames fed while no packet was made, then packets again
  assert.deepEqual(s.next(110, 5), { sent: [109], skipped: Array.from({ length: 100 }, (_, i) => 9 + i), anchor: null });
  assert.deepEqual(s.next(111, 6), { sent: [110], skipped: [], anchor: null });
});

test('receiver: held until the anchor, numbered from it; lost packets, a late one, a silence the counters miss', () => {
  const r = new ReceivedFrames();
  assert.deepEqual(r.next(1, 0, 1000), [], 'no anchor yet');
  r.anchor({ seq: 5 });
  assert.deepEqual(r.next(2, 0, 1020), [{ seq: 5, t: 1000 }, { seq: 6, t: 1020 }]);
  assert.deepEqual(r.next(2, 0, 1020, 1030), [], 'nothing new');
  // 3 numbers lost, 2 received: the received are the newest
  assert.deepEqual(r.next(4, 3, 1120), [{ seq: 10, t: 1100 }, { seq: 11, t: 1120 }], 'one time stamp: dated back a frame a packet');
  assert.deepEqual(r.next(5, 2, 1125), [{ seq: 9, t: 1125 }], 'a late packet fills the newest hole');
  // 2 s of silence, which the counters do not show (libwebrtc took it for a stream restart)
  assert.deepEqual(r.next(6, 2, 3120), [{ seq: 111, t: 3120 }]);
  assert.deepEqual(r.next(7, 2, 3140), [{ seq: 112, t: 3140 }]);
  // a silence the counters do show is not bridged twice
  assert.deepEqual(r.next(8, 6, 3240), [{ seq: 117, t: 3240 }]);
});

test('receiver: without an anchor it numbers from 0 after ANCHOR_WAIT_MS', () => {
  const r = new ReceivedFrames();
  assert.deepEqual(r.next(1, 0, 0), []);
  assert.deepEqual(r.ready(ANCHOR_WAIT_MS), [{ seq: 0, t: 0 }]);
});

test('resample: 48 → 16 kHz keeps a 1 kHz tone, removes a 12 kHz one (above the new Nyquist), refuses a ratio that is not whole', () => {
  const tone = (hz: number) => Int16Array.from({ length: 4800 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * hz * i) / 48000)));
  const rms = (x: Int16Array) => Math.sqrt(x.slice(100, -100).reduce((a, v) => a + v * v, 0) / (x.length - 200));
  const low = resample(tone(1000), 48000, 16000), high = resample(tone(12000), 48000, 16000);
  assert.equal(low.length, 1600);
  assert.ok(Math.abs(rms(low) - 10000 / Math.SQRT2) < 300, `1 kHz rms ${rms(low)}`);
  assert.ok(rms(high) < 300, `12 kHz rms ${rms(high)} (aliased)`);
  assert.throws(() => resample(tone(1000), 44100, 16000), /cannot resample/);
});
