// TURN bytes are counted when only one side's relay candidate is selected: the mobile gathers
// relay candidates only (--opt relayOnly=mobile), the answerer reaches the mobile's relay address
// straight from its own (host/srflx) candidate. The audio then enters coturn on a relay port and
// leaves it as ChannelData on the TURN port — the leg the old sport-in-relay-range count missed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { FRAME_HEADER_BYTES } from '../../strategies/shared/audio.ts';
import { runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

test('ice-restart, relay candidate on the mobile only: relay_bytes counts the relayed audio', async () => {
  const r = await runJudged({
    ...DEFAULT_SPEC, strategy: 'ice-restart', event: 'none', options: { relayOnly: 'mobile' },
    links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' }, warmupS: 3.2, observeS: 4,
  }, bench);
  const events = mergeLogs(r.dir);
  const pair = (role: string) => events.find((e) => e.role === role && e.type === 'ice.pair');
  const mobile = pair('mobile'), answerer = pair('answerer');
  assert.match(String(mobile?.local), /^relay /, `mobile: ${JSON.stringify(mobile)}`);
  assert.ok(answerer && !String(answerer.local).startsWith('relay '), `answerer: ${JSON.stringify(answerer)}`);

  // the frames' mean size on the wire (Opus packets vary: VBR)
  const sent = events.filter((e) => e.role === 'answerer' && e.type === 'audio.sent' && typeof e.bytes === 'number');
  assert.ok(sent.length > 100 && r.metrics.media_bytes > 0, 'the answerer logged its frames\' sizes');
  const frame = r.metrics.media_bytes / sent.length;
  assert.ok(frame > FRAME_HEADER_BYTES && frame < 200, `an Opus frame of ${frame} B`);
  const relayed = events.filter((e) => e.role === 'mobile' && e.type === 'audio.recv').length;
  assert.ok(relayed > 100, `only ${relayed} frames arrived`);
  // Each frame once, plus DTLS and SCTP framing, plus the mobile's SACKs the other way.
  const perFrame = r.metrics.relay_bytes / relayed;
  console.log(`relay_bytes ${r.metrics.relay_bytes} for ${relayed} frames of ${frame.toFixed(1)} B: ${perFrame.toFixed(1)} B per frame`);
  assert.ok(perFrame > frame && perFrame < frame + 200, `relay_bytes ${r.metrics.relay_bytes} is not about ${relayed} × ${frame.toFixed(1)} B`);
  // WebRTC's own upkeep (ICE checks, consent, TURN refreshes) is counted at each peer that sends it
  const upkeep = (role: string) => Math.max(0, ...events.filter((e) => e.role === role && e.type === 'overhead.bytes').map((e) => e.keepalive as number));
  console.log(`STUN upkeep sent: mobile ${upkeep('mobile')} B, answerer ${upkeep('answerer')} B; keepalive_bps ${r.metrics.keepalive_bps}`);
  assert.ok(upkeep('mobile') > 0 && upkeep('answerer') > 0);
});
