// Strategies are discovered by folder (strategies/registry.ts): a new folder with an index.ts is a
// strategy, with no other edit; shared/ and folders without index.ts are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import { loadStrategy, strategyNames } from '../../strategies/registry.ts';

test('a strategy folder dropped in is listed and loads; shared/ and a folder without index.ts are not strategies', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'migbench-registry-'));
  try {
    cpSync(path.join(REPO, 'strategies'), dir, { recursive: true });
    const before = strategyNames(dir);
    assert.deepEqual(before, strategyNames(), 'the copy lists what the repository lists');
    mkdirSync(path.join(dir, 'hello'));
    writeFileSync(path.join(dir, 'hello', 'index.ts'), `import type { Strategy } from '../contract.ts';
const done = async () => {};
export default { name: 'hello', describe: 'a strategy that does nothing', intermediate: done, answerer: done, mobile: done } satisfies Strategy;
`);
    mkdirSync(path.join(dir, 'notes-only'));
    assert.deepEqual(strategyNames(dir), [...before, 'hello'].sort());
    assert.equal((await loadStrategy('hello', dir)).describe, 'a strategy that does nothing');
    await assert.rejects(loadStrategy('notes-only', dir), /unknown strategy 'notes-only'/);
    assert.ok(!strategyNames(dir).includes('shared'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every folder of strategies/ but shared/ is a registered strategy', () => {
  const folders = readdirSync(path.join(REPO, 'strategies'), { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'shared').map((d) => d.name).sort();
  assert.deepEqual(strategyNames(), folders);
});
