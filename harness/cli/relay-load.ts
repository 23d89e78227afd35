// `migbench relay-load`: the relay's capacity on one core (microbench/relay-load.ts).
import { relayLoad } from '../../microbench/relay-load.ts';
import type { Command } from './flags.ts';

export const relayLoadCommand: Command = {
  summary: 'how many concurrent 50 pkt/s streams the intermediate\'s relay carries (loopback, real peer code)',
  usage: `migbench relay-load [--streams N,N,…] [--seconds S]
  --streams   concurrent one-way streams, one answerer/mobile pair each (default 50,100,200,300)
  --seconds   measured seconds per step, after a 1 s warm-up (default 10)
Prints per step: packets sent and delivered, one-way latency p50/p99, the intermediate's CPU and this
process's (the load generator's) CPU, in shares of one core.`,
  options: { streams: { type: 'string', default: '50,100,200,300' }, seconds: { type: 'string', default: '10' } },
  async run(v) {
    const steps = String(v.streams).split(',').map(Number);
    const seconds = Number(v.seconds);
    if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new Error(`--streams must be integers in 1..1000, got '${v.streams}'`);
    if (!(seconds > 0 && seconds <= 600)) throw new Error(`--seconds must be in (0, 600], got '${v.seconds}'`);
    const rows = [];
    for (const n of steps) {
      const r = await relayLoad(n, seconds, (m) => process.stderr.write(`[${n} streams] ${m}\n`));
      rows.push({
        streams: r.streams, sent: r.sent, delivered: `${((100 * r.delivered) / Math.max(1, r.sent)).toFixed(2)} %`,
        'p50 ms': +r.p50Ms.toFixed(2), 'p99 ms': +r.p99Ms.toFixed(2),
        'intermediate CPU': `${(100 * r.intermediateCpu).toFixed(1)} %`, 'generator CPU': `${(100 * r.generatorCpu).toFixed(1)} %`,
      });
    }
    console.table(rows);
    return 0;
  },
};
