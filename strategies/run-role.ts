// Runs one role of one strategy as its own process:
//   node --import tsx strategies/run-role.ts <strategy> <role> <context.json>
// SIGTERM/SIGINT abort the role's signal; the role returns, its CPU time is logged, the log is
// flushed. Milestones go to stdout as JSON lines for the harness.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RoleConfig, RoleContext, Strategy, StrategyRole } from './contract.ts';
import { EventLogger } from './shared/events.ts';
import { loadStrategy } from './registry.ts';

const [name, role, configFile] = process.argv.slice(2) as [string, StrategyRole, string];
if (!name || !role || !configFile) {
  console.error('usage: run-role.ts <strategy> <intermediate|answerer|mobile> <context.json>');
  process.exit(2);
}

const config = JSON.parse(readFileSync(configFile, 'utf8')) as RoleConfig;
const strategy: Strategy = await loadStrategy(name);
const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => controller.abort());

const log = new EventLogger(role, path.join(config.runDir, `events.${role}.jsonl`));
const ctx: RoleContext = {
  ...config, log, signal: controller.signal,
  report: (milestone, detail = {}) => process.stdout.write(JSON.stringify({ milestone, role, ...detail }) + '\n'),
};
log.log('role.start', { strategy: name });
let code = 0;
try {
  await strategy[role](ctx);
} catch (e) {
  code = 1;
  log.log('error', { message: (e as Error).stack ?? String(e) });
  console.error(`${name}/${role}: ${(e as Error).stack ?? e}`);
}
const cpu = process.cpuUsage();
log.log('role.stop', { cpuUserS: cpu.user / 1e6, cpuSystemS: cpu.system / 1e6 });
await log.close();
process.exit(code);
