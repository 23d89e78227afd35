// Where things are: the repository, and the Python that has Mininet. A leaf module, so that any
// module can know them without loading the topology driver.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Debian's python3 has the mininet module; a pyenv python on PATH does not. */
export const PYTHON = process.env.MIGBENCH_PYTHON ?? '/usr/bin/python3';
