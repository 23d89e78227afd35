// iroh (@number0/iroh 1.1.0): across port-restricted NATs the connection starts through the
// intermediate's iroh relay (iroh's own path list says so, and the relay forwarded its packets), goes
// direct by itself before the event, and after Wi-Fi → cellular is direct again to the mobile's new
// reflexive address (docs/strategies.md "iroh").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { assertCleanBeforeEvent, runJudged } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

interface PathView { remote: string; relay: boolean; selected: boolean }
const selected = (e: Record<string, unknown>) => (e.paths as PathView[]).find((p) => p.selected);

test('iroh, port-restricted NATs, wifi-to-cellular: starts on the relay, goes direct by itself, direct again after the change', async () => {
  const r = await runJudged({ ...DEFAULT_SPEC, strategy: 'iroh', observeS: 6 }, bench);
  const m = r.metrics;
  assertCleanBeforeEvent(m);
  assert.equal(m.success, true);
  const events = mergeLogs(r.dir);
  const fired = events.find((e) => e.type === 'event.fired')!.t;
  const answerer = events.filter((e) => e.type === 'iroh.paths' && e.role === 'answerer');
  assert.ok(answerer.length > 0, 'iroh\'s paths logged');
  assert.equal(selected(answerer[0]!)?.relay, true, `first path: ${JSON.stringify(answerer[0]!.paths)}`);
  const before = answerer.filter((e) => e.t < fired).map(selected);
  assert.equal(before.at(-1)?.relay, false, 'direct before the event');
  const relayed = events.filter((e) => e.type === 'relay.bytes' && e.relay === 'iroh').at(-1);
  assert.ok(relayed && Number(relayed.packets) > 0, 'the intermediate\'s iroh relay forwarded packets');
  // the mobile's new reflexive address (told on the route change), and iroh direct to it
  const external = events.filter((e) => e.type === 'iroh.external' && e.role === 'mobile').map((e) => ({ t: e.t, addr: String(e.addr) }));
  const moved = external.find((x) => x.t > fired);
  assert.ok(moved && moved.addr !== external[0]!.addr, `the mobile's reflexive address after the change: ${JSON.stringify(external)}`);
  const after = answerer.filter((e) => e.t > fired).map(selected);
  assert.ok(after.some((p) => p && !p.relay && p.remote === moved.addr), `direct to ${moved.addr} after the change: ${JSON.stringify(after)}`);
  assert.ok(m.recovery_ms !== null, 'recovered');
  // the intermediate's relay closes its WebSockets too: every role exits in time, by itself
  assert.deepEqual(events.filter((e) => e.type === 'role.exit').map((e) => `${e.of} ${String(e.code)}`).sort(), ['answerer 0', 'intermediate 0', 'mobile 0']);
});
