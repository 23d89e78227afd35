import { test } from 'node:test';
import assert from 'node:assert/strict';
import { G107_DEFAULTS, burstRatio, mosFromR, rFactor, voipQuality } from '../../harness/emodel.ts';
import { prng } from './synthetic.ts';

const near = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} not within ${tol} of ${expected}`);


// --- R and its parts ---------------------------------------------------------------------------

test('G.107 default values give R = 93.2 and MOS 4.41', () => {
  const d = rFactor();
  near(d.R, 93.2, 0.05, 'R');
  near(d.Ro, 94.77, 0.01, 'Ro');
  near(d.Is, 1.41, 0.01, 'Is');
  near(d.Id, 0.15, 0.01, 'Id');
  assert.equal(d.IeEff, 0);
  near(mosFromR(d.R), 4.41, 0.005, 'MOS');
  assert.deepEqual(rFactor({ ...G107_DEFAULTS }), d);
  assert.deepEqual(rFactor({ Dr: 9 }), d); // Dr acts only through LSTR
});

test('every impairment lowers R; the advantage factor adds to it', () => {
  const R0 = rFactor().R;
  for (const p of [{ Nc: -50 }, { Ps: 65 }, { Pr: 65 }, { qdu: 8 }, { SLR: 20 }, { STMR: 5 }, { STMR: 25 }, { T: 50, TELR: 40 }, { Tr: 100, WEPL: 40 }, { Ie: 10 }]) {
    assert.ok(rFactor(p).R < R0 - 0.5, JSON.stringify(p));
  }
  near(rFactor({ A: 10 }).R, R0 + 10, 1e-9);
});

// --- delay ---------------------------------------------------------------------------------------

test('Idd is 0 up to Ta = 100 ms and matches the §7.4 formula above it', () => {
  const R0 = rFactor().R;
  for (const Ta of [0, 50, 100]) assert.equal(rFactor({ Ta }).R, R0);
  // Idd = 25 {(1 + X^6)^(1/6) − 3 (1 + (X/3)^6)^(1/6) + 2}, X = log2(Ta/100): X = 1 at 200 ms, 2 at 400 ms
  const idd = (X: number) => 25 * ((1 + X ** 6) ** (1 / 6) - 3 * (1 + (X / 3) ** 6) ** (1 / 6) + 2);
  near(R0 - rFactor({ Ta: 200 }).R, idd(1), 1e-9, 'Idd(200)');
  near(R0 - rFactor({ Ta: 400 }).R, idd(2), 1e-9, 'Idd(400)');
  near(idd(1), 3.04, 0.01);
  near(idd(2), 24.07, 0.01);
  assert.ok(rFactor({ Ta: 150 }).R < R0);
});

test('R falls monotonically with delay over 0..600 ms', () => {
  let prevTa = Infinity, prevVoip = Infinity;
  for (let ms = 0; ms <= 600; ms += 10) {
    const Ta = rFactor({ Ta: ms }).R;
    const { R, mos } = voipQuality({ mouthToEarMs: ms, Ie: 0, Bpl: 4.3, lossPct: 0, burstR: 1 });
    assert.ok(Ta <= prevTa && R < prevVoip, `at ${ms} ms`);
    assert.equal(mos, mosFromR(R));
    prevTa = Ta; prevVoip = R;
  }
  assert.ok(rFactor({ Ta: 400 }).R < rFactor({ Ta: 150 }).R - 20);
});

test('voipQuality is rFactor with T = Ta and Tr = 2·Ta', () => {
  const got = voipQuality({ mouthToEarMs: 180, Ie: 11, Bpl: 19, lossPct: 3, burstR: 1.5 });
  assert.equal(got.R, rFactor({ T: 180, Tr: 360, Ta: 180, Ie: 11, Bpl: 19, Ppl: 3, BurstR: 1.5 }).R);
});

// --- packet loss ----------------------------------------------------------------------------------

test('Ie,eff rises with Ppl, and bursty loss costs more than random loss', () => {
  const codec = { Ie: 11, Bpl: 19 };
  assert.equal(rFactor({ ...codec, Ppl: 0 }).IeEff, 11);
  near(rFactor({ ...codec, Ppl: 2 }).IeEff, 11 + 84 * 2 / (2 + 19), 1e-9);
  let prev = -Infinity;
  for (const Ppl of [0, 0.5, 1, 2, 5, 10, 20]) {
    const { IeEff } = rFactor({ ...codec, Ppl });
    assert.ok(IeEff > prev && IeEff < 95);
    prev = IeEff;
    if (Ppl > 0) assert.ok(rFactor({ ...codec, Ppl, BurstR: 2 }).R < rFactor({ ...codec, Ppl, BurstR: 1 }).R);
  }
});

// --- MOS -----------------------------------------------------------------------------------------

test('mosFromR clamps and follows Annex B in between', () => {
  assert.equal(mosFromR(-5), 1);
  assert.equal(mosFromR(0), 1);
  assert.equal(mosFromR(100), 4.5);
  assert.equal(mosFromR(130), 4.5);
  near(mosFromR(50), 1 + 0.035 * 50 + 7e-6 * 50 * -10 * 50, 1e-12);
  near(mosFromR(50), 2.575, 1e-9);
  near(mosFromR(80), 4.024, 1e-9);
});

// --- BurstR --------------------------------------------------------------------------------------

test('burstRatio: 1 without loss, about 1 for isolated losses, above 1 for a burst', () => {
  assert.equal(burstRatio([]), 1);
  assert.equal(burstRatio(Array(100).fill(false)), 1);
  assert.equal(burstRatio(Array(100).fill(true)), 1);
  near(burstRatio(Array.from({ length: 400 }, (_, i) => i % 20 === 7)), 1, 0.1, 'isolated');
  const burst = (at: number) => Array.from({ length: 100 }, (_, i) => i >= at && i < at + 10);
  near(burstRatio(burst(50)), 9, 1e-9, 'mid burst'); // mean burst 10 over 1/(1 − 0.1)
  near(burstRatio(burst(90)), 9, 1e-9, 'burst at the end');
});

test('burstRatio recovers 1/(p+q) from a 2-state Markov loss process', () => {
  const rand = prng(7);
  for (const [p, q] of [[0.02, 0.25], [0.05, 0.95], [0.01, 0.5]] as const) {
    let lost = false;
    const seq = Array.from({ length: 200_000 }, () => (lost = rand() < (lost ? 1 - q : p)));
    near(burstRatio(seq), 1 / (p + q), 0.05 / (p + q), `p=${p} q=${q}`);
  }
});
