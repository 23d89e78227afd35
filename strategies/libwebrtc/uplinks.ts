// `--opt uplinks=default`: the mobile's libwebrtc gets the network a phone's OS gives an app — the
// default one. libwebrtc gathers on every interface and ranks networks by their type's cost (Wi-Fi
// 10, cellular 900 on a phone); without a network monitor (Linux) it learns types only from interface
// names, so the testbed's two uplinks both cost 50 and the cellular one ranked first: a call that was
// never on Wi-Fi (docs/strategies.md "libwebrtc"). So, as the other strategies' unbound sockets do,
// only the default route's source address may send; libwebrtc's packets from the others are dropped
// in the mobile's own namespace (nftables, gone with the namespace), and the set follows the default
// route. libwebrtc's sockets are told apart by their ports (`PORT_RANGE`, RTCConfiguration.portRange):
// the testbed's own probes from that namespace must pass, or a libwebrtc that hangs would make the
// scenario look as if it had not happened.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NetlinkWatcher, routeTo } from '../shared/netwatch.ts';

const run = promisify(execFile);
const TABLE = 'migbench_uplinks';
/** libwebrtc's local ports under this model: below Linux's ephemeral range (32768–60999), so no
 *  other socket of the namespace uses them. */
export const PORT_RANGE = { min: 20000, max: 20999 };

async function ipv4Addresses(): Promise<string[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'addr', 'show']);
  type Link = { ifname: string; addr_info?: { local: string }[] };
  return (JSON.parse(stdout) as Link[]).filter((l) => l.ifname !== 'lo').flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}

export class DefaultUplinkOnly {
  private readonly watcher = new NetlinkWatcher();
  private syncing = Promise.resolve();
  private blocked = '';
  constructor(private readonly dst: string, private readonly onBlock: (blocked: string[]) => void,
    private readonly onError: (e: Error) => void) {}

  async start(): Promise<void> {
    await run('nft', ['add', 'table', 'inet', TABLE]);
    await run('nft', ['add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; policy accept; }']);
    await this.sync();
    await this.watcher.start(this.dst, () => void this.sync());
  }
  /** Lets only the default route's source address send; resolves once the rule says so. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      const src = (await routeTo(this.dst))?.src;
      const blocked = (await ipv4Addresses()).filter((a) => a !== src);
      if (blocked.join(',') === this.blocked) return;
      this.blocked = blocked.join(',');
      await run('nft', ['flush', 'chain', 'inet', TABLE, 'out']);
      if (blocked.length) await run('nft', ['add', 'rule', 'inet', TABLE, 'out', 'ip', 'saddr', `{ ${blocked.join(', ')} }`,
        'meta', 'l4proto', '{ udp, tcp }', 'th', 'sport', `${PORT_RANGE.min}-${PORT_RANGE.max}`, 'drop']);
      this.onBlock(blocked);
    }).catch(this.onError);
    return this.syncing;
  }
  async stop(): Promise<void> {
    this.watcher.stop();
    await run('nft', ['delete', 'table', 'inet', TABLE]).catch(() => {});
  }
}
