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
import { assertCleanBeforeEvent, leftovers, mobileIceAfterEvent, runJudged } from './helpers.ts';

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
  const { restarted, ice, timeline } = mobileIceAfterEvent(events);
  assert.ok(restarted.size > 0, `no ICE restart after the event:\n${timeline}`);
  // Chromium hides a candidate's base (raddr 0.0.0.0) and host addresses (mDNS), so the uplink shows
  // as the NAT that mapped it: one reflexive address before the change, one other after it
  const srflx = (gens: (g: number) => boolean) => new Set(ice.filter((e) => e.type === 'ice.local' && gens(e.gen as number))
    .map((e) => / (\S+) \d+ typ srflx/.exec(String(e.candidate))?.[1]).filter((a) => a !== undefined));
  const [before, after] = [srflx((g) => g === 0), srflx((g) => restarted.has(g))];
  assert.equal(before.size, 1, `gen 0: one uplink only (the default route's), got ${[...before].join(', ')}`);
  assert.equal(after.size, 1, `after the event: one uplink only, got ${[...after].join(', ')}:\n${timeline}`);
  assert.notDeepEqual(before, after, 'the restart must gather on the new default network');
  const pairIp = (gens: (g: number) => boolean) => String(ice.filter((e) => e.type === 'ice.pair' && gens(e.gen as number)).at(-1)?.local)
    .split(' ')[1]?.split(':')[0];
  assert.equal(pairIp((g) => g === 0), [...before][0], 'before the event the call should leave over Wi-Fi');
  assert.equal(pairIp((g) => restarted.has(g)), [...after][0], `after it, over cellular:\n${timeline}`);
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    assert.equal(events.find((e) => e.type === 'role.exit' && e.of === role)?.code, 0, `${role} exit status`);
  }
  assert.deepEqual(readdirSync(r.dir).filter((f) => f.startsWith('chromium-') && !f.endsWith('.log')), [], 'a browser profile was left in the run folder');
  assert.ok(existsSync(path.join(r.dir, 'chromium-mobile.log')), 'the browser\'s output is in the run folder');
  assert.deepEqual(leftovers().filter((p) => /lib\/chromium\/chromium/.test(p)), [], 'a browser process outlived its role');
});
