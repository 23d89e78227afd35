// Issue 30's must-hold checks of the IPv6 testbed (topologies/ipv6.py, docs/testbed.md "IPv6"), seen
// from outside every strategy: where the packets of an IPv6-only uplink arrive from, what the home
// router's firewall lets in, and how the firewalls and the NAT64 classify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTestbed, type HostProcess, type TopologyDriver } from '../../harness/driver.ts';
import { synthesize } from '../../harness/ip-plan.ts';
import { classifyIpv6, IPV6_CLASSIFY } from '../../harness/testbed/commands.ts';
import { nodeArgv, PROBE_PORTS, startProbeServer, untilReady } from '../../harness/testbed/probes.ts';
import { REPO } from '../../harness/paths.ts';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertCleanBeforeEvent, collectFlow, runJudged, sleep, type FlowLine } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

const PROBE = `${REPO}/harness/testbed/probe.ts`;
const v6 = (addr: string, port: number) => `[${addr}]:${port}`;

async function globalAddr(d: TopologyDriver, host: string, dev: string, family: 4 | 6): Promise<string> {
  const r = await d.exec(host, `ip -j -${family} addr show dev ${dev} scope global`);
  const addr = JSON.parse(r.stdout)[0]?.addr_info?.[0]?.local as string | undefined;
  assert.ok(addr, `${host} ${dev} has no global IPv${family} address: ${r.stdout}`);
  return addr;
}

/** A flow of `ms` from `host` to the probe server, `--local` as given; the server's log lines of it. */
async function flowFrom(d: TopologyDriver, log: FlowLine[], host: string, to: string, local?: string, ms = 300): Promise<FlowLine[]> {
  const before = log.length;
  const r = await d.exec(host, nodeArgv(PROBE, ['flow', '--server', to, '--interval', '20', '--duration', String(ms),
    ...(local ? ['--local', local] : [])]).join(' '), 30);
  assert.equal(r.code, 0, `flow from ${host} to ${to}: ${r.stderr}`);
  await sleep(200);
  return log.slice(before);
}

test('an IPv6-only uplink reaches IPv4 only through its NAT64: every packet arrives from the NAT64\'s IPv4 address', async () => {
  await withTestbed(IPV6_CLASSIFY, async (d, info) => {
    const server = await startProbeServer(d, info);
    const log = collectFlow(server);
    const cell = info.hosts.mobile!.find((u) => u.name === 'cellular')!;
    assert.equal(cell.family, 'ipv6-only');
    assert.equal((await d.exec('mobile', `ip -4 addr show dev ${cell.link}`)).stdout.trim(), '', 'the cellular link has no IPv4 address');
    const pool = await globalAddr(d, 'natC', 'natC-wan', 4);
    const target = `${info.intermediate[0]}:${PROBE_PORTS[0]}`;
    const viaNat64 = await flowFrom(d, log, 'mobile', v6(synthesize(info.intermediate[0], info.ip.nat64Prefix!), PROBE_PORTS[0]), cell.addr6);
    const viaClat = await flowFrom(d, log, 'mobile', target, cell.addr);
    await d.exec('mobile', 'ip link set mobile-wifi down');
    const unbound = await flowFrom(d, log, 'mobile', target);
    for (const [what, lines] of [['an IPv6 socket to the synthesized address', viaNat64], ['an IPv4 socket on the CLAT', viaClat],
      ['an unbound IPv4 socket with Wi-Fi down', unbound]] as const) {
      assert.ok(lines.length >= 5, `${what}: ${lines.length} packets arrived`);
      assert.deepEqual([...new Set(lines.map((l) => l.from.split(':')[0]))], [pool], `${what}: arrived from ${lines.map((l) => l.from).join(' ')}`);
    }
    await server.signal('TERM');
  });
});

test('inbound IPv6 to the mobile is dropped by its router\'s firewall until the mobile has sent to that peer', async () => {
  await withTestbed(IPV6_CLASSIFY, async (d, info) => {
    const stranger = await globalAddr(d, 'stranger', 'stranger-e0', 6);
    for (const up of info.hosts.mobile!) {
      const router = up.nats[0]!;
      const dropped = async () => JSON.parse((await d.exec(router, 'nft -j list counter ip6 migbench_fw6 dropped')).stdout)
        .nftables.find((o: { counter?: { packets: number } }) => o.counter)!.counter.packets as number;
      const droppedBefore = await dropped();
      const listener: HostProcess = await d.start('mobile', nodeArgv(PROBE, ['listen', '--local', v6(up.addr6, 5000), '--duration', '3000',
        '--reply-after', '1500', '--to', v6(stranger, 4000)]), { cwd: REPO });
      const lines: { t?: number; from?: string; sent?: string }[] = [];
      listener.on('stdout', (l: string) => lines.push(JSON.parse(l)));
      await untilReady(listener, 'listener');
      const sender = await d.exec('stranger', nodeArgv(PROBE, ['flow', '--server', v6(up.addr6, 5000), '--local', v6(stranger, 4000),
        '--interval', '50', '--duration', '2800']).join(' '), 30);
      assert.equal(sender.code, 0, sender.stderr);
      await listener.exited;
      const sent = lines.find((l) => l.sent)?.t;
      const arrived = lines.filter((l) => l.from);
      assert.ok(sent, `${up.name}: the mobile never sent`);
      assert.deepEqual(arrived.filter((l) => l.t! < sent), [], `${up.name}: packets got in before the mobile sent to the stranger`);
      assert.ok(arrived.length >= 10, `${up.name}: ${arrived.length} packets got in after the mobile sent`);
      assert.ok(await dropped() - droppedBefore >= 10, `${up.name}: ${router}'s firewall counted no drops`);
    }
  });
});

test('renumber@cellular moves the mobile to the next /64, nat-rebind@cellular rebinds the NAT64\'s NAT (both checked from the network); with the no-op hook the checks fail', async () => {
  await withTestbed(IPV6_CLASSIFY, async (d, info) => {
    const server = await startProbeServer(d, info);
    const log = collectFlow(server);
    const fired = await d.fire('renumber@cellular');
    const check = await d.verify(fired);
    assert.ok(check.ok, check.reason);
    assert.match(check.reason, /2001:2:0:300::2 -> 2001:2:0:301::2/);
    const cell = info.hosts.mobile!.find((u) => u.name === 'cellular')!;
    const pool = await globalAddr(d, 'natC', 'natC-wan', 4);
    const viaClat = await flowFrom(d, log, 'mobile', `${info.intermediate[0]}:${PROBE_PORTS[0]}`, cell.addr);
    assert.ok(viaClat.length >= 5 && viaClat.every((l) => l.from.startsWith(`${pool}:`)), 'the CLAT keeps working after the renumbering');
    const native = await flowFrom(d, log, 'mobile', v6(info.intermediate6[0]!, PROBE_PORTS[0]), '2001:2:0:301::2');
    assert.ok(native.length >= 5 && native.every((l) => l.from.startsWith('[2001:2:0:301::2]:')), 'native IPv6 from the new address');
    // the NAT44 behind the NAT64 rebinds, and its check follows the probe through tayga's static map
    const rebind = await d.verify(await d.fire('nat-rebind@cellular'));
    assert.ok(rebind.ok, rebind.reason);
    await server.signal('TERM');
  });
  process.env.MIGBENCH_TEST_NOOP_EVENTS = '1';
  try {
    await withTestbed(IPV6_CLASSIFY, async (d, info) => {
      const check = await d.verify(await d.fire('renumber@cellular'));
      assert.equal(check.ok, false);
      assert.match(check.reason, /still has its old address/);
      // traffic through the CLAT first, as a call makes (a cold CLAT path gives the check no mapping at all)
      const server = await startProbeServer(d, info);
      const cell = info.hosts.mobile!.find((u) => u.name === 'cellular')!;
      await flowFrom(d, collectFlow(server), 'mobile', `${info.intermediate[0]}:${PROBE_PORTS[0]}`, cell.addr);
      const rebind = await d.verify(await d.fire('nat-rebind@cellular'));
      assert.equal(rebind.ok, false);
      assert.match(rebind.reason, /did not change/);
      await server.signal('TERM');
    });
  } finally { delete process.env.MIGBENCH_TEST_NOOP_EVENTS; }
});

test('testbed classify --ipv6: the firewalls and the NAT64 behave as their presets say', async () => {
  const rows = await classifyIpv6();
  assert.equal(rows.length, 5);
  for (const r of rows) {
    assert.deepEqual({ preset: r.preset, mapping: r.mapping, filtering: r.filtering }, { preset: r.preset, ...r.expected }, `${r.preset}: mapped ${r.mapped?.join(' ')}`);
  }
  for (const r of rows.filter((x) => x.preset.startsWith('firewall'))) {
    assert.ok(r.mapped?.every((m) => m.startsWith('[2001:2:')), `${r.preset}: a firewall translates nothing, mapped ${r.mapped?.join(' ')}`);
  }
});

// Wi-Fi (IPv4) -> IPv6-only cellular. relay-repunch's sockets are IPv4: with the phone's CLAT they keep
// working, translated twice; without it the mobile has no IPv4 route, it never recovers, and the run is
// `failed` with the reason it declares (Strategy.needsIpv4; docs/strategies.md "IPv6"). Either way the
// switch itself happened: the scenario check follows the IPv6-only uplink (not `invalid`).
for (const clat of [true, false]) {
  test(`relay-repunch, Wi-Fi (IPv4) -> IPv6-only cellular ${clat ? 'with' : 'without'} a CLAT: ${clat ? 'relay, then direct again' : 'failed, with its reason'}`, async () => {
    const spec: RunSpec = { ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
      warmupS: 3.5, observeS: clat ? 4 : 3, settleS: 2, ip: { cellular: 'ipv6-only', ...(clat ? {} : { clat: false }) } };
    const r = await runJudged(spec, bench);
    assert.equal(r.meta.status, clat ? 'ok' : 'failed', String(r.meta.error));
    assertCleanBeforeEvent(r.metrics);
    if (clat) {
      assert.ok(r.metrics.success && r.metrics.direct_ms !== null, `recovered ${r.metrics.success}, direct after ${r.metrics.direct_ms} ms`);
      assert.ok(r.metrics.gap_ms < 500, `gap ${r.metrics.gap_ms} ms`);
    } else {
      assert.equal(r.metrics.success, false);
      assert.match(String(r.meta.error), /cannot run without IPv4: cellular is IPv6-only without a CLAT, and its peers reach the intermediate only at its IPv4 address/);
    }
  });
}

// The same change without the CLAT, with `--opt family=dual` (strategies/shared/family.ts): the mobile
// redials the intermediate at its IPv6 address, the relay bridges, and the new P2P connection is IPv6
// from the mobile's cellular address to the answerer's own (dual-stack answerer, APDF firewalls).
test('relay-repunch family=dual, Wi-Fi (IPv4) -> IPv6-only cellular without a CLAT: redial over IPv6, relay, then direct over IPv6', async () => {
  const spec: RunSpec = { ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
    warmupS: 3.5, observeS: 4, settleS: 2, options: { family: 'dual' }, ip: { answerer: 'dual-stack', cellular: 'ipv6-only', clat: false } };
  const r = await runJudged(spec, bench);
  assert.equal(r.meta.status, 'ok', String(r.meta.error));
  assertCleanBeforeEvent(r.metrics);
  assert.ok(r.metrics.success && r.metrics.direct_ms !== null, `recovered ${r.metrics.success}, direct after ${r.metrics.direct_ms} ms`);
  const events = mergeLogs(r.dir);
  assert.ok(events.some((e) => e.type === 'control.redialled' && e.to === '2001:2::10'), 'the control connection moved to the intermediate\'s IPv6 address');
  const last = events.filter((e) => e.role === 'answerer' && e.type === 'handshake.ok' && e.with === 'peer').at(-1);
  assert.match(String(last?.remote), /^2001:2:0:300::2:\d+$/, 'the last P2P connection comes from the mobile\'s cellular IPv6 address');
});

// libwebrtc's `uplinks=default` (a phone's app gets the default network) must hold for both families:
// its IPv6 candidates on the other uplink would keep a pair warm that no app on a phone has, and
// Wi-Fi -> cellular would cost it nothing (strategies/libwebrtc/uplinks.ts).
test('libwebrtc on dual-stack networks: only the default network sends, IPv6 included, before and after the switch', async () => {
  const spec: RunSpec = { ...DEFAULT_SPEC, strategy: 'libwebrtc', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' },
    warmupS: 3.5, observeS: 6, settleS: 2, ip: { answerer: 'dual-stack', wifi: 'dual-stack', cellular: 'ipv6-only' } };
  const r = await runJudged(spec, bench);
  assert.equal(r.meta.status, 'ok', String(r.meta.error));
  const blocked = mergeLogs(r.dir).filter((e) => e.type === 'uplinks.blocked').map((e) => e.blocked as string[]);
  assert.deepEqual(blocked[0]?.slice().sort(), ['192.0.0.4', '2001:2:0:300::2'], 'on Wi-Fi: the cellular network blocked, both families');
  assert.deepEqual(blocked.at(-1)?.slice().sort(), ['10.2.0.2', '2001:2:0:200::2'], 'on cellular: the Wi-Fi network blocked, both families');
});
