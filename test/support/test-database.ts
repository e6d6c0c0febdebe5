// The test database: dropped and created afresh for every run, then migrated with the real migrations.
import pg from 'pg';
import { migrate } from '../../cli/migrate.ts';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/boitata_test';

export async function recreateTestDatabase(url: string = TEST_DATABASE_URL): Promise<pg.Pool> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Tests need a Postgres at ${admin.host} (set TEST_DATABASE_URL to use another): ${(error as Error).message}`,
    );
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
