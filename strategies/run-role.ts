// Runs one role of one strategy as its own process:
//   node --import tsx strategies/run-role.ts <strategy> <role> <context.json>
// (or the bundle's .build/roles/run-role.js). MIGBENCH_HOLD=1: wait for SIGUSR2 before the role starts.
// SIGTERM/SIGINT abort the role's signal; the role returns, its overhead counters and CPU time are
// logged, the log is flushed. Milestones go to stdout as JSON lines for the harness.
// CPU time is the process's own plus that of the children it has waited for (coturn beside the
// intermediate, `ip` helpers), so a role that spawns its work is not cheaper on paper.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveOptions, type RoleConfig, type RoleContext, type Strategy, type StrategyRole } from './contract.ts';
import { EventLogger } from '../core/events.ts';
import { logOverhead } from './shared/overhead.ts';
import { loadStrategy } from './registry.ts';
import { installQuicShims } from './shared/quic.ts';
import { logLoopDelay } from './shared/loop-probe.ts';
import { logMemory } from './shared/memory-log.ts';

const [name, role, configFile] = process.argv.slice(2) as [string, StrategyRole, string];
if (!name || !role || !configFile) {
  console.error('usage: run-role.ts <strategy> <intermediate|answerer|mobile> <context.json>');
  process.exit(2);
}

installQuicShims();   // js-quic internals the strategies rely on (strategies/shared/quic.ts)
const config = JSON.parse(readFileSync(configFile, 'utf8')) as RoleConfig;
const strategy: Strategy = await loadStrategy(name);
const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => controller.abort());

const log = new EventLogger(role, path.join(config.runDir, `events.${role}.jsonl`));
const options = resolveOptions(strategy, config.options);
const ctx: RoleContext = {
  ...config, options, log, signal: controller.signal,
  option: (k) => {
    if (!(k in options)) throw new Error(`${name} reads option '${k}', which it does not declare`);
    return options[k]!;
  },
  report: (milestone, detail = {}) => process.stdout.write(JSON.stringify({ milestone, role, ...detail }) + '\n'),
};
// A peer the harness starts beside its intermediate waits here, loaded, until the intermediate
// serves (harness/run/run.ts): their processes start at once, their work in order.
if (process.env.MIGBENCH_HOLD) await held();
log.log('role.start', { strategy: name });
const stopOverhead = logOverhead(log);
const stopLoopDelay = logLoopDelay(log);
const stopMemory = logMemory(log);
let code = 0;
try {
  await strategy[role](ctx);
} catch (e) {
  code = 1;
  log.log('error', { message: (e as Error).stack ?? String(e) });
  console.error(`${name}/${role}: ${(e as Error).stack ?? e}`);
}
stopOverhead();
stopLoopDelay();
stopMemory();
const cpu = process.cpuUsage();
const children = childrenCpuS();
const s = (us: number, child: number) => Math.round(us + child * 1e6) / 1e6;
log.log('role.stop', { cpuUserS: s(cpu.user, children.user), cpuSystemS: s(cpu.system, children.system) });
await log.close();
process.exit(code);

/** Says 'loaded' and resolves on SIGUSR2 (go on) or on the abort (the run is over). */
function held(): Promise<void> {
  const alive = setInterval(() => {}, 60_000);   // a signal handler alone does not keep Node running
  return new Promise<void>((resolve) => {
    process.once('SIGUSR2', () => resolve());
    controller.signal.addEventListener('abort', () => resolve(), { once: true });
    process.stdout.write(JSON.stringify({ milestone: 'loaded', role }) + '\n');   // run-role's own, not a strategy's
  }).finally(() => clearInterval(alive));
}

/** CPU seconds of this process's waited-for children: cutime and cstime of /proc/self/stat
 *  (process.cpuUsage and resourceUsage count the process alone), in USER_HZ = 100 ticks/s. */
function childrenCpuS(): { user: number; system: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');   // f[0] is field 3 (state)
  return { user: Number(f[13]) / 100, system: Number(f[14]) / 100 };
}
