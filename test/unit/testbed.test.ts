import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO } from '../../harness/paths.ts';
import { natBehaviour, NAT_PRESETS } from '../../harness/presets.ts';
import { punchExpected } from '../../harness/testbed/probes.ts';
import { linkOptions } from '../../harness/testbed/commands.ts';

test('natBehaviour: presets, carrier NAT, custom pairs, and a clear error', () => {
  assert.deepEqual(natBehaviour('restricted'), { mapping: 'EIM', filtering: 'ADF' });
  assert.deepEqual(natBehaviour('cgnat'), { mapping: 'APDM', filtering: 'APDF' });
  assert.deepEqual(natBehaviour('adm/eif'), { mapping: 'ADM', filtering: 'EIF' });
  assert.throws(() => natBehaviour('cone'), /unknown NAT preset 'cone' \(one of full-cone/);
});

test('punchExpected reproduces the textbook matrix (docs/research.md "Hole punching by NAT type", learn=1)', () => {
  const order = ['full-cone', 'restricted', 'port-restricted', 'symmetric'];
  const table = ['1111', '1111', '1110', '1100'];
  order.forEach((a, i) => order.forEach((b, j) => {
    assert.equal(punchExpected(natBehaviour(a), natBehaviour(b)), table[i]![j] === '1', `${a} <-> ${b}`);
  }));
  assert.equal(NAT_PRESETS.includes('cgnat'), true);
});

test('linkOptions: --link sets the access slots, --link-<slot> overrides, bad names are refused', () => {
  assert.deepEqual(linkOptions({ link: 'broadband', 'link-cellular': 'cellular' }),
    { answerer: 'broadband', wifi: 'broadband', cellular: 'cellular' });
  assert.throws(() => linkOptions({ link: 'dsl' }), /unknown link profile 'dsl'/);
});

const cli = (...args: string[]) => spawnSync(process.execPath, ['harness/bin/migbench.js', ...args], { cwd: REPO, encoding: 'utf8' });

test('migbench: --help everywhere, unknown commands and options exit 2 with a message', () => {
  const top = cli('--help');
  assert.equal(top.status, 0);
  assert.match(top.stdout, /testbed classify/);
  assert.match(cli('testbed', 'calibrate', '--help').stdout, /--link-<slot>/);
  const bad = cli('frobnicate');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command: frobnicate/);
  const badOpt = cli('testbed', 'classify', '--bogus');
  assert.equal(badOpt.status, 2);
  assert.match(badOpt.stderr, /Unknown option '--bogus'/);
});
