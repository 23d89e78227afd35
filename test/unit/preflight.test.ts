// The host preflight names every missing thing at once (its probes run for real on the testbed:
// test/testbed/lifecycle.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failingProbes, type Probe } from '../../harness/preflight.ts';

const probe = (what: string, script: string): Probe => ({ what, fix: '', script });

test('failingProbes names exactly the probes whose script fails, later ones still run', () => {
  const probes = [probe('a', 'true'), probe('b', 'false'), probe('c', 'touch /nonexistent-dir/x'), probe('d', 'echo noise; true')];
  assert.deepEqual(failingProbes(probes, ['sh', '-c']).map((p) => p.what), ['b', 'c']);
});

test('when the probe shell itself cannot start, every probe counts as missing', () => {
  const probes = [probe('a', 'true'), probe('b', 'true')];
  assert.deepEqual(failingProbes(probes, ['/nonexistent/sh', '-c']).map((p) => p.what), ['a', 'b']);
});
