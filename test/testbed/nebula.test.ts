// nebula (Debian's nebula 1.6.1): across port-restricted NATs the peers' tunnel goes through the
// lighthouse's relay (as nebula's own log says, and the relay's counters agree), Wi-Fi → cellular is
// followed by nebula's roaming alone, and no nebula (nor its TUN, nor a namespace) outlives the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, leftovers, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

test('nebula, port-restricted NATs, wifi-to-cellular: a relayed tunnel, recovered by nebula alone, nothing left behind', async () => {
  const r = await runJudged({ ...DEFAULT_SPEC, strategy: 'nebula', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
    warmupS: 3.5, observeS: 6 }, bench);
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  const events = mergeLogs(r.dir);
  const tunnel = events.filter((e) => e.type === 'nebula.tunnel' && e.role === 'answerer').map((e) => e.path);
  assert.equal(tunnel[0], 'relay', `the answerer's tunnel: ${JSON.stringify(tunnel)}`);
  assert.ok(events.filter((e) => e.type === 'audio.sent' && e.role === 'answerer').every((e) => e.path === 'relay'), 'frames labelled as the tunnel goes');
  // the relay's own count: every relayed frame, framing removed, so about the media's bytes
  assert.ok(m.relay_pct !== null && m.relay_pct > 90 && m.relay_pct < 115, `relay_pct ${m.relay_pct}`);
  assert.ok(m.keepalive_pct !== null && m.keepalive_pct > 0, 'nebula\'s upkeep counted');
  for (const node of ['lighthouse', 'answerer', 'mobile']) assert.ok(existsSync(path.join(r.dir, `nebula-${node}.log`)), `nebula-${node}.log`);
  assert.deepEqual(leftovers().filter((l) => /nebula -config/.test(l)), []);
});
