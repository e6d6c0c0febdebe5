// Where the local data lives (BOITATA_DATA_DIR: the embedded PostgreSQL's cluster and password, the DuckDB file,
// the generated secrets key), and how a relative directory is read.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_DATA_DIR = '.boitata';
/** Relative data directories are taken from the project, wherever the command runs from. */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const resolveDataDir = (dataDir: string): string => (isAbsolute(dataDir) ? dataDir : resolve(PROJECT_ROOT, dataDir));
