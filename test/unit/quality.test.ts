// What a listener hears: the one receiver model (core/receiver.ts), audible_ms, the E-model's MOS per
// window and the costs against media_bytes (harness/quality.ts, harness/metrics.ts), on synthetic logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CODEC, PCM } from '../../core/codec.ts';
import { audibleMs, renderPlayout, slotActions } from '../../core/receiver.ts';
import { computeMetrics, type RunMetrics } from '../../harness/metrics.ts';
import { frameActions } from '../../harness/quality.ts';
import { mosFromR, WB_RO, WB_TO_NB } from '../../harness/emodel.ts';
import { build, ev, sent } from './synthetic.ts';

const OPUS = { codec: DEFAULT_CODEC };
const lose = (...lost: number[]) => (n: number) => (lost.includes(n) ? null : undefined);
const frameMetrics = (m: RunMetrics) => [m.gap_ms, m.concealed_ms, m.recovery_ms, m.frames_on_time, m.frames_lost];

test('slotActions: on time plays; else FEC when the next packet carries it and came by this deadline; else conceal', () => {
  const slot = (arrival: number | null, fec = false) => ({ deadline: 100, arrival, fec });
  assert.deepEqual(slotActions([slot(100), slot(101), slot(99, true), slot(null), slot(null, true)]), ['play', 'fec', 'play', 'conceal', 'conceal']);
  assert.deepEqual(slotActions([slot(null), slot(90, true)]), ['fec', 'play']);
  assert.deepEqual(slotActions([slot(null), { deadline: 120, arrival: 110, fec: true }]), ['conceal', 'play'], 'next packet after this deadline: too late for FEC');
});

test('audibleMs: Opus hides one concealed frame, not two; PCM plays silence, so every concealed frame counts', () => {
  const a = ['play', 'conceal', 'play', 'conceal', 'conceal', 'fec', 'conceal', 'conceal', 'conceal'] as const;
  assert.equal(audibleMs(a, 'opus'), 5 * 20);
  assert.equal(audibleMs(a, 'pcm'), 6 * 20);
  assert.equal(audibleMs([], 'opus'), 0);
});

test('renderPlayout: PCM conceals with silence; Opus with libopus PLC (not silence) and decodes FEC', async () => {
  const { OpusEncoder } = await import('../../core/opus.ts');
  const enc = new OpusEncoder({ sampleRate: 16000, bitrate: 24000, fec: true, lossPct: 10 });
  const tone = (k: number) => { const b = Buffer.alloc(640); for (let i = 0; i < 320; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * 320 + i)) / 16000)), 2 * i); return b; };
  const pcm = Array.from({ length: 20 }, (_, k) => tone(k));
  const packets = pcm.map((p) => enc.encode(p));
  const actions = pcm.map((_, k) => (k === 12 ? 'conceal' as const : 'play' as const));
  const silentAt = (out: Buffer, k: number) => out.subarray(k * 640, (k + 1) * 640).every((b) => b === 0);
  assert.ok(silentAt(renderPlayout('pcm', actions, pcm.map((p, k) => (k === 12 ? null : p)), 16000), 12));
  const out = renderPlayout('opus', actions, packets.map((p, k) => (k === 12 ? null : p)), 16000);
  assert.equal(out.length, 20 * 640);
  assert.ok(!silentAt(out, 12), 'PLC continues the tone');
});

test('metrics with Opus: FEC repairs an isolated loss, PLC hides another, a burst is audible; frame metrics as with PCM', () => {
  // 500 lost, 501 carries FEC: rebuilt. 600 lost, no FEC: one concealed frame, inaudible. 700-704 lost, 705 carries FEC: 704 rebuilt, 4 audible.
  const run = { plan: lose(500, 600, 700, 701, 702, 703, 704), fec: (n: number) => n === 501 || n === 705 };
  const opus = computeMetrics(build(run), OPUS), pcm = computeMetrics(build(run), { codec: PCM });
  assert.deepEqual(frameMetrics(opus), frameMetrics(pcm), 'the frame metrics do not depend on the codec');
  assert.equal(opus.concealed_ms, 7 * 20);
  assert.equal(opus.fec_frames, 2);
  assert.equal(opus.audible_ms, 4 * 20);
  assert.equal(pcm.fec_frames, 0, 'PCM has no FEC whatever the log says');
  assert.equal(pcm.audible_ms, pcm.concealed_ms);
});

test('MOS: a clean call is the codec\'s ceiling in every window; loss at the event and a relay\'s delay lower mos_event only', () => {
  const clean = computeMetrics(build(), OPUS);
  assert.equal(clean.mos, clean.mos_pre);
  assert.equal(clean.mos, clean.mos_event);
  assert.ok(clean.mos! > 4 && clean.mos! < 4.3, `clean Opus MOS ${clean.mos}`);
  assert.ok(computeMetrics(build(), { codec: PCM }).mos! > clean.mos!, 'uncompressed PCM scores above Opus (Ie 0)');

  const gap = computeMetrics(build({ plan: (n) => (n >= 500 && n < 510 ? null : undefined) }), OPUS);
  assert.equal(gap.mos_pre, clean.mos_pre);
  assert.ok(gap.mos_event! < clean.mos_event! - 0.1, `200 ms gap: ${gap.mos_event} vs ${clean.mos_event}`);
  assert.ok(gap.mos! < clean.mos! && gap.mos! > gap.mos_event!, 'the whole window dilutes it');

  // after the event every frame comes through a relay 300 ms slower: with a 400 ms buffer nothing is
  // concealed, but the call after the event is slower to talk over
  const relayed = computeMetrics(build({ plan: (n) => (n >= 495 ? { delay: 330, path: 'relay' } : undefined) }), { ...OPUS, jitterBufferMs: 400 });
  assert.equal(relayed.audible_ms, 0);
  assert.equal(relayed.added_delay_ms, 300);
  assert.ok(relayed.mos_event! < relayed.mos_pre! - 0.3, `relay: ${relayed.mos_event} after vs ${relayed.mos_pre} before`);
  assert.ok(relayed.mos_pre! < clean.mos_pre!, 'a 400 ms jitter buffer costs conversational quality before any event');
});

test('the wideband E-model: R_WB = 129 − Id − Ie,eff, and its MOS is the narrowband one of R_WB / 1.29', async () => {
  const { voipQuality } = await import('../../harness/emodel.ts');
  const q = (scale: 'nb' | 'wb', lossPct = 0) => voipQuality({ mouthToEarMs: 0, Ie: 0, Bpl: 4.3, lossPct, burstR: 1, scale });
  assert.ok(Math.abs(q('nb').R - 93.2) < 0.05 && Math.abs(q('wb').R - (WB_RO - 0.149)) < 0.01, `${q('nb').R}, ${q('wb').R}`);
  assert.equal(q('wb').mos, mosFromR(q('wb').R / WB_TO_NB));
  assert.ok(Math.abs((q('nb').R - q('nb', 5).R) - (q('wb').R - q('wb', 5).R)) < 1e-9, 'loss costs the same R on both scales');
});

test('costs against media_bytes: relay, duplicates and keepalive as a % of the stream', () => {
  const log = build({ bytes: 76, extra: [
    ev(sent(900), 'intermediate', 'relay.bytes', { bytes: 7600, packets: 100 }),
    ev(sent(900), 'answerer', 'overhead.bytes', { keepalive: 3800, duplicate: 1520 }),
  ] });
  const m = computeMetrics(log, OPUS);
  assert.equal(m.media_bytes, 1000 * 76);
  assert.equal(m.relay_pct, 10);
  assert.equal(m.dup_pct, 2);
  assert.equal(m.keepalive_pct, 5);
  assert.equal(m.extra_pct, 7, 'upkeep and copies, nothing relayed');
  const old = computeMetrics(build(), OPUS);
  assert.equal(old.media_bytes, 0, 'a log from before audio.sent had bytes');
  assert.equal(old.relay_pct, null);
  assert.equal(old.extra_pct, null);
});

test('runs.csv carries the codec, media_bytes, the percentages, audible_ms and the MOS', async () => {
  const { CSV_COLUMNS } = await import('../../harness/records.ts');
  for (const c of ['codec', 'media_bytes', 'relay_pct', 'dup_pct', 'keepalive_pct', 'extra_pct', 'audible_ms', 'fec_frames', 'mos', 'mos_pre', 'mos_event']) {
    assert.ok(CSV_COLUMNS.includes(c), `runs.csv lacks ${c}`);
  }
});

test('RFC 3611 burst/gap (Gmin 16): isolated losses are gap losses; losses under 16 frames apart make one burst', async () => {
  const { burstGap } = await import('../../harness/burst-gap.ts');
  const seq = (n: number, lostAt: number[]) => Array.from({ length: n }, (_, i) => lostAt.includes(i));
  assert.deepEqual(burstGap(seq(100, []), 20), { burst_density_pct: 0, gap_density_pct: 0, burst_mean_ms: 0, gap_period_mean_ms: 2000 });
  // two isolated losses: one gap of 100 frames with 2 % loss
  assert.deepEqual(burstGap(seq(100, [10, 60]), 20), { burst_density_pct: 0, gap_density_pct: 2, burst_mean_ms: 0, gap_period_mean_ms: 2000 });
  // losses at 40, 41, 45 (3 received between: < 16) form a burst 40..45 (6 frames, 3 lost); 90 is isolated
  assert.deepEqual(burstGap(seq(100, [40, 41, 45, 90]), 20), { burst_density_pct: 50, gap_density_pct: 1.06, burst_mean_ms: 120, gap_period_mean_ms: 940 });
  // 16 received between two losses split them
  assert.equal(burstGap(seq(100, [10, 11, 28, 29]), 20).burst_mean_ms, 40);
});

test('adaptive playout (NetEQ-like): shrinks on a steady path, is caught out by a slower relay, then grows, 5 ms a frame at most', async () => {
  const { adaptivePlayout, ADAPTIVE } = await import('../../core/playout.ts');
  const slots = Array.from({ length: 600 }, (_, n) => ({ sentAt: 20 * n, arrivedAt: 20 * n + (n < 300 ? 30 : 70) + (n % 5) }));
  const p = adaptivePlayout(slots);
  assert.equal(p[0], 30 + ADAPTIVE.startTargetMs, 'starts at the first delay + 80 ms');
  assert.ok(p[299]! < 60, `a steady path lets it shrink (${p[299]} ms)`);
  const late = slots.flatMap((s, n) => (s.arrivedAt > s.sentAt + p[n]! ? [n] : []));
  assert.ok(late.length > 0 && late.every((n) => n >= 300 && n < 320), `late only just after the switch: ${late.join(',')}`);
  assert.ok(p[599]! >= 74 && p[599]! <= 110, `settled above the relay's delay (${p[599]} ms)`);
  for (let n = 1; n < p.length; n++) assert.ok(Math.abs(p[n]! - p[n - 1]!) <= ADAPTIVE.stepMs + 1e-9);
  assert.deepEqual(adaptivePlayout([{ sentAt: 0, arrivedAt: null }]), [ADAPTIVE.startTargetMs], 'nothing arrived');
});

test('metrics under the adaptive playout: the same log, other deadlines; its shorter buffer scores better before the event', () => {
  const log = build({ plan: (n) => (n >= 505 ? { delay: 70, path: 'relay' } : undefined) });   // sent after E
  const fixed = computeMetrics(log, OPUS), adaptive = computeMetrics(log, { ...OPUS, playout: 'adaptive' });
  assert.equal(fixed.concealed_ms, 0, 'J = 80 absorbs a relay 40 ms slower');
  assert.ok(adaptive.concealed_ms > 0 && adaptive.gap_ms <= 200, `adaptive: ${adaptive.concealed_ms} ms concealed`);
  assert.ok(adaptive.mos_pre! > fixed.mos_pre!, `${adaptive.mos_pre} vs ${fixed.mos_pre}`);
  assert.equal(adaptive.base_delay_ms, fixed.base_delay_ms);
});

test('frameActions takes a soak\'s run: an hour of frames in one run of consecutive seqs', () => {
  const frames = Array.from({ length: 200_000 }, (_, k) => ({ seq: k, state: 'on-time', fec: false }));
  assert.equal(frameActions({ frames } as unknown as Parameters<typeof frameActions>[0], { name: 'pcm' }).length, 200_000);
});
