// Once per test run: a fresh migrated database, the local Neon endpoint in front of it, and the fixture service.
import type { TestProject } from 'vitest/node';
import { startNeonLocal } from '../dev/neon-local.ts';
import { startFixtureServer } from './support/fixture-server.ts';
import { probeTrino } from './support/trino-probe.ts';
import { startLocalEdge, type LocalEdge } from '../dev/run-local-edge.ts';
import { recreateTestDatabase, startTestPostgres } from './support/test-database.ts';
import './support/provided-context.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startTestPostgres();
  const TEST_DATABASE_URL = postgres.url;
  const pool = await recreateTestDatabase(TEST_DATABASE_URL);
  const neon = await startNeonLocal();
  const fixtures = await startFixtureServer(pool);
  const unreachable = new URL(TEST_DATABASE_URL);
  unreachable.port = '1'; // nothing listens on port 1: a Postgres that is down

  project.provide('databaseUrl', TEST_DATABASE_URL);
  project.provide('unreachableDatabaseUrl', unreachable.toString());
  project.provide('neonSqlUrl', neon.sqlUrl);
  project.provide('neonWsHost', neon.wsProxyHost);
  project.provide('fixturesUrl', fixtures.url);

  // The processor tests push through the real Worker (wrangler dev); the Trino ones need a real Trino.
  const trino = await probeTrino();
  const edge: LocalEdge = await startLocalEdge({
    databaseUrl: TEST_DATABASE_URL, port: Number(process.env['TEST_EDGE_PORT'] ?? 8797), vars: { GATE_CONFIG_TTL_SECONDS: '1' },
  });
  project.provide('trinoUrl', trino.ready ? trino.url : '');
  project.provide('trinoSkipReason', trino.reason);
  project.provide('edgeUrl', edge.url);

  return async () => {
    await edge.stop();
    await fixtures.close();
    await neon.close();
    await pool.end();
    await postgres.stop();
  };
}
