import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withTestbed, type BuildInfo, type EventResult, type ExecResult, type TopologyDriver } from '../../harness/driver.ts';
import { REPO } from '../../harness/paths.ts';
import { nodeArgv, PROBE_PORTS, startProbeServer, untilReady } from '../../harness/testbed/probes.ts';
import { collectFlow, sleep, type FlowLine } from './helpers.ts';

const PROBE = path.join(REPO, 'harness/testbed/probe.ts');

/** A 5 ms flow from `host` to the intermediate while `act` fires events; returns the server's log. */
async function flowAround(d: TopologyDriver, info: BuildInfo, host: string, act: () => Promise<void>): Promise<FlowLine[]> {
  const server = await startProbeServer(d, info);
  const log = collectFlow(server);
  const client = await d.start(host, nodeArgv(PROBE, ['flow', '--server', `${info.intermediate[0]}:${PROBE_PORTS[0]}`,
    '--interval', '5', '--duration', '60000']), { cwd: REPO });
  await untilReady(client, 'flow');
  await sleep(300);
  await act();
  await sleep(300);
  await client.signal('KILL');
  await server.signal('KILL');
  return log;
}
const firstFrom = (log: FlowLine[], after: number, from: string) => log.find((l) => l.t > after && l.from !== from);

type Stamped = { name?: string; step?: string; t: number; tIssued: number; stamp?: unknown; tCommandDone?: unknown };
/** E (or a step) at the effect (docs/testbed.md "When E is"): the host's netlink notification, between the command's two stamps. */
function assertAtEffect(f: Stamped): void {
  assert.equal(f.stamp, 'netlink', JSON.stringify(f));
  assert.ok(f.t >= f.tIssued && f.t <= (f.tCommandDone as number), JSON.stringify(f));
}

test('wifi-to-cellular: the intermediate sees the new public address within 50 ms; cellular-to-wifi brings Wi-Fi back; both stamped at the host\'s netlink notification', async () => {
  await withTestbed({ nat: { wifi: 'port-restricted', cellular: 'symmetric' } }, async (d, info) => {
    let t1 = 0; let t2 = 0;
    const fired: EventResult[] = [];
    const log = await flowAround(d, info, 'mobile', async () => {
      fired.push(await d.fire('wifi-to-cellular'));
      t1 = fired[0]!.t;
      await sleep(300);
      fired.push(await d.fire('cellular-to-wifi'));
      t2 = fired[1]!.t;
    });
    for (const f of fired) assertAtEffect(f);
    const before = log.find((l) => l.t < t1)!;
    assert.match(before.from, /^198\.18\.2\.2:/);
    const moved = firstFrom(log, t1, before.from)!;
    assert.match(moved.from, /^198\.18\.3\.2:/);
    assert.ok(moved.t - t1 < 50, `new address seen ${moved.t - t1} ms after the event`);
    const back = log.find((l) => l.t > t2 && l.from.startsWith('198.18.2.2:'))!;
    assert.ok(back && back.t - t2 < 50, `Wi-Fi address back ${back?.t - t2} ms after the event`);
  });
});

for (const [event, host, nat] of [['nat-rebind', 'mobile', 'port-restricted'], ['nat-rebind', 'mobile', 'full-cone'],
  ['answerer-rebind', 'answerer', 'port-restricted']] as const) {
  test(`${event} on a ${nat} NAT: same public address, new mapped port`, async () => {
    await withTestbed({ nat: { answerer: nat, wifi: nat } }, async (d, info) => {
      let t = 0; let issued = 0;
      const log = await flowAround(d, info, host, async () => { ({ t, tIssued: issued } = await d.fire(event)); });
      // The change lands somewhere between tIssued and t (nft + conntrack take ~20 ms).
      const before = log.filter((l) => l.t < issued).pop()!;
      const after = firstFrom(log, issued, before.from)!;
      assert.ok(after, 'the mapping never changed');
      assert.equal(after.from.split(':')[0], before.from.split(':')[0]);
      assert.notEqual(after.from.split(':')[1], before.from.split(':')[1]);
      assert.ok(after.t - t < 50, `new port seen ${after.t - t} ms after the event`);
    });
  });
}

test('blackout:1 drops everything for one second on the same address, then traffic resumes', async () => {
  await withTestbed({}, async (d, info) => {
    let t = 0; let restored = 0; let restoreIssued = 0;
    d.once('event.restored', (m: { t: number; tIssued: number }) => { restored = m.t; restoreIssued = m.tIssued; });
    const log = await flowAround(d, info, 'mobile', async () => {
      t = (await d.fire('blackout:1')).t;
      await sleep(1300);
    });
    // Issued on time by its own timer; done after one nft process (a loaded machine may take longer).
    assert.ok(Math.abs(restoreIssued - t - 1000) < 50, `restore issued ${restoreIssued - t} ms after the blackout began`);
    assert.ok(restored - t - 1000 < 100, `restored ${restored - t} ms after the blackout began`);
    // The restore takes effect somewhere between its issue and its completion stamps.
    const during = log.filter((l) => l.t > t + 5 && l.t < restoreIssued);
    assert.equal(during.length, 0, `${during.length} packets crossed during the blackout: ${during.map((l) => (l.t - t).toFixed(1))} ms (restored at ${restored - t})`);
    const after = log.find((l) => l.t > restored)!;
    assert.ok(after.t - restored < 50);
    assert.equal(after.from, log.find((l) => l.t < t)!.from);
  });
});

test('handover:500: Wi-Fi carries nothing from the event on, its link up; cellular carries the flow from the route change 500 ms later', async () => {
  await withTestbed({}, async (d, info) => {
    const wifi = info.hosts.mobile!.find((u) => u.name === 'wifi')!;
    let t = 0; let routed = 0; let routeIssued = 0; let step!: Stamped;
    d.once('event.step', (m: Stamped) => { step = m; routed = m.t; routeIssued = m.tIssued; });
    let fired!: EventResult;
    let ping!: ExecResult; let link!: ExecResult;
    const log = await flowAround(d, info, 'mobile', async () => {
      fired = await d.fire('handover:500');
      t = fired.t;
      // from outside the flow: the Wi-Fi gateway does not answer though the link is up
      ping = await d.exec('mobile', `ping -n -c 3 -i 0.1 -W 0.3 -I ${wifi.dev} ${wifi.gateway}`);
      link = await d.exec('mobile', `ip -j link show dev ${wifi.dev}`);
      await sleep(700);
    });
    assert.ok(Math.abs(routed - t - 500) < 50, `cellular became the default route ${routed - t} ms after the event`);
    assertAtEffect(step);
    assert.match(ping.stdout, /100% packet loss/);
    assert.ok(JSON.parse(link.stdout)[0].flags.includes('UP'), 'the Wi-Fi link must stay up (lingering)');
    const before = log.filter((l) => l.t < t).pop()!;
    assert.match(before.from, /^198\.18\.2\.2:/);
    const during = log.filter((l) => l.t > t + 5 && l.t < routeIssued);
    assert.equal(during.length, 0, `${during.length} packets crossed Wi-Fi after the event`);
    const moved = log.find((l) => l.t > routeIssued)!;
    assert.match(moved.from, /^198\.18\.3\.2:/, 'after the route change the flow leaves over cellular');
    assert.ok(moved.t - routed < 50, `cellular seen ${moved.t - routed} ms after the route change`);
    const check = await d.verify(fired);
    assert.ok(check.ok, check.reason);
  });
});

test('soft-handover:0.5: the flow moves to cellular at the event while Wi-Fi still answers; Wi-Fi goes down 0.5 s later', async () => {
  await withTestbed({}, async (d, info) => {
    const wifi = info.hosts.mobile!.find((u) => u.name === 'wifi')!;
    let down = 0; let step!: Stamped;
    d.once('event.step', (m: Stamped) => { step = m; down = m.t; });
    let fired!: EventResult;
    let ping!: ExecResult;
    const log = await flowAround(d, info, 'mobile', async () => {
      fired = await d.fire('soft-handover:0.5');
      ping = await d.exec('mobile', `ping -n -c 2 -i 0.1 -W 0.3 -I ${wifi.dev} ${wifi.gateway}`);
      await sleep(700);
    });
    const moved = log.find((l) => l.t > fired.tIssued && l.from.startsWith('198.18.3.2:'));
    assert.ok(moved && moved.t - fired.t < 50, `cellular seen ${moved ? moved.t - fired.t : 'never'} ms after the event`);
    assert.equal(ping.code, 0, `Wi-Fi must still work after the event: ${ping.stdout}`);
    assert.ok(Math.abs(down - fired.t - 500) < 50, `Wi-Fi went down ${down - fired.t} ms after the event`);
    assertAtEffect(fired);
    assertAtEffect(step);
    const link = await d.exec('mobile', `ip -j link show dev ${wifi.dev}`);
    assert.ok(!JSON.parse(link.stdout)[0].flags.includes('UP'), 'Wi-Fi must be down at the end');
    const check = await d.verify(fired);
    assert.ok(check.ok, check.reason);
  });
});

/** ping every 20 ms across `dev` to `dst` for `ms`: each probe's send time (from the shell's clock)
 *  and its RTT, or null if it was lost. */
async function pings(d: TopologyDriver, dev: string, dst: string, ms: number): Promise<{ sent: number; rtt: number | null }[]> {
  const n = Math.round(ms / 20);
  const out = (await d.exec('mobile', `echo START $(date +%s.%N); ping -n -i 0.02 -c ${n} -W 1 -I ${dev} ${dst}; true`)).stdout;
  const start = Number(/START (\d+\.\d+)/.exec(out)![1]) * 1000;
  const rtt = new Map([...out.matchAll(/icmp_seq=(\d+) .*time=([\d.]+) ms/g)].map((m) => [Number(m[1]), Number(m[2])]));
  return Array.from({ length: n }, (_, i) => ({ sent: start + i * 20, rtt: rtt.get(i + 1) ?? null }));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('wifi-fade:2: across Wi-Fi, loss ramps up and the RTT grows while the host sees no change; the OS drops Wi-Fi at 2 s', async () => {
  await withTestbed({ links: { wifi: 'custom:delay=5' } }, async (d, info) => {
    const wifi = info.hosts.mobile!.find((u) => u.name === 'wifi')!;
    let down = 0; let step!: Stamped;
    d.once('event.step', (m: Stamped) => { step = m; down = m.t; });
    const fired = await d.fire('wifi-fade:2');
    const [probes, middle] = await Promise.all([pings(d, wifi.dev, info.intermediate[0], 1900),
      sleep(1000).then(() => d.exec('mobile', `ip -j link show dev ${wifi.dev}; ip -j route get ${info.intermediate[0]}`))]);
    const quarter = (q: number) => probes.filter((p) => p.sent - fired.t >= q * 500 && p.sent - fired.t < (q + 1) * 500);
    const loss = (ps: typeof probes) => ps.filter((p) => p.rtt === null).length / ps.length;
    const rtts = (ps: typeof probes) => ps.flatMap((p) => (p.rtt === null ? [] : [p.rtt]));
    console.log(`wifi-fade:2 by quarter: lost ${[0, 1, 2, 3].map((q) => `${(loss(quarter(q)) * 100).toFixed(0)} %`).join(', ')}; `
      + `median RTT ${[0, 1, 2, 3].map((q) => (rtts(quarter(q)).length ? `${median(rtts(quarter(q))).toFixed(0)} ms` : '-')).join(', ')}`);
    // each direction loses its share, so a round trip is lost with 1 - (1 - L)²: ≈ 24 % over the first
    // half second, ≈ 98 % over the last; each direction's delay grows by 100 ms × L
    assert.ok(loss(quarter(0)) <= 0.6, `first 0.5 s: ${(loss(quarter(0)) * 100).toFixed(0)} % of round trips lost (expected ≈ 24 %)`);
    assert.ok(loss(quarter(3)) >= 0.85, `last 0.5 s: ${(loss(quarter(3)) * 100).toFixed(0)} % of round trips lost (expected ≈ 98 %)`);
    const grew = median(rtts(quarter(1))) - median(rtts(quarter(0)));
    assert.ok(grew >= 25, `the median RTT grew by ${grew} ms from the first half second to the second (expected ≈ 50)`);
    const [link, route] = middle.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(link[0].flags.includes('UP'), 'the Wi-Fi link stays up during the fade');
    assert.equal(route[0].dev, wifi.dev, 'the default route stays on Wi-Fi during the fade');
    await sleep(Math.max(0, fired.t + 2100 - Date.now()));
    assert.ok(Math.abs(down - fired.t - 2000) < 50, `the OS dropped Wi-Fi ${down - fired.t} ms after the fade began`);
    assertAtEffect(step);
    const check = await d.verify(fired);
    assert.ok(check.ok, check.reason);
  });
});

test('arrive-home:500: Wi-Fi comes up and answers at once, the flow moves to it 500 ms later; cellular lingers', async () => {
  await withTestbed({ startOn: 'cellular' }, async (d, info) => {
    const wifi = info.hosts.mobile!.find((u) => u.name === 'wifi')!;
    let routed = 0; let routeIssued = 0; let step!: Stamped;
    d.once('event.step', (m: Stamped) => { step = m; routed = m.t; routeIssued = m.tIssued; });
    let fired!: EventResult;
    let ping!: ExecResult;
    const log = await flowAround(d, info, 'mobile', async () => {
      fired = await d.fire('arrive-home:500');
      ping = await d.exec('mobile', `ping -n -c 2 -i 0.1 -W 0.3 -I ${wifi.dev} ${wifi.gateway}`);
      await sleep(700);
    });
    assert.equal(ping.code, 0, `Wi-Fi must answer while the OS validates it: ${ping.stdout}`);
    assert.ok(Math.abs(routed - fired.t - 500) < 50, `Wi-Fi became the default route ${routed - fired.t} ms after the event`);
    assertAtEffect(fired);
    assertAtEffect(step);
    const validating = log.filter((l) => l.t > fired.t + 5 && l.t < routeIssued);
    assert.ok(validating.length > 0 && validating.every((l) => l.from.startsWith('198.18.3.2:')),
      'until the route change the flow stays on cellular');
    const moved = log.find((l) => l.t > routeIssued && l.from.startsWith('198.18.2.2:'));
    assert.ok(moved && moved.t - routed < 50, `Wi-Fi seen ${moved ? moved.t - routed : 'never'} ms after the route change`);
    const cell = await d.exec('mobile', 'ip -j link show dev mobile-cell');
    assert.ok(JSON.parse(cell.stdout)[0].flags.includes('UP'), 'cellular lingers');
    const check = await d.verify(fired);
    assert.ok(check.ok, check.reason);
  });
});

test('mapping-timeout: inbound traffic stops until the inside sends again', async () => {
  await withTestbed({ nat: { wifi: 'full-cone' } }, async (d, info) => {
    const at = `${info.intermediate[0]}:3600`;
    const pusher = await d.start('intermediate', nodeArgv(PROBE, ['push', '--server', at, '--interval', '10',
      '--duration', '60000']), { cwd: REPO });
    await untilReady(pusher, 'push');
    const sink = await d.start('mobile', nodeArgv(PROBE, ['sink', '--server', at, '--duration', '60000']), { cwd: REPO });
    const got: number[] = [];
    sink.on('stdout', (l: string) => { const m = JSON.parse(l); if (typeof m.seq === 'number') got.push(m.t); });
    await untilReady(sink, 'sink');
    await sleep(400);
    const t = (await d.fire('mapping-timeout')).t;
    await sleep(400);
    await Promise.all([sink.signal('KILL'), pusher.signal('KILL')]);
    assert.ok(got.filter((x) => x < t).length > 10, 'pushes arrived before the event');
    assert.deepEqual(got.filter((x) => x > t + 15), [], 'pushes arrived after the mapping expired');
  });
});
