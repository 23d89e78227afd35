// migbench: the command line of the bench. Every command answers --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { withTestbed } from './driver.ts';
import { classifyPresets, DEFAULT_CLASSIFY, linkOptions, SLOTS } from './testbed/commands.ts';
import { DEFAULT_SPEC, EVENTS, runOnce, scheduled, type RunSpec } from './run.ts';
import { liveDrive } from './live.ts';
import { attachCli, newestCliSocket } from './mininet-cli.ts';
import { relayLoad } from './relayload.ts';
import { runBench, type BenchOptions } from './bench.ts';
import { MergeError, mergeBenches, parseShard } from './shards.ts';
import { submit } from './slurm.ts';
import { loadConfig, type BenchConfig } from './config.ts';
import { FIGURE_CONFIGS, FIGURES_DIR, writeFigures } from './figures.ts';
import { chartRows, invalidRuns, outcome, summaryMarkdown, writeReport, type ChartRow } from './report.ts';
import { benchRecords, type RunRecord } from './records.ts';
import { censoredMedian, formatValue, measuredMedian } from './stats.ts';
import { METRIC_ORDER } from './metrics.ts';
import { loadStrategy, strategyNames } from '../strategies/registry.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.ts';

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const linkFlags = Object.fromEntries([['link', { type: 'string' as const }],
  ...SLOTS.map((s) => [`link-${s}`, { type: 'string' as const }])]);

function parseOpts(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (list as string[] | undefined) ?? []) {
    const [k, ...v] = item.split('=');
    if (!k || v.length === 0) throw new Error(`--opt ${item}: expected key=value`);
    out[k] = v.join('=');
  }
  return out;
}

/** Medians per strategy × NAT × link × event: the bench's figures at a glance. Every ok and failed
 *  run is in N; gap and recovery medians that reach a run that did not recover print `> window`
 *  (harness/stats.ts); invalid runs are listed, not scored. */
function summaryLines(records: RunRecord[]): string[] {
  const groups = new Map<string, ChartRow[]>();
  for (const r of chartRows(records)) {
    const k = [r.label, r.nat, r.link, r.event].join(' | ');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const invalid = invalidRuns(records);
  return ['medians (every ok and failed run in N; "> W": censored at the observe window W ms): ' +
    'strategy | NAT | link | event: runs, success, gap_ms, recovery_ms, detect_ms, limit_ms, limit_standby_ms',
    ...[...groups].map(([k, rs]) => `  ${k}: ${rs.length}, ${rs.filter((r) => r.success).length}/${rs.length}, ` +
      [...(['gap_ms', 'recovery_ms'] as const).map((m) => formatValue(censoredMedian(rs.map((r) => outcome(r, m))))),
        ...(['detect_ms', 'limit_ms', 'limit_standby_ms'] as const).map((m) => formatValue(measuredMedian(rs.map((r) => r[m]))))].join(', ')),
    ...(invalid.length ? [`invalid (scenario did not happen; not scored): ${invalid.length}`,
      ...invalid.map((r) => `  ${r.id} ${r.label} ${r.event}: ${r.reason}`)] : [])];
}

/** Runs a bench with a progress line (done/total, ETA, failures) and a clean Ctrl-C; returns the exit code. */
async function benchWithProgress(config: BenchConfig, opts: Pick<BenchOptions, 'retryFailed' | 'shard' | 'resultsDir'> = {}): Promise<number> {
  const stop = new AbortController();
  // Ctrl-C, or SIGTERM from a scheduler (scancel): stop the running runs cleanly; they run again next time
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(sig);
    process.once(sig, () => { process.stderr.write(`\n${sig}: stopping the running runs (they run again next time)\n`); stop.abort(); });
  }
  const tty = process.stderr.isTTY;
  let shown = -1;   // without a terminal, one line per finished run
  const fmt = (s: number | null) => (s === null ? '?' : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);
  const r = await runBench(config, {
    ...opts, signal: stop.signal,
    onProgress: (p) => {
      const line = `[${p.done}/${p.total}] ${p.total ? Math.round((100 * p.done) / p.total) : 100}% ETA ${fmt(p.etaS)} ` +
        `failed ${p.failed}${p.skipped ? `, ${p.skipped} already done` : ''}` +
        (p.last && !tty ? ` | ${p.last.id} ${p.last.status}${p.last.error ? `: ${p.last.error}` : ''}` : '');
      if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
      else if (p.done !== shown) { shown = p.done; process.stderr.write(line + '\n'); }
    },
  });
  if (tty) process.stderr.write('\n');
  console.log(`${r.ran} run(s) made; ${r.records.length} recorded in ${path.join(r.dir, 'runs.csv')}`);
  console.log(summaryLines(r.records).join('\n'));
  return stop.signal.aborted ? 130 : 0;
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'one run of one strategy: topology, roles, event, metrics',
    usage: `migbench run --strategy NAME [options]
  --strategy NAME        ${'one of: ' + strategyNames().join(', ')}
  --nat PRESET           all three NATs (default port-restricted); --nat-answerer / --nat-wifi / --nat-cellular override
  --link PROFILE         answerer, wifi and cellular slots (default lan); --link-<slot> overrides (${SLOTS.join(', ')})
  --event EVENT          ${EVENTS.join(", ")} (default wifi-to-cellular; cellular-to-wifi starts the mobile on cellular: arriving home)
                         every event is checked from the testbed; a run whose event did not happen is status=invalid, never scored
                         a schedule: EVENT@0,EVENT@S,… (seconds after the first; e.g. wifi-to-cellular@0,cellular-to-wifi@1.5)
  --warmup S             seconds of audio before the event (default 4)   --observe S  after it (default 8)
  --seed N  --rep N      run seed and repetition index (part of the run id)
  --audio answerer-to-mobile|both    --jitter-buffer MS (default 80)
  --opt KEY=VALUE        a strategy option (repeatable; \`migbench strategies\` lists them)
  --bench NAME           results/<NAME>/runs/<run id>/ (default adhoc)
  --headless             no live view: warm up, fire the event, observe, print the metrics (the default)
  --interactive          live terminal view; keys fire events (w, c, r, a, t, b; e = --event), q quits
  --cli                  with --interactive: Mininet's CLI too (a tmux pane beside the view, or \`migbench cli\`)
  --json                 print the metrics as one JSON object`,
    options: {
      strategy: { type: 'string' }, nat: { type: 'string' }, 'nat-answerer': { type: 'string' }, 'nat-wifi': { type: 'string' },
      'nat-cellular': { type: 'string' }, ...linkFlags, event: { type: 'string' }, warmup: { type: 'string' },
      observe: { type: 'string' }, seed: { type: 'string' }, rep: { type: 'string' }, audio: { type: 'string' },
      'jitter-buffer': { type: 'string' }, opt: { type: 'string', multiple: true }, bench: { type: 'string', default: 'adhoc' },
      headless: { type: 'boolean' }, interactive: { type: 'boolean' }, cli: { type: 'boolean' }, json: { type: 'boolean' },
    },
    async run(v) {
      if (typeof v.strategy !== 'string') throw new Error(`--strategy is required (one of ${strategyNames().join(', ')})`);
      const nat = v.nat as string | undefined;
      const num = (k: string, d: number) => {
        if (v[k] === undefined) return d;
        const n = Number(v[k]);
        if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a non-negative number, got '${v[k]}'`);
        return n;
      };
      const audio = (v.audio as string | undefined) ?? DEFAULT_SPEC.audio;
      if (audio !== 'answerer-to-mobile' && audio !== 'both') throw new Error(`--audio must be answerer-to-mobile or both, got '${audio}'`);
      const spec: RunSpec = {
        ...DEFAULT_SPEC, strategy: v.strategy,
        nat: {
          answerer: (v['nat-answerer'] ?? nat ?? DEFAULT_SPEC.nat.answerer) as string,
          wifi: (v['nat-wifi'] ?? nat ?? DEFAULT_SPEC.nat.wifi) as string,
          cellular: (v['nat-cellular'] ?? nat ?? DEFAULT_SPEC.nat.cellular) as string,
        },
        links: linkOptions(v) ?? {}, event: (v.event as string | undefined) ?? DEFAULT_SPEC.event,
        seed: num('seed', 1), rep: num('rep', 0), audio, jitterBufferMs: num('jitter-buffer', 80),
        warmupS: num('warmup', DEFAULT_SPEC.warmupS), observeS: num('observe', DEFAULT_SPEC.observeS), options: parseOpts(v.opt),
      };
      const benchDir = path.join(REPO, 'results', v.bench as string);
      if (v.interactive && v.headless) throw new Error('--interactive and --headless exclude each other');
      if (v.cli && !v.interactive) throw new Error('--cli needs --interactive (a headless run ends on its own)');
      const r = await runOnce(spec, benchDir, (m) => { if (!v.json) process.stderr.write(`[${spec.strategy}] ${m}\n`); },
        undefined, v.interactive ? liveDrive(process.stdin, process.stdout, { cli: Boolean(v.cli) }) : scheduled);
      const status = r.meta.status as string;
      const ok = status === 'ok' && r.metrics.success;
      if (v.json) { console.log(JSON.stringify({ id: r.id, dir: r.dir, status, error: r.meta.error, ...r.metrics })); return ok ? 0 : 3; }
      console.log(`run ${r.id}\n  ${r.dir}\n  status             ${status}${r.meta.error ? `: ${r.meta.error as string}` : ''}`);
      for (const k of METRIC_ORDER) {
        const val = r.metrics[k];
        console.log(`  ${k.padEnd(18)} ${typeof val === 'number' ? +val.toFixed(1) : JSON.stringify(val)}`);
      }
      for (const e of (r.meta.perEvent as { name: string; concealed_ms: number; gap_ms: number }[] | undefined) ?? []) {
        console.log(`  after ${e.name.padEnd(18)} concealed ${e.concealed_ms} ms, gap ${e.gap_ms} ms`);
      }
      console.log(`  received audio     ${path.join(r.dir, 'received.wav')}`);
      return ok ? 0 : 3;
    },
  },
  cli: {
    summary: 'Mininet\'s CLI of a running interactive run started with --cli',
    usage: `migbench cli [--socket PATH]
  --socket PATH   the run's CLI socket (default: the newest migbench-*/cli.sock in the temp dir)
Commands as in Mininet (\`nodes\`, \`net\`, \`mobile ip -br addr\`, \`natw ip -s link\` …); exit or Ctrl-D leaves.`,
    options: { socket: { type: 'string' } },
    async run(v) {
      const socket = (v.socket as string | undefined) ?? newestCliSocket();
      if (!socket) { console.error('migbench: no run offers a Mininet CLI: start one with `migbench run --interactive --cli` (make run CLI=1)'); return 1; }
      await attachCli(socket);
      return 0;
    },
  },
  'relay-load': {
    summary: 'how many concurrent 50 pkt/s streams the intermediate\'s relay carries (loopback, real peer code)',
    usage: `migbench relay-load [--streams N,N,…] [--seconds S]
  --streams   concurrent one-way streams, one answerer/mobile pair each (default 50,100,200,300)
  --seconds   measured seconds per step, after a 1 s warm-up (default 10)
Prints per step: packets sent and delivered, one-way latency p50/p99, the intermediate's CPU and this
process's (the load generator's) CPU, in shares of one core.`,
    options: { streams: { type: 'string', default: '50,100,200,300' }, seconds: { type: 'string', default: '10' } },
    async run(v) {
      const steps = String(v.streams).split(',').map(Number);
      const seconds = Number(v.seconds);
      if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new Error(`--streams must be integers in 1..1000, got '${v.streams}'`);
      if (!(seconds > 0 && seconds <= 600)) throw new Error(`--seconds must be in (0, 600], got '${v.seconds}'`);
      const rows = [];
      for (const n of steps) {
        const r = await relayLoad(n, seconds, (m) => process.stderr.write(`[${n} streams] ${m}\n`));
        rows.push({
          streams: r.streams, sent: r.sent, delivered: `${((100 * r.delivered) / Math.max(1, r.sent)).toFixed(2)} %`,
          'p50 ms': +r.p50Ms.toFixed(2), 'p99 ms': +r.p99Ms.toFixed(2),
          'intermediate CPU': `${(100 * r.intermediateCpu).toFixed(1)} %`, 'generator CPU': `${(100 * r.generatorCpu).toFixed(1)} %`,
        });
      }
      console.table(rows);
      return 0;
    },
  },
  bench: {
    summary: 'run a config\'s whole matrix (resumable; Ctrl-C stops cleanly)',
    usage: `migbench bench [--config FILE] [--retry-failed] [--parallel N] [--shard I/N] [--results DIR]
  --config FILE    a bench config (default harness/configs/default.json; docs/bench.md lists the fields)
  --retry-failed   run again the runs recorded as failed (finished runs are always skipped)
  --parallel N     runs at once (overrides the config; 1 keeps measurements honest on 2 cores)
  --shard I/N      only shard I (0-based) of N: the runs whose id hashes to I; into <name>.shard-I-of-N/
  --results DIR    where bench folders go (default results/)
  Writes results/<name>/runs.csv, runs/<id>/…, bench.json.`,
    options: { config: { type: 'string', default: path.join(REPO, 'harness/configs/default.json') },
      'retry-failed': { type: 'boolean' }, parallel: { type: 'string' }, shard: { type: 'string' },
      results: { type: 'string', default: path.join(REPO, 'results') } },
    async run(v) {
      const config = await loadConfig(v.config as string);
      const shard = v.shard === undefined ? undefined : parseShard(v.shard as string);
      if (v.parallel !== undefined) {
        const n = Number(v.parallel);
        if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`--parallel must be an integer from 1 to 16, got '${v.parallel}'`);
        config.parallel = n;
      }
      return benchWithProgress(config, { retryFailed: Boolean(v['retry-failed']), shard, resultsDir: v.results as string });
    },
  },
  figures: {
    summary: 'run the pinned figure configs (resumable) and write reports/figures/*.svg + CSV + README.md',
    usage: `migbench figures [--only 1|2] [--render-only]
  --only N         one figure (1: relay-repunch vs ICE restart; 2: QUIC migration vs reconnect against RTT and loss)
  --render-only    draw from the results already there, run nothing
  Configs: harness/configs/figure*.json (fixed seeds); results in results/figure*/, like any bench.`,
    options: { only: { type: 'string' }, 'render-only': { type: 'boolean' } },
    async run(v) {
      const only = v.only as '1' | '2' | undefined;
      if (only !== undefined && !(only in FIGURE_CONFIGS)) throw new Error(`--only must be 1 or 2, got '${only}'`);
      if (!v['render-only']) {
        for (const [fig, files] of Object.entries(FIGURE_CONFIGS)) {
          if (only && fig !== only) continue;
          for (const file of files) {
            process.stderr.write(`figure ${fig}: ${file}\n`);
            const code = await benchWithProgress(await loadConfig(path.join(REPO, 'harness/configs', file)));
            if (code) return code;
          }
        }
      }
      const r = await writeFigures(undefined, FIGURES_DIR, only);
      console.log(r.notes);
      console.log(`wrote ${r.files.map((f) => path.join(FIGURES_DIR, f)).join('\n      ')}`);
      return 0;
    },
  },
  merge: {
    summary: 'merge shard folders of one config into one bench folder (refuses other configs or code versions)',
    usage: `migbench merge [--out DIR] [--force] DIR…
  DIR…          bench folders, e.g. results/NAME.shard-0-of-3 … (any bench folders of one config)
  --out DIR     the merged bench folder (default results/<config name>)
  --force       merge despite other configs/versions, conflicting duplicates or missing runs (recorded in bench.json)`,
    options: { out: { type: 'string' }, force: { type: 'boolean' } },
    async run(v, dirs) {
      if (!dirs.length) throw new Error('merge: name the bench folders to merge (see --help)');
      try {
        const name = JSON.parse(readFileSync(path.join(dirs[0]!, 'bench.json'), 'utf8')).name as string;
        const r = await mergeBenches(dirs, (v.out as string | undefined) ?? path.join(REPO, 'results', name), Boolean(v.force));
        if (r.duplicates.length) console.error(`${r.duplicates.length} identical duplicate(s) kept once: ${r.duplicates.join(', ')}`);
        if (r.conflicts.length) console.error(`--force: ${r.conflicts.length} conflict(s) recorded in bench.json:\n  ${r.conflicts.join('\n  ')}`);
        console.log(`${r.runs} run(s) merged into ${path.join(r.dir, 'runs.csv')}`);
        return 0;
      } catch (e) {
        if (e instanceof MergeError || (e as NodeJS.ErrnoException).code === 'ENOENT') { console.error(`migbench: ${(e as Error).message}`); return 1; }
        throw e;
      }
    },
  },
  slurm: {
    summary: 'submit a bench as a Slurm job array (one task per shard) plus a merge job',
    usage: `migbench slurm --config FILE --shards N [--cpus C] [--partition P] [--time MIN] [--results DIR] [--out DIR] [--dry-run]
  --shards N      array tasks; task I runs \`migbench bench --shard I/N\`
  --cpus C        CPUs per task (default 2: one run at a time, with room for its emulators)
  --results DIR   shard folders (default results/; must be shared by the nodes)
  --out DIR       merged bench (default <results>/<config name>)
  --dry-run       write the sbatch scripts, submit nothing
  Resubmit a failed shard: sbatch --array=I <results>/<name>.slurm/array.sbatch, then sbatch <…>/merge.sbatch.`,
    options: { config: { type: 'string' }, shards: { type: 'string' }, cpus: { type: 'string', default: '2' }, partition: { type: 'string' },
      time: { type: 'string' }, results: { type: 'string', default: path.join(REPO, 'results') }, out: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    async run(v) {
      if (!v.config) throw new Error('slurm: --config FILE is required');
      const int = (flag: string, lo: number, hi: number) => {
        const n = Number(v[flag]);
        if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${flag} must be an integer from ${lo} to ${hi}, got '${v[flag]}'`);
        return n;
      };
      const configFile = path.resolve(v.config as string);
      const config = await loadConfig(configFile);
      const resultsDir = path.resolve(v.results as string);
      const r = submit({
        config: configFile, name: config.name, shards: int('shards', 1, 10000), cpus: int('cpus', 1, 1024),
        partition: v.partition as string | undefined, timeMin: v.time === undefined ? undefined : int('time', 1, 100000),
        resultsDir, out: path.resolve((v.out as string | undefined) ?? path.join(resultsDir, config.name)),
      }, Boolean(v['dry-run']));
      console.log(`scripts: ${r.arrayFile}\n         ${r.mergeFile}`);
      if (r.arrayJob) console.log(`submitted array job ${r.arrayJob}, merge job ${r.mergeJob} (afterok)`);
      return 0;
    },
  },
  report: {
    summary: 'write reports/<bench>/index.html (self-contained, works offline)',
    usage: `migbench report [--bench NAME] [--results DIR] [--markdown]
  --bench NAME   a folder under results/ (default: default): its run folders, or only runs.csv + bench.json
  --results DIR  where the bench folder is (default results/; docs/data holds the snapshots behind docs' tables)
  --markdown     print the summary table as markdown (the tables in docs/ are made so) instead of writing HTML`,
    options: { bench: { type: 'string', default: 'default' }, results: { type: 'string', default: path.join(REPO, 'results') }, markdown: { type: 'boolean' } },
    async run(v) {
      if (v.markdown) {
        const dir = path.join(v.results as string, v.bench as string);
        const records = benchRecords(dir);
        if (!records.length) throw new Error(`no runs in ${dir} (neither run folders nor runs.csv)`);
        console.log(summaryMarkdown(records));
        return 0;
      }
      const file = writeReport(v.bench as string, v.results as string);
      console.log(file);
      return 0;
    },
  },
  strategies: {
    summary: 'list the strategies and their options',
    usage: 'migbench strategies',
    options: {},
    async run() {
      for (const name of strategyNames()) {
        const s = await loadStrategy(name);
        console.log(`${name}\n  ${s.describe}`);
        for (const [k, o] of Object.entries(s.options ?? {})) console.log(`  --opt ${k}=…  ${o.describe} (default ${o.default})`);
      }
      return 0;
    },
  },
  'testbed classify': {
    summary: 'measure each NAT preset\'s mapping and filtering (RFC 5780 probe)',
    usage: `migbench testbed classify [--presets a,b,…] [--json]
  Builds the mobile topology with the presets in its three NAT slots and probes each from the host
  behind it, using the intermediate's two addresses. Prints: preset  mapping  filtering  (configured).`,
    options: { presets: { type: 'string' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean' } },
    async run(v) {
      const presets = typeof v.presets === 'string' ? v.presets.split(',') : DEFAULT_CLASSIFY;
      const rows = await classifyPresets(presets, Number(v.seed));
      if (v.json) console.log(JSON.stringify(rows));
      let bad = 0;
      for (const r of rows) {
        const same = r.mapping === r.expected.mapping && r.filtering === r.expected.filtering;
        if (!same) bad++;
        if (!v.json) {
          console.log(`${r.preset.padEnd(16)} ${r.mapping.padEnd(5)} ${r.filtering.padEnd(5)}` +
            (same ? '' : `  (configured ${r.expected.mapping} ${r.expected.filtering})`));
        }
      }
      return bad ? 1 : 0;
    },
  },
  'testbed calibrate': {
    summary: 'configured vs measured RTT on every path of a topology',
    usage: `migbench testbed calibrate [--link PROFILE] [--link-<slot> PROFILE] [--count N] [--json]
  slots: ${SLOTS.join(', ')}; --link sets answerer, wifi and cellular.
  PROFILE: a name from topologies/presets.json or custom:delay=MS,jitter=MS,loss=PCT,rate=KBIT,…`,
    options: { ...linkFlags, count: { type: 'string', default: '20' }, topology: { type: 'string', default: 'mobile' },
      json: { type: 'boolean' } },
    async run(v) {
      const links = linkOptions(v);
      const rows = await withTestbed({ topology: v.topology as string, links }, async (d, info) => {
        if (!v.json) console.log(`emulation: ${info.emulation}, build ${info.buildMs.toFixed(0)} ms`);
        return d.calibrate(Number(v.count));
      });
      if (v.json) { console.log(JSON.stringify(rows)); return 0; }
      console.log('path                    from            configured  median   error     avg/min/max/mdev');
      for (const r of rows) {
        if (r.median === undefined) { console.log(`${r.path.padEnd(23)} ${(r.source ?? r.host).padEnd(15)} no reply`); continue; }
        const err = r.median - r.configured;
        console.log(`${r.path.padEnd(23)} ${(r.source ?? r.host).padEnd(15)} ${r.configured.toFixed(1).padStart(10)}  ` +
          `${r.median.toFixed(2).padStart(6)}  ${(err >= 0 ? '+' : '') + err.toFixed(2)}    ` +
          `${r.avg!.toFixed(2)}/${r.min!.toFixed(2)}/${r.max!.toFixed(2)}/${r.mdev!.toFixed(2)}`);
      }
      return 0;
    },
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `migbench — P2P connection-migration bench\n\nusage: migbench <command> [options]   (migbench <command> --help)\n\n` +
    Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = [2, 1].map((n) => words.slice(0, n).join(' ')).find((n) => n in COMMANDS);
  if (!name) {
    const asked = argv.length === 0 || argv.includes('--help') || argv.includes('-h');
    (asked ? console.log : console.error)(help());
    if (!asked) console.error(`\nunknown command: ${words.join(' ') || argv.join(' ')}`);
    return asked ? 0 : 2;
  }
  const cmd = COMMANDS[name]!;
  const rest = argv.slice(argv.indexOf(name.split(' ').pop()!) + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${cmd.usage}`);
    return 2;
  }
  if (parsed.values.help) { console.log(cmd.usage); return 0; }
  return cmd.run(parsed.values, parsed.positionals);
}

// Ctrl-C / kill: exit through the normal path so every open testbed is torn down.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
  console.error(`migbench: ${e.message}`);
  process.exitCode = 1;
});
