import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRecords, setAsideAttempt } from '../../harness/records.ts';

test('an attempt made again keeps its folder under set-aside/, where no record is read', () => {
  const bench = mkdtempSync(path.join(os.tmpdir(), 'setaside-'));
  const run = path.join(bench, 'runs', 'r1');
  mkdirSync(run, { recursive: true });
  writeFileSync(path.join(run, 'meta.json'), JSON.stringify({ id: 'r1', status: 'ok', noisy: 'a wire 50 ms late' }));
  writeFileSync(path.join(run, 'events.mobile.jsonl'), '{"t":1}\n');
  assert.equal(readRecords(bench).length, 1);

  assert.equal(setAsideAttempt(bench, 'r1', 1), path.join('set-aside', 'r1', 'attempt-1'));
  assert.equal(existsSync(run), false, 'the run folder is free for the next attempt');
  assert.equal(readFileSync(path.join(bench, 'set-aside/r1/attempt-1/events.mobile.jsonl'), 'utf8'), '{"t":1}\n', 'its logs are kept');
  assert.equal(readRecords(bench).length, 0, 'a set-aside attempt is not a record');
  assert.equal(setAsideAttempt(bench, 'r1', 2), undefined, 'no folder (the attempt left none): nothing to keep');
});
