// The reflexive address of the UDP port iroh holds, as QUIC address discovery at a relay would tell
// iroh (the bench's relay has none: relay.ts). iroh owns the port, so a probe cannot be sent from it;
// instead a socket of ours sends the intermediate's reflector probe and nftables in this role's
// namespace masquerades its source port to iroh's, so every NAT on the way maps it exactly as it maps
// iroh's own packets (the testbed's NATs map by the internal endpoint: topologies/nat.py).
// docs/strategies.md "iroh".
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RoleContext } from '../contract.ts';
import { REFLECT_MAGIC, REFLECTOR_PORT_OFFSET } from '../shared/intermediate.ts';
import { overhead } from '../shared/overhead.ts';
import type { Endpoint } from '../shared/signalling.ts';

const run = promisify(execFile);
const TABLE = 'migbench_iroh_reflexive';
const PROBE_BYTES = REFLECT_MAGIC.length + 8;
const TRIES = 5, TRY_MS = 300;

export interface ReflexiveProbe { of(port: number): Promise<Endpoint | null>; close(): Promise<void> }

export async function reflexiveProbe(ctx: RoleContext): Promise<ReflexiveProbe> {
  const reflector = { addr: ctx.intermediate.addrs[0], port: ctx.intermediate.controlPort + REFLECTOR_PORT_OFFSET };
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(0, () => resolve()); });
  sock.on('error', () => {});
  let masqueradedTo: number | null = null;
  let answer: ((e: Endpoint) => void) | null = null;
  sock.on('message', (msg) => {
    if (msg.length <= PROBE_BYTES || !msg.subarray(0, REFLECT_MAGIC.length).equals(REFLECT_MAGIC)) return;
    try { answer?.(JSON.parse(msg.subarray(PROBE_BYTES).toString()) as Endpoint); } catch { /* not ours */ }
  });
  const rule = async (port: number) => {
    // one rule, rewritten if iroh's port changes; conntrack keeps a flow's first translation, so the
    // probe socket's flows are only ever translated to the one port
    await run('nft', ['delete', 'table', 'ip', TABLE]).catch(() => {});
    await run('nft', ['add', 'table', 'ip', TABLE]);
    await run('nft', ['add', 'chain', 'ip', TABLE, 'post', '{ type nat hook postrouting priority srcnat; policy accept; }']);
    await run('nft', ['add', 'rule', 'ip', TABLE, 'post', 'ip', 'daddr', reflector.addr, 'udp', 'dport', `${reflector.port}`,
      'udp', 'sport', `${sock.address().port}`, 'masquerade', 'to', `:${port}`]);
    masqueradedTo = port;
  };
  return {
    async of(port) {
      if (masqueradedTo !== port) await rule(port);
      const seen = new Promise<Endpoint>((resolve) => { answer = resolve; });
      for (let i = 0; i < TRIES; i++) {
        overhead.keepalive += PROBE_BYTES;
        sock.send(Buffer.concat([REFLECT_MAGIC, Buffer.alloc(8)]), reflector.port, reflector.addr);
        const got = await Promise.race([seen, new Promise<null>((r) => setTimeout(() => r(null), TRY_MS))]);
        if (got) return got;
        if (ctx.signal.aborted) break;
      }
      return null;
    },
    async close() {
      sock.close();
      await run('nft', ['delete', 'table', 'ip', TABLE]).catch(() => {});
    },
  };
}
