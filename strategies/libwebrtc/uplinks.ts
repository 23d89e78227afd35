// `--opt uplinks=default`: the mobile's libwebrtc gets the network a phone's OS gives an app — the
// default one. libwebrtc gathers on every interface and ranks networks by their type's cost (Wi-Fi
// 10, cellular 900 on a phone); without a network monitor (Linux) it learns types only from interface
// names, so the testbed's two uplinks both cost 50 and the cellular one ranked first: a call that was
// never on Wi-Fi (docs/strategies.md "libwebrtc"). So, as the other strategies' unbound sockets do,
// only the default route's source address may send; libwebrtc's packets from the others are dropped
// in the mobile's own namespace (nftables, gone with the namespace), and the set follows the default
// route. A network is both its address families (docs/testbed.md "IPv6"): the IPv6 source allowed is
// the IPv6 default route's, which the testbed's events move with the IPv4 one — without it,
// libwebrtc's IPv6 candidates on the other uplink would keep a pair warm that no app on a phone has.
// libwebrtc's sockets are told apart by their ports (`PORT_RANGE`, RTCConfiguration.portRange):
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

/** Any global IPv6 destination: where the IPv6 default route leads. */
const ANY_IPV6 = '2000::1';

/** The host's global addresses but loopback's, by family. */
async function hostAddresses(): Promise<{ v4: string[]; v6: string[] }> {
  const { stdout } = await run('ip', ['-j', 'addr', 'show', 'scope', 'global']);
  type Link = { ifname: string; addr_info?: { local: string; family: string }[] };
  const all = (JSON.parse(stdout) as Link[]).filter((l) => l.ifname !== 'lo').flatMap((l) => l.addr_info ?? []);
  return { v4: all.filter((a) => a.family === 'inet').map((a) => a.local), v6: all.filter((a) => a.family === 'inet6').map((a) => a.local) };
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
  /** Lets only the default routes' source addresses send; resolves once the rules say so. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      const [src4, src6, addrs] = [(await routeTo(this.dst))?.src, (await routeTo(ANY_IPV6))?.src, await hostAddresses()];
      const v4 = addrs.v4.filter((a) => a !== src4), v6 = addrs.v6.filter((a) => a !== src6);
      const blocked = [...v4, ...v6];
      if (blocked.join(',') === this.blocked) return;
      this.blocked = blocked.join(',');
      await run('nft', ['flush', 'chain', 'inet', TABLE, 'out']);
      for (const [family, list] of [['ip', v4], ['ip6', v6]] as const) {
        if (list.length) await run('nft', ['add', 'rule', 'inet', TABLE, 'out', family, 'saddr', `{ ${list.join(', ')} }`,
          'meta', 'l4proto', '{ udp, tcp }', 'th', 'sport', `${PORT_RANGE.min}-${PORT_RANGE.max}`, 'drop']);
      }
      this.onBlock(blocked);
    }).catch(this.onError);
    return this.syncing;
  }
  async stop(): Promise<void> {
    this.watcher.stop();
    await run('nft', ['delete', 'table', 'inet', TABLE]).catch(() => {});
  }
}
