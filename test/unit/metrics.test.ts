import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { computeMetrics, METRIC_ORDER, type RunMetrics } from '../../harness/metrics.ts';
import { METRIC_GLOSSARY } from '../../harness/metric-glossary.ts';
import { isOnTime } from '../../core/playout.ts';
import { build, D0, deadline, E, ev, sent, T0 } from './synthetic.ts';

const between = (n: number, lo: number, hi: number) => n >= lo && n <= hi;
/** The frame counters of a result, for compact exact assertions. */
const counts = (m: RunMetrics) => [m.frames_sent, m.frames_on_time, m.frames_late, m.frames_lost];

// ---- tests -------------------------------------------------------------------------------------
test('isOnTime: arrival exactly at sentAt + J is on time, a microsecond later is not', () => {
  assert.equal(isOnTime(1000, 1080, 80), true);
  assert.equal(isOnTime(1000, 1080.001, 80), false);
  assert.equal(isOnTime(1000, 1010, 0), false);
  assert.equal(isOnTime(1000, 990, 0), true);
});

test('clean run: nothing concealed, recovery at the first post-event deadline, success', () => {
  const m = computeMetrics(build());
  assert.deepEqual(counts(m), [1000, 1000, 0, 0]);
  assert.equal(m.gap_ms, 0);
  assert.equal(m.concealed_ms, 0);
  assert.equal(m.recovery_ms, deadline(495) - E);   // 5
  assert.equal(m.recovery_ms, 5);
  assert.equal(m.direct_ms, sent(495) + 30 - E);     // -75: frame 495 arrived before the event
  assert.equal(m.base_delay_ms, 30);
  assert.equal(m.added_delay_ms, 0);
  assert.equal(m.switch_ms, sent(501) + 30 - E);     // 25: the first frame sent after E (501) arrived at once
  assert.equal(m.success, true);
  assert.equal(m.event_t, E);
  assert.equal(m.pre_event_concealed, 0);
  assert.equal(m.detect_ms, null);
  assert.equal(m.limit_ms, null);
  assert.equal(m.relay_bytes, 0);
  assert.equal(m.handshakes, 0);
  assert.equal(m.signal_msgs, 0);
  assert.deepEqual(m.cpu_s, { intermediate: 1.75, answerer: 1.75, mobile: 1.75 });
});

test('500 ms outage after the event: gap 500, concealed 500, recovery at the first frame after it', () => {
  const m = computeMetrics(build({ plan: (n) => (between(n, 500, 524) ? null : undefined) }));
  assert.equal(m.gap_ms, 500);
  assert.equal(m.concealed_ms, 500);
  assert.deepEqual(counts(m), [1000, 975, 0, 25]);
  assert.equal(m.recovery_ms, deadline(525) - E);    // 605
  assert.equal(m.recovery_ms, 605);
  assert.equal(m.switch_ms, sent(525) + 30 - E);      // 525: the first frame after the outage
  assert.equal(m.direct_ms, sent(525) + 30 - E);     // 525
  assert.equal(m.success, true);
});

test('late frames are concealed and counted as late, not lost; J is a parameter', () => {
  const plan = (n: number) => (between(n, 600, 609) ? { delay: 150 } : n === 700 ? { delay: 110 } : n === 701 ? { delay: 110.5 } : undefined);
  const m = computeMetrics(build({ plan }));
  assert.deepEqual(counts(m), [1000, 989, 11, 0]);   // 600..609 and 701; 700 is exactly on the deadline
  assert.equal(m.concealed_ms, 220);
  assert.equal(m.gap_ms, 200);
  assert.equal(m.recovery_ms, deadline(610) - E);    // 2275
  assert.equal(m.direct_ms, sent(601) + 150 - E);    // 2165: D = 600 (late); 601 arrived late, but direct
  // with a 200 ms jitter buffer every frame is on time (and the window shrinks: sent + 30 + 200 + J
  // <= T0 + 20 200 keeps frames 0..988)
  const relaxed = computeMetrics(build({ plan }), { jitterBufferMs: 200 });
  assert.deepEqual(counts(relaxed), [989, 989, 0, 0]);
  assert.equal(relaxed.gap_ms, 0);
});

test('relay bridging then direct: on-time relay frames are on time, direct_ms is the first direct after the relay run', () => {
  const relayThenDirect = build({ plan: (n) => (between(n, 500, 549) ? { delay: 50, path: 'relay' } : undefined) });
  const m = computeMetrics(relayThenDirect);
  assert.deepEqual(counts(m), [1000, 1000, 0, 0]);
  assert.equal(m.gap_ms, 0);
  assert.equal(m.recovery_ms, 5);
  assert.equal(m.direct_ms, sent(550) + 30 - E);     // 1025
  assert.equal(m.added_delay_ms, 0);                 // it ended on the direct path
  // an outage, then the relay, then direct again
  const m2 = computeMetrics(build({
    plan: (n) => (between(n, 500, 509) ? null : between(n, 510, 549) ? { delay: 50, path: 'relay' } : undefined),
  }));
  assert.equal(m2.gap_ms, 200);
  assert.equal(m2.recovery_ms, deadline(510) - E);   // 305: relayed frames count as recovered audio
  assert.equal(m2.direct_ms, 1025);
});

test('direct_ms: late direct frames after D count; a direct path that never returns gives null', () => {
  // D = 500 (relay); 501 arrives late but direct: it is the first direct frame after D
  const m = computeMetrics(build({ plan: (n) => (n === 500 ? { delay: 40, path: 'relay' } : n === 501 ? { delay: 300 } : undefined) }));
  assert.equal(m.direct_ms, sent(501) + 300 - E);     // 315
  assert.equal(m.gap_ms, 20);
  const never = computeMetrics(build({ plan: (n) => (n >= 500 ? { delay: 40, path: 'relay' } : undefined) }));
  assert.equal(never.direct_ms, null);
  assert.equal(never.recovery_ms, 5);
  assert.equal(never.added_delay_ms, 10);             // it ended on the relay, 40 ms against D0 = 30
  assert.equal(never.success, true);
});

test('never recovering: recovery null, success false; 9 on-time frames are not a recovery', () => {
  const dead = computeMetrics(build({ plan: (n) => (n >= 500 ? null : undefined) }));
  assert.equal(dead.gap_ms, 500 * 20);
  assert.equal(dead.recovery_ms, null);
  assert.equal(dead.success, false);
  assert.equal(dead.direct_ms, null);
  assert.deepEqual(counts(dead), [1000, 500, 0, 500]);
  // gap 500..599, then 9 on time, one lost, then on time again: recovery starts at 610
  const flaky = computeMetrics(build({ plan: (n) => (between(n, 500, 599) || n === 609 ? null : undefined) }));
  assert.equal(flaky.gap_ms, 2000);
  assert.equal(flaky.recovery_ms, deadline(610) - E); // 2275
  // back for only 9 frames before the end: no recovery
  const short = computeMetrics(build({ frames: 609, plan: (n) => (between(n, 500, 599) ? null : undefined) }));
  assert.equal(short.recovery_ms, null);
  assert.equal(short.success, false);
});

test('two separate gaps: gap_ms is the longer, recovery follows it; the earlier one wins a tie', () => {
  const m = computeMetrics(build({ plan: (n) => (between(n, 500, 509) || between(n, 700, 729) ? null : undefined) }));
  assert.equal(m.gap_ms, 600);
  assert.equal(m.concealed_ms, 800);
  assert.equal(m.recovery_ms, deadline(730) - E);     // 4675
  assert.equal(m.direct_ms, sent(510) + 30 - E);      // 225: D = 500, first direct after it is 510
  const tie = computeMetrics(build({ plan: (n) => (between(n, 500, 509) || between(n, 700, 709) ? null : undefined) }));
  assert.equal(tie.gap_ms, 200);
  assert.equal(tie.recovery_ms, deadline(510) - E);   // 275
});

test('duplicates are ignored: only the earliest arrival of a seq counts, in any log order', () => {
  const dup = build({
    plan: (n) => (n === 600 ? [{ delay: 30 }, { delay: 10, path: 'relay' }] : [{ delay: 30 }, { delay: 200, path: 'relay' }]),
    extra: [
      ev(sent(300), 'answerer', 'audio.sent', { seq: 300, path: 'relay' }),      // sender duplicate
      ev(sent(300) + 1, 'mobile', 'audio.recv', { seq: 5000, path: 'direct', sentAt: 0 }), // never sent
    ],
  });
  for (const log of [dup, [...dup].reverse()]) {
    const m = computeMetrics(log);
    assert.deepEqual(counts(m), [1000, 1000, 0, 0]);
    assert.equal(m.gap_ms, 0);
    assert.equal(m.recovery_ms, 5);
    assert.equal(m.direct_ms, sent(601) + 30 - E);    // 600's first arrival was the relay copy: D = 600
  }
  // a late duplicate does not rescue a frame, an early one does
  const m2 = computeMetrics(build({ plan: (n) => (n === 500 ? [{ delay: 120 }, { delay: 400, path: 'relay' }] : undefined) }));
  assert.deepEqual(counts(m2), [1000, 999, 1, 0]);
});

test('no event.fired: E is the first frame, after-event metrics cover the whole run', () => {
  const m = computeMetrics(build({
    eventAt: null,
    plan: (n) => (between(n, 100, 124) ? null : undefined),
    extra: [ev(T0 - 500, 'mobile', 'signal.sent', { kind: 'offer' }), ev(T0 + 5000, 'answerer', 'signal.sent', { kind: 'x' }),
      ev(T0 + 3000, 'mobile', 'netchange.detected', { via: 'netlink' })],
  }));
  assert.equal(m.event_t, null);
  assert.equal(m.gap_ms, 500);
  assert.equal(m.recovery_ms, deadline(125) - T0);    // 2610
  assert.equal(m.direct_ms, sent(125) + 30 - T0);     // 2530: D = 100
  assert.equal(m.signal_msgs, 2);
  assert.equal(m.detect_ms, 3000);
  assert.equal(m.pre_event_concealed, 0);
  assert.equal(m.success, true);
});

test('detect_ms, limit_ms and limit_standby_ms arithmetic; null when an input is missing', () => {
  const extra = [
    ev(E - 5, 'mobile', 'netchange.detected', { via: 'netlink' }),   // before E - 1: ignored
    ev(E + 300, 'answerer', 'netchange.detected', { via: 'liveness' }),
    ev(E + 120.5, 'mobile', 'netchange.detected', { via: 'netlink' }),
  ];
  const log = build({ extra });
  const m = computeMetrics(log, { rttMobileIntermediateMs: 40, rttIntermediateAnswererMs: 25, rttStandbyMs: 12 });
  assert.equal(m.detect_ms, 120.5);
  assert.equal(m.limit_ms, 185.5);
  assert.equal(m.limit_standby_ms, 132.5);
  const noIA = computeMetrics(log, { rttMobileIntermediateMs: 40, rttStandbyMs: 12 });
  assert.equal(noIA.limit_ms, null);
  assert.equal(noIA.limit_standby_ms, 132.5);
  const noStandby = computeMetrics(log, { rttMobileIntermediateMs: 40, rttIntermediateAnswererMs: 25 });
  assert.equal(noStandby.limit_ms, 185.5);
  assert.equal(noStandby.limit_standby_ms, null);
  const noDetect = computeMetrics(build(), { rttMobileIntermediateMs: 40, rttIntermediateAnswererMs: 25, rttStandbyMs: 12 });
  assert.equal(noDetect.detect_ms, null);
  assert.equal(noDetect.limit_ms, null);
  assert.equal(noDetect.limit_standby_ms, null);
  // exactly E - 1 still counts (a detection racing the harness's own timestamp)
  assert.equal(computeMetrics(build({ extra: [ev(E - 1, 'mobile', 'netchange.detected', { via: 'netlink' })] })).detect_ms, -1);
});

test('limit_ms of a stream already relayed before the event: detect + RTT mobile-intermediate only', () => {
  const rtts = { rttMobileIntermediateMs: 40, rttIntermediateAnswererMs: 25 };
  const detected = [ev(E + 120.5, 'mobile', 'netchange.detected', { via: 'netlink' })];
  // relayed until the last frame sent before E; direct afterwards: the relay floor without the answerer leg
  const relayed = build({ extra: detected, plan: (n) => (sent(n) < E ? { delay: 30, path: 'relay' } : undefined) });
  assert.equal(computeMetrics(relayed, rtts).limit_ms, 160.5);
  assert.equal(computeMetrics(relayed, { rttMobileIntermediateMs: 40 }).limit_ms, 160.5, 'the answerer leg is not needed');
  // direct until E, relayed after it: the full floor
  const bridged = build({ extra: detected, plan: (n) => (sent(n) < E ? undefined : { delay: 30, path: 'relay' }) });
  assert.equal(computeMetrics(bridged, rtts).limit_ms, 185.5);
});

test('signal_msgs counts signal.sent from every role at or after E only', () => {
  const m = computeMetrics(build({
    extra: [
      ev(E - 100, 'mobile', 'signal.sent', { kind: 'offer' }),
      ev(E, 'mobile', 'signal.sent', { kind: 'candidate' }),
      ev(E + 50, 'mobile', 'signal.sent', { kind: 'candidate' }),
      ev(E + 60, 'answerer', 'signal.sent', { kind: 'answer' }),
      ev(E + 70, 'answerer', 'signal.recv', { kind: 'candidate' }),
    ],
  }));
  assert.equal(m.signal_msgs, 3);
});

test('handshakes counts P2P connections once: the receiver\'s handshake.ok with the peer, whole run', () => {
  const m = computeMetrics(build({
    extra: [
      ev(T0 + 1, 'mobile', 'handshake.ok', { remote: 'a', with: 'peer' }),
      ev(T0 + 2, 'mobile', 'handshake.ok', { remote: 'i', with: 'intermediate' }),
      ev(T0 + 3, 'answerer', 'handshake.ok', { remote: 'm', with: 'peer' }),   // the same connection's other end
      ev(E + 10, 'mobile', 'handshake.start', { remote: 'a', with: 'peer' }),
      ev(E + 80, 'mobile', 'handshake.ok', { remote: 'a', with: 'peer' }),
      ev(E + 90, 'answerer', 'handshake.ok', { remote: 'm', with: 'peer' }),
    ],
  }));
  assert.equal(m.handshakes, 2);
});

test('detect_ms counts a detection between the event\'s issue and its stamp (negative), not before', () => {
  const at = (dt: number) => computeMetrics(build({ extra: [ev(E + dt, 'mobile', 'netchange.detected', { via: 'netlink' })] })).detect_ms;
  assert.equal(at(-0.5), -0.5);   // the builder issues the event at E - 1
  assert.equal(at(-1), -1);
  assert.equal(at(-1.5), null);
});

test('relay_bytes is the largest cumulative count, 0 without relay.bytes', () => {
  const m = computeMetrics(build({
    extra: [
      ev(T0 + 1000, 'intermediate', 'relay.bytes', { bytes: 100, packets: 1 }),
      ev(T0 + 3000, 'intermediate', 'relay.bytes', { bytes: 3000, packets: 30 }),
      ev(T0 + 2000, 'intermediate', 'relay.bytes', { bytes: 5000, packets: 50 }),
    ],
  }));
  assert.equal(m.relay_bytes, 5000);
  assert.equal(computeMetrics(build()).relay_bytes, 0);
});

test('pre_event_concealed counts concealed deadlines in [E - 3000, E); gap_ms only frames after E', () => {
  // deadlines in [E - 3000, E) are frames 345..494. 340..349 contributes 345..349, 490..505 contributes 490..494.
  const m = computeMetrics(build({ plan: (n) => (between(n, 340, 349) || between(n, 490, 505) ? null : undefined) }));
  assert.equal(m.pre_event_concealed, 5 + 5);
  assert.equal(m.gap_ms, 11 * 20);                    // 495..505 only
  assert.equal(m.concealed_ms, 26 * 20);
  assert.equal(m.recovery_ms, deadline(506) - E);     // 225
});

test('observe window: frames with deadline after observeEnd - J are not counted', () => {
  const plan = (n: number) => (n >= 950 ? null : undefined);
  // frame 899's deadline is exactly observeEnd - J: included; 900 onwards excluded, drops and all
  const m = computeMetrics(build({ plan }), { observeEndMs: deadline(899) + 80 });
  assert.deepEqual(counts(m), [900, 900, 0, 0]);
  assert.equal(m.concealed_ms, 0);
  assert.equal(m.gap_ms, 0);
  // default observe end = the last event: the arrival of frame 999 at T0 + 20 010, so deadlines up to
  // T0 + 19 930 are observed: frames 0..991
  const byLog = computeMetrics(build({ stopAt: null }));
  assert.deepEqual(counts(byLog), [992, 992, 0, 0]);
  assert.deepEqual(byLog.cpu_s, {});
});

test('direction: with --audio both only answerer -> mobile counts by default; the other way is a parameter', () => {
  const log = build({
    extra: Array.from({ length: 1000 }, (_, n) => [
      ev(sent(n) + 5, 'mobile', 'audio.sent', { seq: n, path: 'direct' }),
      ...(n % 2 ? [] : [ev(sent(n) + 35, 'answerer', 'audio.recv', { seq: n, path: 'direct', sentAt: sent(n) + 5 })]),
    ]).flat(),
  });
  const m = computeMetrics(log);
  assert.deepEqual(counts(m), [1000, 1000, 0, 0]);
  const back = computeMetrics(log, { direction: { sender: 'mobile', receiver: 'answerer' } });
  assert.deepEqual(counts(back), [1000, 500, 0, 500]);
  assert.equal(back.gap_ms, 20);
  assert.equal(back.recovery_ms, null);
});

test('an empty or malformed log does not crash', () => {
  const m = computeMetrics([]);
  assert.deepEqual(counts(m), [0, 0, 0, 0]);
  assert.equal(m.success, false);
  assert.equal(m.event_t, null);
  const junk = computeMetrics([ev(T0, 'answerer', 'audio.sent', { seq: 'x' }), ev(T0, 'mobile', 'audio.recv', {}),
    { t: Number.NaN, role: 'harness', type: 'event.fired' }]);
  assert.deepEqual(counts(junk), [0, 0, 0, 0]);
  assert.throws(() => computeMetrics([], { frameMs: 0 }), /frameMs/);
});

test('the glossary has one sentence for every metric, METRIC_ORDER lists each once', () => {
  const keys = Object.keys(computeMetrics(build())).sort();
  assert.deepEqual(Object.keys(METRIC_GLOSSARY).sort(), keys);
  assert.deepEqual([...METRIC_ORDER].sort(), keys);
  for (const k of keys) assert.match(METRIC_GLOSSARY[k as keyof RunMetrics], /\S.{20,}\.$/);
});

test('playout is relative to the base delay: a 150 ms path with J = 80 conceals nothing', () => {
  const m = computeMetrics(build({ delay: 150 }));
  assert.equal(m.base_delay_ms, 150);
  assert.deepEqual(counts(m), [995, 995, 0, 0]);      // the window keeps deadlines sent + 230 <= T0 + 20 120
  assert.equal(m.gap_ms, 0);
  assert.equal(m.success, true);
  // a frame 81 ms slower than the base delay is late; one 80 ms slower plays
  const m2 = computeMetrics(build({ delay: 150, plan: (n) => (n === 600 ? { delay: 231 } : n === 601 ? { delay: 230 } : undefined) }));
  assert.deepEqual(counts(m2), [995, 994, 1, 0]);
  // D0 is the pre-event window's: a slower path after the event shows as added delay, not a new D0
  const slower = computeMetrics(build({ plan: (n) => (n > 500 ? { delay: 70, path: 'relay' } : undefined) }));
  assert.equal(slower.base_delay_ms, 30);
  assert.equal(slower.added_delay_ms, 40);
  assert.equal(slower.gap_ms, 0);
});

test('switch_ms: the first frame sent at or after E that arrived; null if none did', () => {
  // frames 500..509 lost, then the relay: 501 is the first frame sent after E, 510 the first to arrive
  const m = computeMetrics(build({ plan: (n) => (between(n, 500, 509) ? null : between(n, 510, 549) ? { delay: 50, path: 'relay' } : undefined) }));
  assert.equal(m.switch_ms, sent(510) + 50 - E);      // 245
  const dead = computeMetrics(build({ plan: (n) => (n >= 500 ? null : undefined) }));
  assert.equal(dead.switch_ms, null);
});

test('frames the sender owed but never logged count as lost: skipped seqs, and a sender that died', () => {
  // seqs 600..609 never logged: lost, and they break nothing else
  const skipped = build().filter((e) => !(e.type === 'audio.sent' && between(e['seq'] as number, 600, 609)));
  const m = computeMetrics(skipped);
  assert.deepEqual(counts(m), [1000, 990, 0, 10]);
  assert.equal(m.frames_unsent, 10);
  assert.equal(m.gap_ms, 200);
  // the sender's log ends at frame 699, the window at T0 + 20 200: its schedule owed frames 700..
  const died = build({ frames: 700, stopAt: null });
  const d = computeMetrics(died, { observeEndMs: T0 + 20_200 });
  assert.equal(d.frames_unsent, 1001 - 700);          // deadlines sent + 110 up to T0 + 20 120: frames up to 1000
  assert.equal(d.frames_lost, 301);
  assert.equal(d.recovery_ms, null);
  assert.equal(d.success, false);
  // without a known observe end the schedule is not extended past the log
  assert.equal(computeMetrics(died).frames_unsent, 0);
});

test('docs/metrics.md defines every metric with the glossary\'s own sentence', () => {
  const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  for (const k of METRIC_ORDER) assert.ok(doc.includes(`| \`${k}\` | ${METRIC_GLOSSARY[k]} |`), `docs/metrics.md: ${k} differs from METRIC_GLOSSARY`);
});
