// Strategies are discovered, not listed: every folder under strategies/ with an index.ts
// (except shared/) is one. Adding a strategy touches no other file.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from './contract.ts';

const DIR = path.dirname(fileURLToPath(import.meta.url));
/** index.ts here, index.js in the compiled copy the roles run from (tsconfig.build.json). */
const INDEX = `index${path.extname(fileURLToPath(import.meta.url))}`;

/** `dir`: this folder (another only in the registry's own test). */
export function strategyNames(dir = DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared' && existsSync(path.join(dir, d.name, INDEX)))
    .map((d) => d.name).sort();
}

export async function loadStrategy(name: string, dir = DIR): Promise<Strategy> {
  if (!strategyNames(dir).includes(name)) {
    throw new Error(`unknown strategy '${name}' (one of ${strategyNames(dir).join(', ') || 'none yet'})`);
  }
  const mod = await import(pathToFileURL(path.join(dir, name, INDEX)).href) as { default: Strategy };
  if (mod.default?.name !== name) throw new Error(`strategies/${name}/index.ts must default-export a Strategy named '${name}'`);
  return mod.default;
}
