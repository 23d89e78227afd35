// The smaller shapes: both peers behind one NAT (host candidates), and N pairs through one intermediate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTestbed } from '../../harness/driver.ts';

test('same-nat: both peers on one LAN reach each other by host address and the intermediate through the NAT', async () => {
  await withTestbed({ topology: 'same-nat' }, async (d, info) => {
    const mobile = info.hosts.mobile![0]!, answerer = info.hosts.answerer![0]!;
    assert.deepEqual(mobile.nats, answerer.nats);
    assert.equal((await d.rtt('mobile', answerer.addr, { count: 3 })).loss, 0);
    assert.equal((await d.rtt('mobile', info.intermediate[0], { count: 3 })).loss, 0);
  });
});

test('pairs:3: every mobile is dual-homed, every host reaches the intermediate, events target one host', async () => {
  await withTestbed({ topology: 'pairs:3', links: { wifi: 'custom:delay=2' } }, async (d, info) => {
    assert.deepEqual(Object.keys(info.hosts).sort(), ['answerer1', 'answerer2', 'answerer3', 'mobile1', 'mobile2', 'mobile3']);
    for (const host of ['answerer3', 'mobile3']) {
      for (const u of info.hosts[host]!) {
        const r = await d.rtt(host, info.intermediate[0], { count: 3, source: u.addr });
        assert.equal(r.loss, 0, `${host} via ${u.name}`);
      }
    }
    const ev = await d.fire('wifi-to-cellular', 'mobile2');
    assert.equal(ev.host, 'mobile2');
    const after = await d.exec('mobile2', 'ip -j route get 198.18.0.10');
    assert.match(after.stdout, /mobile2-cell/);
    const other = await d.exec('mobile1', 'ip -j route get 198.18.0.10');
    assert.match(other.stdout, /mobile1-wifi/, 'the event must touch only its host');
  });
});
