import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readWav } from '../../core/wav.ts';
import { PCM } from '../../core/codec.ts';
import { FRAME_MS } from '../../core/playout.ts';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { milestone, roleConfig, startRole } from '../../harness/run/roles.ts';
import { withTestbed } from '../../harness/driver.ts';
import { computeMetrics } from '../../harness/metrics.ts';
import { sleep, assertCleanBeforeEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const spec = (over: Partial<RunSpec>): RunSpec => ({
  ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
  warmupS: 3.5, observeS: 4, ...over,
});

/** Distinct consecutive paths the receiver got frames over after the event. */
function pathsAfterEvent(dir: string): string[] {
  const events = mergeLogs(dir);
  const e = events.find((x) => x.type === 'event.fired')!.t;
  const seq: string[] = [];
  const recv = events.filter((x) => x.type === 'audio.recv' && x.role === 'mobile');
  let last = recv.filter((x) => x.t < e).pop()?.path as string;
  seq.push(last);
  for (const x of recv) {
    if (x.t >= e && x.path !== last) { last = x.path as string; seq.push(last); }
  }
  return seq;
}

for (const event of ['wifi-to-cellular', 'nat-rebind']) {
  test(`relay-repunch, port-restricted NATs, broadband, ${event}: relay bridges, direct returns, gap < 500 ms`, async () => {
    const both = event === 'wifi-to-cellular';   // one of the two also streams mobile -> answerer; the other sends PCM
    const r = await runJudged(spec({ event, audio: both ? 'both' : 'answerer-to-mobile', ...(both ? {} : { codec: PCM }) }), bench);
    const m = r.metrics;
    assertCleanBeforeEvent(m);
    assert.equal(m.success, true);
    assert.ok(m.direct_ms !== null, 'the direct path never came back');
    assert.ok(m.gap_ms < 500, `gap ${m.gap_ms} ms`);
    assert.ok(m.handshakes >= 2, `handshakes ${m.handshakes}: no new P2P connection`);
    assert.ok(m.detect_ms !== null && m.detect_ms < 400, `detected after ${m.detect_ms} ms`);
    assert.deepEqual(pathsAfterEvent(r.dir), ['direct', 'relay', 'direct']);
    assert.ok(m.relay_bytes > 0);
    assert.deepEqual(readdirSync(r.dir).filter((f) => f.endsWith('.pcap') || f.startsWith('keys.')), [], 'capture is off by default');
    const wav = readWav(readFileSync(path.join(r.dir, 'received.wav')));
    const frames = wav.pcm.length / (wav.info.sampleRate * 2 * FRAME_MS / 1000);
    const recv = mergeLogs(r.dir).filter((x) => x.type === 'audio.recv' && x.role === 'mobile').map((x) => x.seq as number);
    assert.equal(frames, Math.max(...recv) - Math.min(...recv) + 1, 'received.wav covers first..last frame');
    const silent = Array.from({ length: frames }, (_, k) => wav.pcm.subarray(k * 640, (k + 1) * 640).every((b) => b === 0)).filter(Boolean).length;
    if (both) {   // Opus: small frames, and received.wav is libopus' playout, concealment included
      assert.ok(m.media_bytes > 0 && m.media_bytes / m.frames_sent < 120, `${m.media_bytes} bytes for ${m.frames_sent} frames`);
      assert.equal(silent, 0, 'no concealed frame of an Opus playout is silence');
      assert.ok(m.audible_ms <= m.concealed_ms);
    } else {      // --codec pcm: today's 654-byte frames, and every concealed frame is audible silence
      assert.equal(m.media_bytes % 654, 0);
      assert.ok(m.media_bytes >= 654 * (m.frames_sent - m.frames_unsent - m.frames_lost), `${m.media_bytes} bytes`);
      assert.equal(m.audible_ms, m.concealed_ms);
      assert.equal(m.fec_frames, 0);
      if (m.gap_ms > 0) assert.ok(silent > 0, 'a PCM gap is silence in received.wav');
    }
    if (both) {
      const back = computeMetrics(mergeLogs(r.dir), { direction: { sender: 'mobile', receiver: 'answerer' }, observeEndMs: r.meta.observeEnd as number });
      assertCleanBeforeEvent(back, 'mobile -> answerer broke before the event');
      assert.equal(back.success, true, 'mobile -> answerer did not recover');
      assert.ok(back.frames_on_time > 100);
      assert.ok(readWav(readFileSync(path.join(r.dir, 'received.answerer.wav'))).pcm.length > 0);
    }
  });
}

test('relay-repunch, handover:500: nothing crosses until the OS moves the default route to cellular; it recovers after that', async () => {
  const r = await runJudged(spec({ event: 'handover:500' }), bench);
  assert.equal(r.meta.status, 'ok', String(r.meta.error));
  assertCleanBeforeEvent(r.metrics);
  assert.equal(r.metrics.success, true);
  const events = mergeLogs(r.dir);
  const E = events.find((e) => e.type === 'event.fired')!.t;
  const route = events.find((e) => e.type === 'event.step' && e['step'] === 'route');
  assert.ok(route && Math.abs(route.t - E - 500) < 100, `route step at ${route ? route.t - E : 'none'} ms`);
  assert.ok(r.metrics.recovery_ms !== null && r.metrics.recovery_ms > 500, `recovered ${r.metrics.recovery_ms} ms after E, before the route change`);
});

test('relay-repunch, detect=probe, wifi-fade:3: its probes find Wi-Fi dead and it moves to cellular before the OS drops Wi-Fi, with no netlink', async () => {
  const r = await runJudged(spec({ event: 'wifi-fade:3', options: { detect: 'probe' } }), bench);
  assert.equal(r.meta.status, 'ok', String(r.meta.error));
  assertCleanBeforeEvent(r.metrics);
  assert.equal(r.metrics.success, true);
  const events = mergeLogs(r.dir);
  const E = events.find((e) => e.type === 'event.fired')!.t;
  const detected = events.filter((e) => e.type === 'netchange.detected' && e.role === 'mobile');
  assert.ok(!detected.some((e) => e['via'] === 'netlink'), 'netlink is not watched with detect=probe');
  const probe = detected.find((e) => e['via'] === 'probe');
  assert.ok(probe && probe.t > E && probe.t < E + 3000, `probe detection at ${probe ? probe.t - E : 'none'} ms (the OS drops Wi-Fi at 3000)`);
  const moved = events.find((e) => e.type === 'uplink.moved');
  assert.equal(moved?.['to'], 'cellular');
  assert.ok(r.metrics.recovery_ms !== null && r.metrics.recovery_ms < 3000, `recovered ${r.metrics.recovery_ms} ms after E`);
});

test('relay-repunch, media=stream and settleMs=200, 3 % loss on Wi-Fi: every frame arrives before the event (a reliable stream), the signal waits 200 ms after the detection, and it recovers', async () => {
  const lossy = { answerer: 'broadband', wifi: 'custom:delay=10,loss=3', cellular: 'broadband' };
  const r = await runJudged(spec({ links: lossy, options: { media: 'stream', settleMs: '200' } }), bench);
  assert.equal(r.meta.status, 'ok', String(r.meta.error));
  assert.equal(r.metrics.success, true);
  assert.ok(r.metrics.direct_ms !== null, 'the direct path never came back');
  const events = mergeLogs(r.dir);
  const fired = events.find((e) => e.type === 'event.fired')!;
  const E = fired.t;
  const recv = events.filter((e) => e.type === 'audio.recv' && e.role === 'mobile' && e.t < E);
  // from the first frame on the P2P connection (the relay carries the first ones, as datagrams)
  const first = recv.find((e) => e['path'] === 'direct')!.seq as number;
  const before = new Set(recv.map((e) => e.seq as number).filter((q) => q >= first));
  const span = Math.max(...before) - first + 1;
  // as DATAGRAMs, 3 % loss would leave all of ≈ 150 frames with a chance of 1 %
  assert.equal(before.size, span, `${span - before.size} of ${span} frames never arrived before the event`);
  // from the event's issue: the netlink detection may come before E, stamped once the command returned
  const mobile = events.filter((e) => e.role === 'mobile' && e.t > (fired['tIssued'] as number));
  const detected = mobile.find((e) => e.type === 'netchange.detected')!.t;
  const signalled = mobile.find((e) => e.type === 'signal.sent' && e['kind'] === 'address-change')!.t;
  // (a timer may fire a fraction of a ms early by this clock; without settleMs the signal follows within ms)
  assert.ok(signalled - detected >= 195, `address-change sent ${signalled - detected} ms after the detection`);
});

test('relay-repunch, intercontinental links (one-way delay above J): playout from the base delay, it recovers', async () => {
  const far = { answerer: 'intercontinental', wifi: 'intercontinental', cellular: 'intercontinental' };
  const r = await runJudged(spec({ links: far, observeS: 5 }), bench);
  const m = r.metrics;
  console.log(`intercontinental: base_delay_ms ${m.base_delay_ms}, gap_ms ${m.gap_ms}, recovery_ms ${m.recovery_ms}, added_delay_ms ${m.added_delay_ms}`);
  assert.ok(m.base_delay_ms !== null && m.base_delay_ms > 80, `D0 ${m.base_delay_ms} ms: the path should be slower than J`);
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
});

test('relay-repunch, symmetric cellular vs port-restricted answerer: audio stays on the relay and says so', async () => {
  const r = await runJudged(spec({ nat: { answerer: 'port-restricted', wifi: 'port-restricted', cellular: 'symmetric' } }), bench);
  assert.equal(r.metrics.success, true, 'the relay should carry the audio');
  assert.equal(r.metrics.direct_ms, null);
  assert.deepEqual(pathsAfterEvent(r.dir), ['direct', 'relay']);
});

test('a peer with the wrong pairing secret is not paired and gets no relayed audio', async () => {
  const s = spec({});
  const dir = mkdtempSync(path.join(bench, 'badsecret-'));
  await withTestbed({ nat: s.nat }, async (d, info) => {
    const good = { id: 'pair-1', secret: 'right' };
    const inter = await startRole(d, roleConfig(s, info, 'intermediate', good, dir));
    await milestone(inter, 'ready', 20000);
    const answerer = await startRole(d, roleConfig(s, info, 'answerer', good, dir));
    await milestone(answerer, 'ready', 20000);
    const intruder = await startRole(d, roleConfig(s, info, 'mobile', { id: 'pair-1', secret: 'wrong' }, dir));
    const code = await Promise.race([intruder.exited, sleep(15000).then(() => 'still running')]);
    assert.equal(code, 1, 'the intruder should be refused');
    await Promise.all([answerer.signal('TERM'), inter.signal('TERM')]);
    await Promise.all([answerer.exited, inter.exited]);
  });
  const events = mergeLogs(dir);
  assert.ok(events.some((e) => e.type === 'signal.rejected' && e.why === 'pairing refused'));
  assert.equal(events.filter((e) => e.role === 'answerer' && e.type === 'signal.recv' && e.kind === 'peer').length, 0);
  assert.equal(events.filter((e) => e.type === 'audio.recv').length, 0);
  assert.equal(Math.max(0, ...events.filter((e) => e.type === 'relay.bytes').map((e) => e.bytes as number)), 0);
});
