// Hostile input (issue 6): a host outside every pairing (`stranger`, on the public side) attacks a
// running relay-repunch session whose audio goes through the relay (symmetric answerer NAT): forged
// and replayed hellos, control messages before authentication, truncated / oversized / random
// streams, random and forged relay packets, genuine relay packets captured on the wire and
// replayed, junk to the peers' public addresses (test/testbed/attacker.ts). Every process must
// survive, the intermediate must count what it refused, and no relayed byte may reach the stranger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import { DEFAULT_SPEC } from '../../harness/spec.ts';
import { mergeLogs } from '../../harness/event-logs.ts';
import { runOnce } from '../../harness/run/run.ts';
import { type Drive } from '../../harness/run/drive.ts';
import { helloProof } from '../../strategies/shared/signalling.ts';
import { RELAY_PORT_OFFSET } from '../../strategies/shared/relay.ts';
import { SCHEDULING_NOISE_FRAMES, sleep } from './helpers.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-test-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

/** Genuine packets to the relay port, as an on-path observer would see them: up to 3 per source. */
const capture = (port: number) => `python3 - <<'EOF'
import binascii, socket, struct, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
s.bind(('intermediate-e0', 0)); s.settimeout(0.2)
end, seen = time.time() + 2.5, {}
while time.time() < end:
    try: f = s.recv(65535)
    except socket.timeout: continue
    if f[12:14] != b'\\x08\\x00' or f[23] != 17: continue
    ihl = (f[14] & 15) * 4; u = f[14 + ihl:]
    if struct.unpack('!H', u[2:4])[0] != ${port}: continue
    got = seen.setdefault(f[26:30] + u[0:2], [])
    if len(got) < 3: got.append(binascii.hexlify(u[8:]).decode())
print('\\n'.join(h for v in seen.values() for h in v))
EOF`;

interface Report { control: number; mustRefuse: number; welcomed: string[]; relayPackets: number; replayed: number; p2pPackets: number; received: number }

test("a stranger's forged, replayed, truncated, oversized and random input is refused and counted; no process falls, audio is never redirected", async () => {
  let report: Report | null = null;
  const attack: Drive = async ({ spec, dir, info, driver }) => {
    await sleep(spec.warmupS * 1000);
    const pairing = (JSON.parse(readFileSync(path.join(dir, 'context.mobile.json'), 'utf8')) as { pairings: { id: string; secret: string }[] }).pairings[0]!;
    const relayPort = 4433 + RELAY_PORT_OFFSET;
    const replay = (await driver.exec('intermediate', capture(relayPort))).stdout.split('\n').filter(Boolean);
    assert.ok(replay.length >= 2, 'nothing captured to replay');
    const targets = [...new Set(mergeLogs(dir).filter((e) => e.type === 'punch.start').map((e) => String(e.remote)))]
      .map((r) => ({ addr: r.split(':')[0]!, port: Number(r.split(':')[1]) }));
    const plan = { intermediate: info.intermediate[0], controlPort: 4433, relayPort, pairing: pairing.id,
      staleProof: helloProof(pairing.secret, pairing.id, 'mobile', 'an-old-nonce'), replay, targets };
    const p = await driver.start('stranger', [process.execPath, '--import', 'tsx', path.join(REPO, 'test/testbed/attacker.ts'), JSON.stringify(plan)], { cwd: REPO });
    p.on('stdout', (l: string) => { if (l.startsWith('{')) report = JSON.parse(l) as Report; });
    assert.equal(await p.exited, 0, 'the attacker failed');
    await sleep(1000);
  };
  const r = await runOnce({ ...DEFAULT_SPEC, strategy: 'relay-repunch', event: 'none', warmupS: 3.2, observeS: 1,
    nat: { answerer: 'symmetric', wifi: 'port-restricted', cellular: 'port-restricted' },
    links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' } }, bench, { drive: attack });
  const got = report as Report | null;
  assert.ok(got, 'no report from the attacker');
  assert.deepEqual(got.welcomed, [], 'the intermediate welcomed a stranger');
  assert.equal(got.received, 0, 'bytes reached the stranger');
  const events = mergeLogs(r.dir);
  assert.deepEqual(events.filter((e) => e.type === 'role.exit').map((e) => e.code), [0, 0, 0], 'a process fell');
  assert.deepEqual(events.filter((e) => e.type === 'error'), []);
  const stats = events.find((e) => e.type === 'intermediate.stats')!;
  assert.ok(got.mustRefuse >= got.control - 5, `only ${got.mustRefuse} of ${got.control} attacks must be refused`);
  assert.ok((stats.rejected as number) >= got.mustRefuse, `control rejections counted: ${stats.rejected} of the ${got.mustRefuse} attacks (of ${got.control}) that must be refused`);
  assert.ok((stats.relayRejected as number) >= got.relayPackets, `relay rejections counted: ${stats.relayRejected} of ${got.relayPackets}`);
  // A redirect would lose every frame from the attack on (seconds of audio), not scheduling noise.
  assert.ok(r.metrics.frames_lost <= SCHEDULING_NOISE_FRAMES, `${r.metrics.frames_lost} audio frames were lost (${r.metrics.frames_unsent} never sent): redirected?`);
  assert.ok(events.filter((e) => e.type === 'audio.recv').every((e) => e.path === 'relay'), 'the audio should have stayed on the relay');
});
