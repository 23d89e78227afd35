// Byte counters from nftables in the role's own network namespace, for traffic a library does not
// report (what coturn delivers, the STUN messages of a WebRTC stack). A rule counts whole IP
// packets; `read` gives their UDP payload without a per-rule framing. docs/costs.md.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RoleContext } from '../contract.ts';
import { overhead } from './overhead.ts';

const run = promisify(execFile);
const IP_UDP = 28;   // IPv4 + UDP headers: nftables counts them, a payload does not include them

/** One counting rule of the output hook: nft match words, and the framing bytes per packet that
 *  are not the payload being counted. */
export interface CounterRule { name: string; match: string[]; framing: number }
export interface Counters { read(): Promise<{ bytes: number; packets: number }>; remove(): Promise<void> }

export async function outputCounters(table: string, rules: CounterRule[]): Promise<Counters> {
  await run('nft', ['add', 'table', 'inet', table]);
  await run('nft', ['add', 'chain', 'inet', table, 'out', '{ type filter hook output priority 0; policy accept; }']);
  for (const r of rules) await run('nft', ['add', 'rule', 'inet', table, 'out', ...r.match, 'counter', 'comment', r.name]);
  return {
    async read() {
      const { stdout } = await run('nft', ['-j', 'list', 'chain', 'inet', table, 'out']);
      type Rule = { comment?: string; expr: { counter?: { packets: number; bytes: number } }[] };
      const listed = (JSON.parse(stdout).nftables as { rule?: Rule }[]).flatMap((x) => (x.rule ? [x.rule] : []));
      let bytes = 0, packets = 0;
      for (const r of rules) {
        const c = listed.find((l) => l.comment === r.name)?.expr.find((e) => e.counter)?.counter;
        if (c) { bytes += c.bytes - (IP_UDP + r.framing) * c.packets; packets += c.packets; }
      }
      return { bytes, packets };
    },
    async remove() { await run('nft', ['delete', 'table', 'inet', table]).catch(() => {}); },
  };
}

/** Wraps a peer role so that what its stack sends as path upkeep — packets nftables tells apart by
 *  `rules` in the role's namespace, which the stack does not report — is added to its keepalive
 *  overhead (overhead.ts), read every second and at the end. */
export function countingUpkeep(table: string, rules: CounterRule[], role: (ctx: RoleContext) => Promise<void>): (ctx: RoleContext) => Promise<void> {
  return async (ctx) => {
    const counters = await outputCounters(table, rules);
    let counted = 0;
    const add = async () => { const { bytes } = await counters.read(); overhead.keepalive += bytes - counted; counted = bytes; };
    const ticker = setInterval(() => void add().catch(() => {}), 1000);
    try { await role(ctx); } finally {
      clearInterval(ticker);
      await add().catch(() => {});
      await counters.remove();
    }
  };
}
