// Scenario checks (docs/testbed.md): each event's check passes when the event happens, fails when
// it is made to do nothing (test hook), and cellular-to-wifi starts on cellular.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyDriver, withTestbed, type BuildOptions } from '../../harness/driver.ts';
import { sleep } from './helpers.ts';

/** 50 packets/s from the mobile to the intermediate over whatever the default route is: a
 *  strategy's traffic, which the checks must not be confused by. */
const SENDER = ['bash', '-c', 'while :; do echo x > /dev/udp/198.18.0.10/9999; sleep 0.02; done'];

async function checked(d: TopologyDriver, event: string, host?: string) {
  const fired = await d.fire(event, host);
  return { fired, check: await d.verify(fired) };
}

test('every event passes its check when it happens (carrier NAT on cellular)', async () => {
  await withTestbed({ nat: { cellular: 'cgnat' } }, async (d) => {
    await d.start('mobile', SENDER);
    await sleep(200);
    const w2c = await checked(d, 'wifi-to-cellular');
    assert.ok(w2c.check.ok, w2c.check.reason);
    await sleep(200);
    const c2w = await checked(d, 'cellular-to-wifi');
    assert.ok(c2w.check.ok, c2w.check.reason);
    // the first switch is judged until the next event, not at the end (Wi-Fi is back by then)
    const again = await d.verify(w2c.fired);
    assert.ok(again.ok, again.reason);
    for (const event of ['nat-rebind', 'answerer-rebind', 'mapping-timeout', 'nat-rebind@cellular']) {
      const { check } = await checked(d, event);
      assert.ok(check.ok, `${event}: ${check.reason}`);
    }
    // E of a multi-step event is its first step's effect: the inner NAT's flush
    const timeout = await checked(d, 'mapping-timeout@cellular');
    assert.ok(timeout.check.ok, timeout.check.reason);
    const steps = timeout.fired.steps as [number, number][];
    assert.equal(steps.length, 2);
    assert.deepEqual([timeout.fired.tIssued, timeout.fired.t], steps[0]);
    const short = await d.fire('blackout:0.5');
    const long = await d.fire('blackout:5@cellular');
    await sleep(700);
    for (const fired of [short, long]) {   // the long one is still on: it held until the check
      const check = await d.verify(fired);
      assert.ok(check.ok, `${fired.name}: ${check.reason}`);
    }
  });
});

/** A topology driver whose events change nothing (the test hook). */
async function noopDriver(): Promise<TopologyDriver> {
  process.env.MIGBENCH_TEST_NOOP_EVENTS = '1';
  const opened = TopologyDriver.open();
  delete process.env.MIGBENCH_TEST_NOOP_EVENTS;
  return opened;
}

test('with the no-op test hook every check fails and says why', async () => {
  const d = await noopDriver();
  try {
    await d.build({ links: { wifi: 'custom:delay=2' } });   // a fade plays on the Wi-Fi slot's emulator
    await d.start('mobile', SENDER);
    await sleep(200);
    const expected: Record<string, RegExp> = {
      'wifi-to-cellular': /default route leaves over wifi, not cellular/,
      'nat-rebind': /public mapping 198\.18\.2\.2:\d+ did not change/,
      'mapping-timeout': /still in the conntrack table of natB/,
      'blackout:0.2': /never installed/,
      'handover:100': /never installed/,
      'soft-handover:0.2': /default route was on wifi after the event/,
      'wifi-fade:0.3': /applied 0 of its 3 steps/,
    };
    for (const [event, reason] of Object.entries(expected)) {
      const { check } = await checked(d, event);
      assert.equal(check.ok, false, event);
      assert.match(check.reason, reason);
    }
  } finally {
    await d.stop();
  }
  // arriving home starts on cellular: there, Wi-Fi never becoming the default route is what fails
  const home = await noopDriver();
  try {
    await home.build({ startOn: 'cellular' });
    const { check } = await checked(home, 'arrive-home:300');
    assert.equal(check.ok, false);
    assert.match(check.reason, /Wi-Fi never became the default route/);
  } finally {
    await home.stop();
  }
});

test('startOn cellular: Wi-Fi down from the build (measured up by calibrate), cellular-to-wifi passes its check', async () => {
  const opts: BuildOptions = { startOn: 'cellular' };
  await withTestbed(opts, async (d, info) => {
    assert.equal(info.startOn, 'cellular');
    const link = async () => JSON.parse((await d.exec('mobile', 'ip -j link show mobile-wifi')).stdout)[0].flags as string[];
    const route = async () => JSON.parse((await d.exec('mobile', 'ip -j route get 198.18.0.10')).stdout)[0].dev as string;
    assert.ok(!(await link()).includes('UP'));
    assert.equal(await route(), 'mobile-cell');
    const cal = await d.calibrate(5);
    assert.ok(cal.find((c) => c.path === 'wifi+intermediate')?.median !== undefined, 'the Wi-Fi path is measured');
    assert.ok(!(await link()).includes('UP'), 'and down again after');
    await d.start('mobile', SENDER);
    await sleep(200);
    const { check } = await checked(d, 'cellular-to-wifi');
    assert.ok(check.ok, check.reason);
    assert.equal(await route(), 'mobile-wifi');
  });
});
