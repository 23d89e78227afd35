// Runs last (files run in name order, one at a time): the whole suite left nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leftovers } from './helpers.ts';

test('after the testbed suite no Mininet shell, wire process or namespace remains', () => {
  assert.deepEqual(leftovers(), []);
});
