// `make soak` (docs/hardening.md "Soak"), shortened: 2 pairs through one intermediate for 2 judged minutes
// after the 3 minutes of settling in, switching every 30 s, through the real CLI. It must pass its own checks: every switch happened (the
// testbed's checks), no role died, every role process found and sampled often enough to be judged,
// and every series — RSS, descriptors, the intermediate's connections, sessions and relays — flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';
import type { SoakResult } from '../../harness/soak/soak.ts';

const BENCH = `soak-test-${process.pid}`;
test.after(() => rmSync(path.join(REPO, 'results', BENCH), { recursive: true, force: true }));

test('make soak, 2 pairs for 2 minutes: every switch checked, every process found, every series flat', () => {
  const r = spawnSync(process.execPath, ['harness/bin/migbench.js', 'soak', '--pairs', '2', '--minutes', '2', '--bench', BENCH],
    { cwd: REPO, encoding: 'utf8', timeout: 9 * 60_000 });
  console.log(r.stdout);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  assert.match(r.stdout, /PASS: every series flat/);
  const runs = path.join(REPO, 'results', BENCH, 'runs');
  const soak = JSON.parse(readFileSync(path.join(runs, readdirSync(runs)[0]!, 'soak.json'), 'utf8')) as SoakResult & { samples: unknown[] };
  assert.deepEqual(soak.switches, { fired: 20, checked: 20, failed: 0 }, 'ten switches in 5 minutes for each of two pairs, each checked');
  assert.equal(soak.pairsRecovered, 2);
  assert.ok(soak.samples.length >= 30, `${soak.samples.length} samples`);
  for (const s of soak.series) assert.ok(s.trend.judged >= 12, `${s.role} ${s.quantity}: ${s.trend.judged} samples judged`);
  const series = soak.series.map((s) => `${s.role} ${s.quantity}`).sort();
  assert.deepEqual(series, ['answerer fds', 'answerer rssKb', 'answerer2 fds', 'answerer2 rssKb', 'intermediate connections',
    'intermediate fds', 'intermediate relays', 'intermediate rssKb', 'intermediate sessions', 'mobile fds', 'mobile rssKb', 'mobile2 fds', 'mobile2 rssKb']);
  for (const s of soak.series) assert.equal(s.trend.flat, true, `${s.role} ${s.quantity}: ${JSON.stringify(s.trend)}`);
});
