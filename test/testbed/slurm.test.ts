// A real single-node Slurm (Debian's slurmctld, slurmd, munge; own config, state and munge socket
// in a temporary folder, ports 16817/16818; all stopped afterwards) runs a 2-strategy × 2-NAT ×
// 2-repetition bench as 3 array tasks plus the merge job; one shard is cancelled mid-way and
// resubmitted. The merged runs.csv must hold exactly the matrix's run ids, every metric filled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expand, validateConfig } from '../../harness/config.ts';
import { REPO } from '../../harness/paths.ts';
import { shardDir, shardOf } from '../../harness/shards.ts';
import { leftovers, sleep } from './helpers.ts';

const have = ['slurmctld', 'slurmd', 'munged', 'sbatch'].every((b) => {
  try { execFileSync('which', [b]); return true; } catch { return false; }
});

class Cluster {
  readonly env: NodeJS.ProcessEnv;
  constructor(readonly dir: string) { this.env = { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf') }; }

  static async start(): Promise<Cluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migbench-slurm-'));
    chmodSync(dir, 0o755);
    const munge = path.join(dir, 'munge');
    for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(path.join(dir, d));
    const id = (flag: string) => Number(execFileSync('id', [flag, 'munge'], { encoding: 'utf8' }).trim());
    chownSync(munge, id('-u'), id('-g'));
    chmodSync(munge, 0o700);
    const asMunge = (args: string[]) => execFileSync('runuser', ['-u', 'munge', '--', ...args]);
    asMunge(['mungekey', '-c', '-k', `${munge}/munge.key`]);
    asMunge(['munged', '--force', '-S', `${munge}/munge.socket`, `--key-file=${munge}/munge.key`, `--pid-file=${munge}/munged.pid`,
      `--log-file=${munge}/munged.log`, `--seed-file=${munge}/munged.seed`]);
    const host = os.hostname().split('.')[0]!;
    writeFileSync(path.join(dir, 'slurm.conf'), [
      'ClusterName=migbenchtest', `SlurmctldHost=${host}`, 'SlurmUser=root', 'SlurmdUser=root',
      'AuthType=auth/munge', `AuthInfo=socket=${munge}/munge.socket`, 'CredType=cred/munge',
      'SlurmctldPort=16817', 'SlurmdPort=16818', `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`, `SlurmdLogFile=${dir}/log/slurmd.log`,
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core',
      'ReturnToService=2', 'MpiDefault=none', 'KillWait=15',
      `NodeName=${host} CPUs=${os.cpus().length} State=UNKNOWN`, `PartitionName=bench Nodes=${host} Default=YES MaxTime=INFINITE State=UP`, '',
    ].join('\n'));
    const c = new Cluster(dir);
    execFileSync('slurmctld', { env: c.env });
    execFileSync('slurmd', { env: c.env });
    for (let i = 0; i < 60 && !/idle/.test(c.run('sinfo', ['-h', '-o', '%t'])); i++) await sleep(500);
    return c;
  }

  run(cmd: string, args: string[]): string {
    return execFileSync(cmd, args, { env: this.env, encoding: 'utf8' });
  }
  jobs(): string[] { return this.run('squeue', ['-h', '-o', '%i %T %r']).trim().split('\n').filter(Boolean); }
  async idle(timeoutS: number): Promise<void> {
    for (let i = 0; i < timeoutS && this.jobs().length; i++) await sleep(1000);
    assert.deepEqual(this.jobs(), [], 'jobs still queued');
  }

  async stop(): Promise<void> {
    try { this.run('scancel', ['--user=root']); } catch { /* none */ }
    for (const f of ['slurmd.pid', 'slurmctld.pid', 'munge/munged.pid']) {
      const file = path.join(this.dir, f);
      if (!existsSync(file)) continue;
      const pid = Number(readFileSync(file, 'utf8'));
      try { process.kill(pid, 'SIGTERM'); } catch { continue; }
      for (let i = 0; i < 50; i++) { try { process.kill(pid, 0); await sleep(100); } catch { break; } }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

test('a Slurm job array of 3 shards, one cancelled and resubmitted, merges into exactly the single-machine matrix',
  { skip: !have && 'slurm/munge not installed (make setup)' }, async () => {
    const cluster = await Cluster.start();
    const results = path.join(cluster.dir, 'results');
    const config = {
      name: 'slurmtest', strategies: ['relay-only', 'relay-repunch'], nat: ['full-cone', 'port-restricted'],
      links: ['broadband'], events: ['wifi-to-cellular'], reps: 2, seed: 3, warmupS: 3.5, observeS: 2,
    };
    const configFile = path.join(cluster.dir, 'slurmtest.json');
    writeFileSync(configFile, JSON.stringify(config));
    const planned = expand(await validateConfig(config)).map((r) => r.id).sort();
    const migbench = (args: string[]) => execFileSync('node', [path.join(REPO, 'harness/bin/migbench.js'), ...args], { env: cluster.env, encoding: 'utf8' });
    try {
      const t0 = Date.now();
      const out = migbench(['slurm', '--config', configFile, '--shards', '3', '--results', results]);
      const [, arrayJob, mergeJob] = /array job (\d+), merge job (\d+)/.exec(out) ?? [];
      assert.ok(arrayJob && mergeJob, out);
      // Cancel the biggest shard once it has finished a run and is inside the next one.
      const sizes = [0, 1, 2].map((i) => planned.filter((id) => shardOf(id, 3) === i).length);
      const victim = sizes.indexOf(Math.max(...sizes));
      const victimDir = path.join(results, shardDir('slurmtest', { index: victim, count: 3 }));
      const finished = () => (existsSync(path.join(victimDir, 'runs'))
        ? readdirSync(path.join(victimDir, 'runs')).filter((id) => existsSync(path.join(victimDir, 'runs', id, 'meta.json'))).length : 0);
      for (let i = 0; i < 600 && finished() < 1; i++) await sleep(500);
      await sleep(3000);   // well inside its next run
      cluster.run('scancel', [`${arrayJob}_${victim}`]);
      const doneBeforeCancel = finished();
      // The merge job can never run now (afterok); the other shards finish.
      assert.ok(sizes[victim]! >= 2, `shard sizes ${sizes}: the biggest shard needs 2 runs for a mid-way cancel`);
      for (let i = 0; i < 300 && cluster.jobs().some((j) => j.startsWith(`${arrayJob}_`) || j.startsWith(`${arrayJob} `)); i++) await sleep(1000);
      cluster.run('scancel', [mergeJob!]);
      await cluster.idle(30);
      assert.ok(!existsSync(path.join(results, 'slurmtest', 'runs.csv')), 'the merge must not have run');
      // Resubmit the cancelled shard and the merge, as docs/bench.md says.
      const slurmDir = path.join(results, 'slurmtest.slurm');
      const again = cluster.run('sbatch', ['--parsable', `--array=${victim}`, path.join(slurmDir, 'array.sbatch')]).trim();
      cluster.run('sbatch', ['--parsable', `--dependency=afterok:${again}`, path.join(slurmDir, 'merge.sbatch')]);
      await cluster.idle(300);
      const wallS = (Date.now() - t0) / 1000;
      console.log(`# 3 shards on one node, with a cancel and a resubmit: ${wallS.toFixed(0)} s; shard ${victim} had ${doneBeforeCancel}/${sizes[victim]} runs when cancelled`);
      assert.ok(doneBeforeCancel >= 1 && doneBeforeCancel < sizes[victim]!, 'the cancel should have hit the shard mid-way');

      const csv = path.join(results, 'slurmtest', 'runs.csv');
      assert.ok(existsSync(csv), `no merged runs.csv; merge log:\n${readFileSync(path.join(slurmDir, 'merge.log'), 'utf8').slice(-2000)}`);
      const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
      assert.deepEqual(rows.map((r) => r.id).sort(), planned, 'exactly the single-machine run ids, each once');
      for (const r of rows) {
        assert.equal(r.status, 'ok', `${r.id}: ${r.error}`);
        for (const k of ['gap_ms', 'detect_ms', 'limit_ms', 'relay_bytes', 'handshakes', 'success']) assert.notEqual(r[k], '', `${r.id}: ${k} empty`);
      }
      const bench = JSON.parse(readFileSync(path.join(results, 'slurmtest', 'bench.json'), 'utf8'));
      assert.deepEqual(bench.merged.from.map((f: { shard: { index: number } }) => f.shard.index).sort(), [0, 1, 2]);
    } finally {
      await cluster.stop();
    }
    assert.deepEqual(leftovers(), [], 'a cancelled shard left a topology behind');
    const daemons = (() => { try { return execFileSync('pgrep', ['-a', '-x', 'slurmctld|slurmd|munged'], { encoding: 'utf8' }).trim(); } catch { return ''; } })();
  assert.equal(daemons, '', 'daemons left running');
  });
