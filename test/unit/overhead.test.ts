// The shared overhead counter: logged while it moves, and once more at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventLogger } from '../../core/events.ts';
import { logOverhead, overhead } from '../../strategies/shared/overhead.ts';

test('overhead.bytes: cumulative, logged each second while it moves and at stop', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'migbench-overhead-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'events.mobile.jsonl');
  const log = new EventLogger('mobile', file);
  const stop = logOverhead(log);
  overhead.keepalive += 48;
  await new Promise((r) => setTimeout(r, 1100));
  await new Promise((r) => setTimeout(r, 1000));   // nothing moved: nothing logged
  overhead.duplicate += 100;
  stop();
  await log.close();
  const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.type, e.keepalive, e.duplicate]),
    [['overhead.bytes', 48, 0], ['overhead.bytes', 48, 100]]);
});
