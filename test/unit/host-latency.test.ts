// The host's reaction latencies a bench records (harness/host-latency.ts): measured (root: a network
// namespace), and the comparison that warns when two benches' hosts differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchHostLatency, hostDifferences, measureHostLatency, type HostLatency } from '../../harness/host-latency.ts';

const at = (netlink: number, fork: number, timer: number): HostLatency => ({
  netlinkMs: { p50: netlink, p99: netlink, n: 20 }, forkExecMs: { p50: fork, p99: fork, n: 20 }, timerWakeMs: { p50: timer, p99: timer, n: 100 },
});

test('host latency: every chain is measured, the netlink one from a namespace\'s notifications', async () => {
  const h = await measureHostLatency();
  console.log(JSON.stringify(h));
  assert.equal(h.netlinkError, undefined);
  assert.equal(h.netlinkMs?.n, 20, 'every address change notified and stamped');
  assert.equal(h.forkExecMs.n, 20);
  assert.equal(h.timerWakeMs.n, 100);
  assert.ok(h.forkExecMs.p50 > 0 && h.timerWakeMs.p50 >= 0);
});

test('host latency: two hosts differ only beyond the documented tolerance; a bench.json gives its newest measurement', () => {
  assert.deepEqual(hostDifferences(at(-2, 3, 0.1), at(-1, 4.5, 0.5)), []);
  assert.deepEqual(hostDifferences(at(-2, 3, 0.1), at(20, 3, 0.1)), ['netlinkMs -2 vs 20 (more than 2 ms apart)']);
  assert.equal(hostDifferences(at(-2, 3, 0.1), { ...at(0, 12, 0.1), netlinkMs: null }).length, 1, 'an unmeasured chain is not compared');
  assert.deepEqual(benchHostLatency({ invocations: [{ hostLatency: at(1, 1, 1) }, {}, { hostLatency: at(2, 2, 2) }, {}] }), at(2, 2, 2));
  assert.equal(benchHostLatency({}), null);
});
