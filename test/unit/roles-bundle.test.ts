import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import { roleArgv } from '../../harness/run/roles.ts';
import { loadStrategy, strategyNames } from '../../strategies/registry.ts';

// make setup bundles the roles (Makefile, .build/roles/); make test runs after it, so the bundle is fresh
test('roles start from the bundle, which holds every strategy under its own name', async () => {
  const bundle = path.join(REPO, '.build/roles');
  assert.deepEqual(roleArgv().slice(1), [path.join(bundle, 'run-role.js')]);
  assert.deepEqual(strategyNames(bundle), strategyNames());
  for (const name of strategyNames(bundle)) assert.equal((await loadStrategy(name, bundle)).name, name);
});
