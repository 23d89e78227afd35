// chromium (Debian's headless Chromium, the libwebrtc strategy's app over the DevTools protocol): after
// Wi-Fi → cellular across port-restricted NATs the app's netlink trigger restarts ICE in the browser's
// one PeerConnection and the call moves from the Wi-Fi uplink (the only one Chromium's
// default-route policy lets WebRTC use) to cellular without a second DTLS handshake; the browsers are
// gone afterwards, and so are their profiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, leftovers, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

test('chromium trigger=app, port-restricted NATs, wifi-to-cellular: the browser restarts ICE and moves the call from Wi-Fi to cellular', async () => {
  // 6 s after the event: the answerer's browser keeps its old pair 2.5 s + 1 s, as libwebrtc does
  const r = await runJudged({ ...DEFAULT_SPEC, strategy: 'chromium', options: { trigger: 'app' },
    links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' }, warmupS: 3.5, observeS: 6 }, bench);
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true, `no recovery (gap ${m.gap_ms} ms)`);
  assert.equal(m.handshakes, 1, 'the restart must keep the PeerConnection and its data channel');
  const events = mergeLogs(r.dir);
  // from the event's issue, as detect_ms counts (docs/metrics.md): the host may be told of the change before E's stamp
  const issuedAt = events.find((e) => e.type === 'event.fired')!.tIssued as number;
  assert.ok(events.some((e) => e.type === 'ice.restart' && e.gen === 1 && e.t >= issuedAt), 'no ICE restart after the event');
  // Chromium hides a candidate's base (raddr 0.0.0.0) and host addresses (mDNS), so the uplink shows
  // as the NAT that mapped it: one reflexive address per generation, a different one after the change
  const srflx = (gen: number) => new Set(events.filter((e) => e.role === 'mobile' && e.type === 'ice.local' && e.gen === gen)
    .map((e) => / (\S+) \d+ typ srflx/.exec(String(e.candidate))?.[1]).filter((a) => a !== undefined));
  const [before, after] = [srflx(0), srflx(1)];
  assert.equal(before.size, 1, `gen 0: one uplink only (the default route's), got ${[...before].join(', ')}`);
  assert.equal(after.size, 1, `gen 1: one uplink only, got ${[...after].join(', ')}`);
  assert.notDeepEqual(before, after, 'the restart must gather on the new default network');
  const pairIp = (gen: number) => String(events.filter((e) => e.role === 'mobile' && e.type === 'ice.pair' && e.gen === gen).at(-1)?.local).split(' ')[1]?.split(':')[0];
  assert.equal(pairIp(0), [...before][0], 'before the event the call should leave over Wi-Fi');
  assert.equal(pairIp(1), [...after][0], 'after it, over cellular');
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    assert.equal(events.find((e) => e.type === 'role.exit' && e.of === role)?.code, 0, `${role} exit status`);
  }
  assert.deepEqual(readdirSync(r.dir).filter((f) => f.startsWith('chromium-') && !f.endsWith('.log')), [], 'a browser profile was left in the run folder');
  assert.ok(existsSync(path.join(r.dir, 'chromium-mobile.log')), 'the browser\'s output is in the run folder');
  assert.deepEqual(leftovers().filter((p) => /lib\/chromium\/chromium/.test(p)), [], 'a browser process outlived its role');
});
