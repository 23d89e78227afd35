// Strategies are discovered, not listed: every folder under strategies/ with an index.ts
// (except shared/) is one. Adding a strategy touches no other file.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from './contract.ts';

const DIR = path.dirname(fileURLToPath(import.meta.url));
/** A strategy folder's entry: index.ts here, index.js in the bundle the roles run from (Makefile, .build/roles/). */
function entry(dir: string, name: string): string | undefined {
  return ['index.ts', 'index.js'].map((f) => path.join(dir, name, f)).find((f) => existsSync(f));
}

/** `dir`: this folder, or the roles' bundle (and another in the registry's own test). */
export function strategyNames(dir = DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared' && entry(dir, d.name))
    .map((d) => d.name).sort();
}

export async function loadStrategy(name: string, dir = DIR): Promise<Strategy> {
  if (!strategyNames(dir).includes(name)) {
    throw new Error(`unknown strategy '${name}' (one of ${strategyNames(dir).join(', ') || 'none yet'})`);
  }
  const mod = await import(pathToFileURL(entry(dir, name)!).href) as { default: Strategy };
  if (mod.default?.name !== name) throw new Error(`strategies/${name}/index.ts must default-export a Strategy named '${name}'`);
  return mod.default;
}
