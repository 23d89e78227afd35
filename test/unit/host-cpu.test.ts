import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuBetween, parseProcStat } from '../../harness/host-cpu.ts';

test('/proc/stat: busy is user + nice + system + irq + softirq (idle and iowait are not), steal apart', () => {
  const a = parseProcStat('cpu  2101072 138104 764020 6025406 9047 0 61672 28196 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n');
  const b = parseProcStat('cpu  2109822 139042 767900 6045592 9061 0 61974 28231 0 0\n');
  assert.deepEqual(cpuBetween(a, b, 175.99), { wallS: 176, busyS: 138.7, stealS: 0.4 });
  assert.throws(() => parseProcStat('intr 1 2 3'), /no cpu line/);
});
