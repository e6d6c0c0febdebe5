// The test database: dropped and created afresh for every run, then migrated with the real migrations.
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../database/migrate.ts';
import { startEmbeddedPostgres } from '../../database/embedded-postgres.ts';
import { redactUrl } from '../../shared/redact-url.ts';

const LOCAL_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/boitata_test';

/**
 * TEST_DATABASE_URL when set; else the local PostgreSQL on 5432 when one answers; else (a machine with only
 * Node) an embedded PostgreSQL started for this run, its cluster kept in the temp directory between runs.
 */
export async function startTestPostgres(): Promise<{ url: string; origin: string; stop(): Promise<void> }> {
  const configured = process.env['TEST_DATABASE_URL']?.trim();
  if (configured) return { url: configured, origin: 'TEST_DATABASE_URL', stop: async () => undefined };
  if (await answers(LOCAL_TEST_DATABASE_URL)) return { url: LOCAL_TEST_DATABASE_URL, origin: 'local PostgreSQL', stop: async () => undefined };
  const embedded = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), `boitata-test-postgres-${userInfo().uid}`),
    port: Number(process.env['BOITATA_TEST_EMBEDDED_PORT'] ?? 54339),
    database: 'boitata_test',
  });
  process.stderr.write(`No PostgreSQL at 127.0.0.1:5432: the tests use an embedded one (${redactUrl(embedded.url)}).\n`);
  return { url: embedded.url, origin: 'embedded PostgreSQL', stop: () => embedded.stop() };
}

async function answers(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function recreateTestDatabase(url: string): Promise<pg.Pool> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Tests need a Postgres at ${admin.host} (set TEST_DATABASE_URL to use another): ${(error as Error).message}`);
  }
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle connection ended by the server (another run recreating the database) must not crash the run.
  pool.on('error', (error) => process.stderr.write(`test database connection lost: ${error.message}\n`));
  await migrate(pool);
  return pool;
}
