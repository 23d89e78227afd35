// The nebula mesh of one run (Debian's nebula 1.6.1, wrapped, never patched): a CA and a certificate
// per node made with nebula-cert by the intermediate at its start (the peers read theirs from the
// run folder: provisioning, not signalling), one config per node, and nebula itself as an external
// program (../shared/external.ts: dies with its role; its own TUN device, gone with it).
// Knobs set, everything else at nebula's defaults (docs/strategies.md "nebula"): the lighthouse (and
// relay) on the intermediate's public address, port 4242; every peer punches (`punchy`) and may use
// the lighthouse as a relay; the firewall lets everything through; logs as JSON into the run folder.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RoleContext } from '../contract.ts';
import { startExternal, type External } from '../shared/external.ts';

const run = promisify(execFile);
export const LIGHTHOUSE_PORT = 4242;
export type Node = 'lighthouse' | 'answerer' | 'mobile';
/** Overlay addresses (outside every testbed range: docs/testbed.md "Topologies"). */
export const OVERLAY: Record<Node, string> = { lighthouse: '192.168.100.1', answerer: '192.168.100.2', mobile: '192.168.100.3' };
export const TUN = 'nebula1';

const dir = (ctx: Pick<RoleContext, 'runDir'>) => path.join(ctx.runDir, 'nebula');

/** The CA and every node's certificate (the intermediate does this before it serves). */
export async function provision(ctx: Pick<RoleContext, 'runDir'>): Promise<void> {
  const d = dir(ctx);
  mkdirSync(d, { recursive: true });
  await run('nebula-cert', ['ca', '-name', 'migbench', '-duration', '24h', '-out-crt', `${d}/ca.crt`, '-out-key', `${d}/ca.key`]);
  for (const node of Object.keys(OVERLAY) as Node[]) {
    await run('nebula-cert', ['sign', '-ca-crt', `${d}/ca.crt`, '-ca-key', `${d}/ca.key`, '-name', node, '-ip', `${OVERLAY[node]}/24`,
      '-out-crt', `${d}/${node}.crt`, '-out-key', `${d}/${node}.key`]);
  }
}

function config(ctx: Pick<RoleContext, 'runDir' | 'intermediate'>, node: Node): object {
  const d = dir(ctx);
  const lighthouse = node === 'lighthouse';
  const any = [{ port: 'any', proto: 'any', host: 'any' }];
  return {
    pki: { ca: `${d}/ca.crt`, cert: `${d}/${node}.crt`, key: `${d}/${node}.key` },
    static_host_map: lighthouse ? {} : { [OVERLAY.lighthouse]: [`${ctx.intermediate.addrs[0]}:${LIGHTHOUSE_PORT}`] },
    lighthouse: { am_lighthouse: lighthouse, hosts: lighthouse ? [] : [OVERLAY.lighthouse] },
    listen: { host: '0.0.0.0', port: lighthouse ? LIGHTHOUSE_PORT : 0 },
    punchy: { punch: true, respond: true },
    relay: { am_relay: lighthouse, use_relays: !lighthouse, relays: lighthouse ? [] : [OVERLAY.lighthouse] },
    tun: { disabled: false, dev: TUN, mtu: 1300 },
    logging: { level: 'info', format: 'json' },
    firewall: { outbound: any, inbound: any },
  };
}

/** Resolves once `ip` is on the TUN: nebula logs "interface is active" before the kernel has the
 *  address, and a socket bound to it before then fails (seen: 1 run in 30). */
async function addressed(ip: string): Promise<void> {
  for (;;) {
    const { stdout } = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', TUN]).catch(() => ({ stdout: '[]' }));
    if (stdout.includes(`"${ip}"`)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts this node's nebula; resolves once its TUN is up with its overlay address.
 *  `onLine`: each line of its log (tunnels.ts reads them). */
export async function startNebula(ctx: RoleContext, node: Node, onLine?: (line: string) => void): Promise<External> {
  const file = path.join(dir(ctx), `${node}.yml`);
  writeFileSync(file, JSON.stringify(config(ctx, node), null, 1));   // JSON is YAML
  return startExternal(ctx, { name: `nebula-${node}`, command: 'nebula', args: ['-config', file],
    readyLine: /Nebula interface is active/, ready: () => addressed(OVERLAY[node]), readyTimeoutMs: 8000, ...(onLine ? { onLine } : {}) });
}
