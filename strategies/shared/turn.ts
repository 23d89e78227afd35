// A real TURN/STUN server (Debian's coturn) on the intermediate host, for the WebRTC strategies.
// Long-term credentials: user = pairing id, password = pairing secret. It dies with the role
// (PR_SET_PDEATHSIG through setpriv) and writes turnserver.log into the run folder.
// What it relays is counted by an nftables counter on its relay ports in the intermediate's
// namespace (coturn reports usage only when an allocation closes), and logged as
// relay.bytes {relay: 'turn'} — UDP payload bytes, like the QUIC relay's count.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RoleContext } from '../contract.ts';

export const TURN_PORT = 3478;
const RELAY_PORTS = [49152, 49400] as const;
const TABLE = 'migbench_turn';
const UDP_HEADERS = 28;   // IPv4 + UDP, counted by nftables, not part of the relayed payload
const run = promisify(execFile);

export interface Turn { stop(): Promise<void> }

export async function startTurn(ctx: RoleContext): Promise<Turn> {
  const ip = ctx.intermediate.addrs[0];
  await run('nft', ['add', 'table', 'inet', TABLE]);
  await run('nft', ['add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; policy accept; }']);
  await run('nft', ['add', 'rule', 'inet', TABLE, 'out', 'udp', 'sport', `${RELAY_PORTS[0]}-${RELAY_PORTS[1]}`, 'counter']);
  const users = ctx.pairings.map((p) => `--user=${p.id}:${p.secret}`);
  const proc = spawn('setpriv', ['--pdeathsig', 'KILL', 'turnserver', '-n', `--listening-ip=${ip}`, `--relay-ip=${ip}`,
    `--listening-port=${TURN_PORT}`, `--min-port=${RELAY_PORTS[0]}`, `--max-port=${RELAY_PORTS[1]}`, '--lt-cred-mech', ...users,
    '--realm=migbench', '--no-tls', '--no-dtls', '--no-cli', '--no-multicast-peers', '--simple-log',
    `--log-file=${path.join(ctx.runDir, 'turnserver.log')}`, `--pidfile=${path.join(ctx.runDir, 'turnserver.pid')}`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', (d: Buffer) => ctx.log.logOther('turn.stderr', { text: d.toString().slice(0, 500) }));
  proc.on('exit', (code) => { if (!ctx.signal.aborted) ctx.log.log('error', { message: `turnserver exited (${code})` }); });

  let logged = -1;
  const count = async () => {
    const { stdout } = await run('nft', ['-j', 'list', 'chain', 'inet', TABLE, 'out']);
    const rule = (JSON.parse(stdout).nftables as { rule?: { expr: { counter?: { packets: number; bytes: number } }[] } }[])
      .find((x) => x.rule)?.rule;
    const c = rule?.expr.find((e) => e.counter)?.counter ?? { packets: 0, bytes: 0 };
    if (c.packets === logged) return;
    logged = c.packets;
    ctx.log.log('relay.bytes', { relay: 'turn', bytes: c.bytes - UDP_HEADERS * c.packets, packets: c.packets });
  };
  const ticker = setInterval(() => void count().catch(() => {}), 250);
  return {
    async stop() {
      clearInterval(ticker);
      await count().catch(() => {});
      proc.kill('SIGTERM');
      await run('nft', ['delete', 'table', 'inet', TABLE]).catch(() => {});
    },
  };
}
