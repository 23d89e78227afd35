// Shards partition any matrix; merge rebuilds exactly the single-machine bench and refuses what
// does not belong together. No network here: run folders are synthetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expand, type BenchConfig } from '../../harness/config.ts';
import { MergeError, mergeBenches, parseShard, shardDir, shardOf, type Shard } from '../../harness/shards.ts';
import { arrayScript, mergeScript } from '../../harness/slurm.ts';
import { DEFAULT_SPEC, DEFAULT_START_S } from '../../harness/spec.ts';

const base: BenchConfig = {
  name: 'tiny', strategies: ['relay-only', 'relay-repunch'], nat: ['full-cone', 'symmetric'], links: ['broadband'],
  events: ['wifi-to-cellular'], reps: 2, seed: 1, warmupS: 3.5, observeS: 2, settleS: 0, startS: DEFAULT_START_S, jitterBufferMs: 80,
  audio: DEFAULT_SPEC.audio, codec: DEFAULT_SPEC.codec!, parallel: 1, deadlineS: 90,
};

/** xorshift: the property test is seeded, so a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
}

test('parseShard takes I/N with 0 <= I < N and names the problem otherwise', () => {
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['3/3', '1', '-1/3', 'a/b', '0/0']) assert.throws(() => parseShard(bad), /expected I\/N/);
});

test('property: the N shards of a random matrix partition it (no run twice, none missing)', () => {
  const pick = rng(7);
  const nats = ['full-cone', 'restricted', 'port-restricted', 'symmetric', 'cgnat'];
  const events = ['wifi-to-cellular', 'nat-rebind', 'blackout:2', 'mapping-timeout'];
  for (let i = 0; i < 200; i++) {
    const c: BenchConfig = {
      ...base, strategies: ['relay-only', 'overlay', 'reconnect'].slice(0, 1 + pick(3)),
      nat: nats.slice(pick(3), 3 + pick(3)), events: events.slice(0, 1 + pick(4)), reps: 1 + pick(6), seed: pick(1000),
      links: pick(2) ? ['broadband'] : ['broadband', 'custom:delay=25'],
    };
    const count = 1 + pick(12);
    const all = expand(c).map((r) => r.id);
    const seen = new Map<string, number>();
    for (let index = 0; index < count; index++) {
      for (const id of all.filter((x) => shardOf(x, count) === index)) seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    assert.equal(seen.size, all.length, 'a run in no shard');
    assert.ok([...seen.values()].every((n) => n === 1), 'a run in two shards');
    assert.equal(new Set(all).size, all.length, 'run ids must be unique in a matrix');
  }
});

function fakeShard(results: string, c: BenchConfig, shard: Shard, commit = 'abc', gap = 60): string {
  const dir = path.join(results, shardDir(c.name, shard));
  for (const r of expand(c).filter((x) => shardOf(x.id, shard.count) === shard.index)) {
    mkdirSync(path.join(dir, 'runs', r.id), { recursive: true });
    const metrics = { gap_ms: gap, recovery_ms: 100, success: true, cpu_s: { mobile: 1 } };
    writeFileSync(path.join(dir, 'runs', r.id, 'meta.json'), JSON.stringify({ id: r.id, label: r.label, spec: r.spec, status: 'ok', metrics, rtts: { mobileIntermediate: 40 } }));
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'bench.json'), JSON.stringify({ name: c.name, config: c, host: `node${shard.index}`, versions: { commit, node: 'v20' }, shard }));
  return dir;
}

test('merge: one row per planned run, each shard listed; refuses other configs, code versions, conflicts and gaps', async () => {
  const results = mkdtempSync(path.join(tmpdir(), 'migbench-merge-'));
  try {
    const shards = [0, 1, 2].map((index) => fakeShard(results, base, { index, count: 3 }));
    const kept = readdirSync(path.join(shards[0]!, 'runs'))[0]!;   // a run made again: its first attempt set aside
    mkdirSync(path.join(shards[0]!, 'set-aside', kept, 'attempt-1'), { recursive: true });
    writeFileSync(path.join(shards[0]!, 'set-aside', kept, 'attempt-1', 'meta.json'), '{}');
    const out = path.join(results, 'tiny');
    const r = await mergeBenches(shards, out);
    assert.ok(existsSync(path.join(out, 'set-aside', kept, 'attempt-1', 'meta.json')), 'set-aside attempts come along');
    const rows = parse(readFileSync(path.join(out, 'runs.csv'), 'utf8'), { columns: true }) as { id: string; gap_ms: string }[];
    assert.deepEqual(rows.map((x) => x.id).sort(), expand(base).map((x) => x.id).sort());
    assert.equal(r.runs, 8);
    assert.ok(rows.every((x) => x.gap_ms === '60'));
    const bench = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8'));
    assert.deepEqual(bench.merged.from.map((f: { host: string }) => f.host), ['node0', 'node1', 'node2']);
    assert.equal(bench.merged.from[0].calibration.rttMobileIntermediateMsMedian, 40);

    // the same shard given twice: identical duplicates, kept once
    assert.equal((await mergeBenches([...shards, shards[0]!], path.join(results, 'again'))).runs, 8);
    // a shard missing
    await assert.rejects(mergeBenches(shards.slice(0, 2), path.join(results, 'x')), /planned run\(s\) in no folder/);
    // another config: the difference is named
    const other = fakeShard(path.join(results, 'o'), { ...base, reps: 3 }, { index: 0, count: 3 });
    await assert.rejects(mergeBenches([shards[0]!, other], path.join(results, 'y')), (e: Error) =>
      e instanceof MergeError && /config\.reps: 2 vs 3/.test(e.message));
    // another code version
    const newer = fakeShard(path.join(results, 'n'), base, { index: 1, count: 3 }, 'def');
    await assert.rejects(mergeBenches([shards[0]!, newer, shards[2]!], path.join(results, 'z')), /versions\.commit: abc vs def/);
    // a conflicting duplicate (the same run executed twice with other results)
    const twice = fakeShard(path.join(results, 't'), base, { index: 0, count: 3 }, 'abc', 80);
    await assert.rejects(mergeBenches([...shards, twice], path.join(results, 'w')), /recorded differently in two folders/);
    const forced = await mergeBenches([...shards, twice], path.join(results, 'w'), true);
    assert.ok(forced.conflicts.length > 0);
    assert.ok(JSON.parse(readFileSync(path.join(results, 'w', 'bench.json'), 'utf8')).merged.forced.length > 0);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('the sbatch scripts: one array task per shard, the merge over every shard folder', () => {
  const plan = { config: '/cfg/x.json', name: 'x', shards: 3, cpus: 2, resultsDir: '/r', out: '/r/x' };
  const a = arrayScript(plan);
  assert.match(a, /#SBATCH --array=0-2/);
  assert.match(a, /#SBATCH --cpus-per-task=2/);
  assert.match(a, /bench --config '\/cfg\/x.json' --shard "\$SLURM_ARRAY_TASK_ID\/3" --results '\/r'/);
  const m = mergeScript(plan);
  assert.match(m, /merge --out '\/r\/x' '\/r\/x.shard-0-of-3' '\/r\/x.shard-1-of-3' '\/r\/x.shard-2-of-3'/);
});
