// libwebrtc (Chrome's WebRTC through @roamhq/wrtc): after Wi-Fi → cellular across port-restricted NATs the
// app's netlink trigger restarts ICE on the one PeerConnection, and the call moves from the Wi-Fi
// uplink (the only one the phone-like default lets it use) to cellular without a second DTLS handshake;
// with media=track the audio is libwebrtc's own (Opus, NetEQ) and so is received.wav.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { readWav } from '../../core/wav.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, mobileIceAfterEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

/** Wi-Fi → cellular across port-restricted NATs; 6 s after it: the answerer keeps its old pair until it
 *  stops receiving (2.5 s) plus libwebrtc's 1 s switching delay (docs/strategies.md "libwebrtc"). */
const run = (options: Record<string, string>) => runJudged({ ...DEFAULT_SPEC, strategy: 'libwebrtc', options,
  links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' }, warmupS: 3.5, observeS: 6 }, bench);

test('libwebrtc trigger=app, port-restricted NATs, wifi-to-cellular: an ICE restart moves the call from Wi-Fi to cellular', async () => {
  const r = await run({ trigger: 'app' });
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  assert.equal(m.handshakes, 1, 'the restart must keep the PeerConnection and its data channel');
  const events = mergeLogs(r.dir);
  const { restarted, ice, timeline } = mobileIceAfterEvent(events);
  assert.ok(restarted.size > 0, `no ICE restart after the event:\n${timeline}`);
  // the OS model: before the event only the Wi-Fi address may send, after it only the cellular one
  const blocked = events.filter((e) => e.type === 'uplinks.blocked').map((e) => e.blocked as string[]);
  assert.equal(blocked.length, 2, JSON.stringify(blocked));
  const [cellular, wifi] = [blocked[0]![0]!, blocked[1]![0]!];
  /** The mobile's own address the last selected pair of generations `gens` leaves from: its local
   *  candidate's base (a srflx candidate's raddr), found among the candidates the mobile gathered. */
  const base = (gens: (g: number) => boolean): string | undefined => {
    const local = ice.filter((e) => e.type === 'ice.pair' && gens(e.gen as number)).at(-1)?.local as string | undefined;
    const [ip, port] = (local?.split(' ')[1] ?? '').split(':');
    const c = ice.find((e) => e.type === 'ice.local' && gens(e.gen as number) && String(e.candidate).includes(` ${ip} ${port} typ`));
    return c ? (/ raddr (\S+)/.exec(String(c.candidate))?.[1] ?? ip) : undefined;
  };
  assert.equal(base((g) => g === 0), wifi, `before the event the call should leave over Wi-Fi:\n${timeline}`);
  assert.equal(base((g) => restarted.has(g)), cellular, `after it, over cellular:\n${timeline}`);
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    assert.equal(events.find((e) => e.type === 'role.exit' && e.of === role)?.code, 0, `${role} exit status`);
  }
});

test('libwebrtc media=track: received.wav is libwebrtc\'s playout, its concealment counters are logged, the frame metrics still apply', async () => {
  const r = await run({ media: 'track' });
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  assert.ok(m.gap_ms >= 100, `a handover gap is expected (gap ${m.gap_ms} ms)`);
  const { info, pcm } = readWav(readFileSync(path.join(r.dir, 'received.wav')));
  const seconds = pcm.length / 2 / info.sampleRate;
  assert.equal(info.sampleRate, 16000);
  assert.ok(seconds > 3.5 + 1, `received.wav holds ${seconds.toFixed(1)} s of playout`);
  const events = mergeLogs(r.dir);
  const eventAt = events.find((e) => e.type === 'event.fired')!.t;
  const counters = events.filter((e) => e.type === 'rtc.audio');
  const at = (t: number) => counters.filter((e) => e.t <= t).at(-1)!;
  // NetEQ concealed through the gap: at least half of it in 48 kHz samples
  const concealed = (at(eventAt + m.gap_ms + 300).concealedSamples as number) - (at(eventAt).concealedSamples as number);
  assert.ok(concealed >= (m.gap_ms / 1000) * 48000 * 0.5, `libwebrtc concealed ${concealed} samples over a ${m.gap_ms} ms gap`);
  assert.ok(events.some((e) => e.type === 'timeline.mark' && e.what === 'libwebrtc conceals' && e.t > eventAt), 'no concealment mark after the event');
});
