// The quality-aware path policy (QualityPathSelector, strategies/shared/path-selector.ts) and the probe
// windows it reads (strategies/shared/path-quality.ts), on synthetic traces: a fading Wi-Fi, a flap, a
// clean switch, a jittery but healthy Wi-Fi, arriving home. Probes every 100 ms per path; an answer
// comes back after the path's RTT unless the path's loss at that moment drops it (deterministically:
// a loss fraction accumulates and every whole unit drops one probe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaWindow, PathWindow } from '../../strategies/shared/path-quality.ts';
import { QualityPathSelector } from '../../strategies/shared/path-selector.ts';

interface TracePath { id: number; osPreferred: boolean; up(t: number): boolean; loss(t: number): number; rtt(t: number): number }

/** Runs `paths` for `ms` in 10 ms steps; the primary after each change, with its time. */
function simulate(paths: TracePath[], ms: number, probeEveryMs = 100): { t: number; primary: number | null }[] {
  const selector = new QualityPathSelector();
  const state = paths.map((p) => ({ p, win: new PathWindow(), seq: 0, dropped: 0, due: [] as { seq: number; at: number }[] }));
  const changes: { t: number; primary: number | null }[] = [];
  for (let t = 0; t <= ms; t += 10) {
    for (const s of state) {
      for (const a of s.due.filter((d) => d.at <= t)) s.win.answered(a.seq, a.at);
      s.due = s.due.filter((d) => d.at > t);
      if (t % probeEveryMs !== 0 || !s.p.up(t)) continue;
      s.win.sent(++s.seq, t);
      s.dropped += s.p.loss(t);
      if (s.dropped >= 1) { s.dropped -= 1; continue; }
      s.due.push({ seq: s.seq, at: t + s.p.rtt(t) });
    }
    const r = selector.select(state.map((s) => ({ id: s.p.id, up: s.p.up(t), osPreferred: s.p.osPreferred, quality: s.win.quality(t) })), t);
    if (r.changed) changes.push({ t, primary: r.primary });
  }
  return changes;
}

const steady = (id: number, rtt: number, osPreferred = false): TracePath => ({ id, osPreferred, up: () => true, loss: () => 0, rtt: () => rtt });
const cellular = steady(1, 60);

test('the window: loss over the probes due, mean RTT, jitter, silence; a probe not yet due is not lost', () => {
  const w = new PathWindow(10, 300);
  for (let i = 0; i < 10; i++) w.sent(i, i * 100);
  for (const i of [0, 1, 2, 3, 4, 6, 7, 8]) w.answered(i, i * 100 + (i % 2 ? 30 : 10));
  const q = w.quality(1000);
  assert.equal(q.loss, 1 / 9, 'probes 0–7 are due and 8 is answered; 5 went unanswered');
  assert.equal(q.rttMs, (5 * 10 + 3 * 30) / 8);
  assert.equal(q.jitterMs, (6 * 20) / 7, 'RTTs 10 30 10 30 10 10 30 10');
  assert.equal(q.silentMs, 1000 - 900, 'probe 9, sent at 900, waits for its answer');
  w.answered(5, 1100);   // 600 ms late: past answerWithinMs, it still counts as lost
  assert.equal(w.quality(1000).loss, 1 / 9);
  assert.equal(new PathWindow().quality(0).loss, null, 'nothing due yet');
  w.sent(10, 1000);
  assert.equal(w.quality(1000).loss, 1 / 8, 'the window keeps the last 10 probes: probe 0 left it');
});

test('the window at a slow cadence: a path probed once a second is not silent between probes, and one lost probe is one of ten', () => {
  const w = new PathWindow();
  for (let i = 0; i < 10; i++) { w.sent(i, i * 1000); if (i !== 4) w.answered(i, i * 1000 + 50); }
  const q = w.quality(9900);
  assert.equal(q.silentMs, 0);
  assert.equal(q.loss, 1 / 10);
  w.sent(10, 10000);
  assert.equal(w.quality(10400).silentMs, 400);
});

test('the media window: loss and silence from the frames heard, whatever the two clocks say', () => {
  const clockOffset = 5_000_000;   // the sender's clock is far from the receiver's: only differences count
  const w = new MediaWindow(20, -Infinity, 1000, 60);
  assert.equal(w.quality(0), null, 'nothing heard yet');
  const lost = (s: number) => s >= 60 && s < 65;
  for (let s = 10; s < 100; s++) if (!lost(s)) w.heard(s, s * 20 - clockOffset, s * 20 + 30 + (s % 3) * 5);
  const q = w.quality(99 * 20 + 30)!;
  assert.equal(q.silentMs, 0);
  // frames due by then: sent ≤ 1980 − 30 − 60 = 1890 → seq ≤ 94; the window: seqs 45..94 (50 frames), 5 lost
  assert.equal(q.loss, 5 / 50);
  assert.equal(w.quality(99 * 20 + 30 + 300)!.silentMs, 300 - 20, 'frame 100 was due 20 ms after frame 99');
  assert.ok(w.quality(99 * 20 + 30 + 1200)!.loss! > 0.9, 'a silent path loses everything due');
  const fresh = new MediaWindow(20);
  fresh.heard(500, 10_000, 10_040);
  assert.equal(fresh.quality(10_100)!.loss, null, 'one frame due says nothing of loss');
  for (let s = 501; s < 520; s++) fresh.heard(s, 10_000 + (s - 500) * 20, 10_040 + (s - 500) * 20);
  assert.equal(fresh.quality(10_040 + 19 * 20 + 60)!.loss, 0, 'frames before the first heard came another way');
  const switched = new MediaWindow(20);   // a new primary: first a re-send of frame 90, then live frames from 100 on; 92–99 went nowhere
  switched.heard(90, 1800, 2100);
  for (let s = 100; s < 150; s++) switched.heard(s, s * 20, s * 20 + 40);
  assert.equal(switched.quality(149 * 20 + 40 + 60)!.loss, 0, 'frames sent before the path carried the audio are not its losses');
  const copied = new MediaWindow(20, 2500);   // a copy of frame 95 came on it before the answerer followed at 2500 − 40
  copied.heard(95, 1900, 1940);
  for (let s = 123; s < 150; s++) copied.heard(s, s * 20, s * 20 + 40);
  assert.equal(copied.quality(149 * 20 + 40 + 60)!.loss, 0, 'nothing is due on a path before dueFrom');
});

test('the selector judges a path by its audio on a tighter silence: two frames overdue, not 2.5 probe intervals', () => {
  const selector = new QualityPathSelector();
  const q = (silentMs: number, source: 'probes' | 'media') => ({ id: 0, up: true, osPreferred: true, quality: { loss: 0, rttMs: 20, jitterMs: 0, silentMs, source } });
  assert.equal(selector.health(q(45, 'media')), 'degraded');
  assert.equal(selector.health(q(45, 'probes')), 'good');
  assert.equal(selector.health(q(30, 'media')), 'good');
});

test('fade: Wi-Fi\'s loss ramps 0 → 100 % and its delay grows over 4 s; the audio moves to cellular long before the OS drops Wi-Fi', () => {
  const fadeAt = 3000, osDrop = fadeAt + 4000;
  const ramp = (t: number) => Math.min(1, Math.max(0, (t - fadeAt) / 4000));
  const wifi: TracePath = { id: 0, osPreferred: true, up: (t) => t < osDrop, loss: ramp, rtt: (t) => 20 + 200 * ramp(t) };
  const changes = simulate([wifi, cellular], 10000);
  assert.equal(changes[0]!.primary, 0);
  assert.equal(changes.length, 2, JSON.stringify(changes));
  const moved = changes[1]!;
  assert.equal(moved.primary, 1);
  assert.ok(moved.t > fadeAt && moved.t < fadeAt + 1500, `moved at ${moved.t} ms, the OS at ${osDrop}`);
});

test('flap: Wi-Fi silent for 400 ms; the audio moves to cellular and comes back only after the 30 s hold, not at once', () => {
  const wifi: TracePath = { id: 0, osPreferred: true, up: () => true, loss: (t) => (t >= 5000 && t < 5400 ? 1 : 0), rtt: () => 20 };
  const changes = simulate([wifi, cellular], 40000);
  assert.deepEqual(changes.map((c) => c.primary), [0, 1, 0], JSON.stringify(changes));
  assert.ok(changes[1]!.t >= 5150 && changes[1]!.t <= 5400, `left Wi-Fi at ${changes[1]!.t} (its last answer at 4920)`);
  assert.ok(changes[2]!.t >= changes[1]!.t + 30000 && changes[2]!.t <= changes[1]!.t + 30500, `back at ${changes[2]!.t}`);
});

test('clean switch: Wi-Fi goes down at once; the audio moves in the same step', () => {
  const wifi: TracePath = { id: 0, osPreferred: true, up: (t) => t < 3000, loss: () => 0, rtt: () => 20 };
  assert.deepEqual(simulate([wifi, cellular], 6000), [{ t: 0, primary: 0 }, { t: 3000, primary: 1 }]);
});

test('no ping-pong: a jittery but lossless Wi-Fi keeps the audio though cellular is faster; both gone: the relay', () => {
  const jittery: TracePath = { id: 0, osPreferred: true, up: () => true, loss: () => 0, rtt: (t) => ((t / 100) % 2 ? 80 : 20) };
  assert.deepEqual(simulate([jittery, steady(1, 30)], 20000), [{ t: 0, primary: 0 }]);
  const gone = (id: number, osPreferred: boolean): TracePath => ({ id, osPreferred, up: (t) => t < 2000, loss: () => 0, rtt: () => 20 });
  assert.deepEqual(simulate([gone(0, true), gone(1, false)], 3000).map((c) => c.primary), [0, null]);
});

test('arriving home: Wi-Fi comes up under cellular and takes the audio once good for 2 s', () => {
  const wifi: TracePath = { id: 0, osPreferred: true, up: (t) => t >= 5000, loss: () => 0, rtt: () => 20 };
  const changes = simulate([wifi, cellular], 10000);
  assert.deepEqual(changes.map((c) => c.primary), [1, 0]);
  assert.ok(changes[1]!.t >= 7000 && changes[1]!.t <= 7100, `home at ${changes[1]!.t}`);
});
