// Where things are: the repository (and its commit), and the Python that has Mininet. A leaf module, so that any
// module can know them without loading the topology driver.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Debian's python3 has the mininet module; a pyenv python on PATH does not. */
export const PYTHON = process.env.MIGBENCH_PYTHON ?? '/usr/bin/python3';

/** The repository's commit, `+dirty` when code (not docs) differs from it; 'unknown' outside a checkout. */
export function commitOf(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'core', 'harness', 'strategies', 'topologies'], { cwd: REPO, encoding: 'utf8' }).trim();
    return dirty ? `${commit}+dirty` : commit;
  } catch { return 'unknown'; }
}
