// The events table (harness/network-events.ts) and the testbed's handlers agree; parsing, keys and
// the uplinks after each event come from the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PYTHON, REPO } from '../../harness/paths.ts';
import { checkHandlers, EVENT_KINDS, eventKeys, eventsHelp, parseEvent, uplinksAfter, type TestbedHandlers } from '../../harness/network-events.ts';

/** What the driver reports at build, without building: topologies/events.py HANDLERS. */
function testbedHandlers(): TestbedHandlers {
  const script = 'import json; from topologies.events import HANDLERS; print(json.dumps({k: {"targeted": h.targeted} for k, h in HANDLERS.items()}))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { cwd: REPO, encoding: 'utf8' })) as TestbedHandlers;
}

test('every testbed event of the table has a handler in topologies/events.py, described alike, and no handler is missing from the table', () => {
  const handlers = testbedHandlers();
  checkHandlers(handlers);
  assert.deepEqual(Object.keys(handlers).sort(), EVENT_KINDS.filter((k) => k.by === 'testbed').map((k) => k.name).sort());
});

test('checkHandlers refuses a table entry the testbed cannot fire, or describes differently', () => {
  const handlers = testbedHandlers();
  const { blackout: _, ...withoutBlackout } = handlers;
  assert.throws(() => checkHandlers(withoutBlackout), /'blackout' .* no handler/);
  assert.throws(() => checkHandlers({ ...handlers, 'nat-rebind': { targeted: false } }), /'nat-rebind': .*targeted=true/);
});

test('parseEvent: kind, seconds and target; durations must be positive', () => {
  assert.deepEqual(parseEvent('blackout:0.5@cellular'), { kind: EVENT_KINDS.find((k) => k.name === 'blackout'), seconds: 0.5, target: 'cellular' });
  assert.equal(parseEvent('intermediate-down:2').kind.by, 'harness');
  assert.equal(parseEvent('handover:800').seconds, 0.8, 'a duration in ms is kept in seconds');
  assert.throws(() => parseEvent('handover:0'), /at most 3600000 ms/);
  assert.throws(() => parseEvent('handover'), /handover:<ms>/);
  assert.equal(eventKeys().h, 'handover:2000');
  assert.deepEqual(uplinksAfter('handover:800'), { route: 'cellular', surviving: 'cellular' });
  for (const bad of ['blackout', 'blackout:0', 'wifi-to-cellular:2', 'intermediate-down:2@wifi', 'blackout:2@wifi@wifi']) assert.throws(() => parseEvent(bad), Error, bad);
});

test('the live view has a key per testbed event, and --help a line per event', () => {
  const keys = eventKeys();
  assert.equal(new Set(Object.keys(keys)).size, Object.keys(keys).length);
  for (const k of EVENT_KINDS.filter((x) => x.by === 'testbed')) assert.ok(Object.values(keys).some((v) => parseEvent(v).kind === k), k.name);
  assert.equal(eventsHelp().length, EVENT_KINDS.length);
});

test('uplinksAfter: switches move the route; events on a Wi-Fi uplink leave cellular as the surviving path', () => {
  assert.deepEqual(uplinksAfter('wifi-to-cellular'), { route: 'cellular', surviving: 'cellular' });
  assert.deepEqual(uplinksAfter('cellular-to-wifi'), { route: 'wifi', surviving: 'wifi' });
  assert.deepEqual(uplinksAfter('blackout:2'), { route: 'wifi', surviving: 'cellular' });
  assert.deepEqual(uplinksAfter('nat-rebind@cellular'), { route: 'wifi', surviving: 'wifi' });
  assert.deepEqual(uplinksAfter('answerer-rebind'), { route: 'wifi', surviving: 'wifi' });
  assert.deepEqual(uplinksAfter('intermediate-down:2'), { route: 'wifi', surviving: 'wifi' });
});
