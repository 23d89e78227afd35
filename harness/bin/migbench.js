#!/usr/bin/env node
// Package bin: runs the TypeScript CLI (harness/cli/main.ts) through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
// Ctrl-C / kill: exit through the normal path so every open testbed is torn down (a bench installs its own).
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(`migbench: ${e.message}`);
  process.exitCode = 1;
});
