// The quality-aware path policy (QualityPathSelector, strategies/shared/path-selector.ts) and the probe
// window it reads (strategies/shared/path-quality.ts), on synthetic traces: a fading Wi-Fi, a flap, a
// clean switch, a jittery but healthy Wi-Fi, arriving home. Probes every 100 ms per path; an answer
// comes back after the path's RTT unless the path's loss at that moment drops it (deterministically:
// a loss fraction accumulates and every whole unit drops one probe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PathWindow } from '../../strategies/shared/path-quality.ts';
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
  const w = new PathWindow(1000, 300);
  for (let i = 0; i < 10; i++) w.sent(i, i * 100);
  for (const i of [0, 1, 2, 3, 4, 6, 7, 8]) w.answered(i, i * 100 + (i % 2 ? 30 : 10));
  const q = w.quality(1000);
  assert.equal(q.loss, 1 / 8, 'probes 0–7 are due, 5 went unanswered');
  assert.equal(q.rttMs, (5 * 10 + 3 * 30) / 8);
  assert.equal(q.jitterMs, (6 * 20) / 7, 'RTTs 10 30 10 30 10 10 30 10');
  assert.equal(q.silentMs, 1000 - 810, 'the last answer: probe 8 at 800 + 10');
  w.answered(5, 1100);   // 600 ms late: past answerWithinMs, it still counts as lost
  assert.equal(w.quality(1000).loss, 1 / 8);
  assert.equal(new PathWindow().quality(0).loss, null, 'nothing due yet');
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
