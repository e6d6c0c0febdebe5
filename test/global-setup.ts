// Once per test run: a fresh migrated database, the local Neon endpoint in front of it, and the fixture service.
import type { TestProject } from 'vitest/node';
import { startNeonLocal } from '../dev/neon-local.ts';
import { startFixtureServer } from './support/fixture-server.ts';
import { probeTrino } from './support/trino-probe.ts';
import { startLocalEdge, type LocalEdge } from '../dev/run-local-edge.ts';
import { recreateTestDatabase, TEST_DATABASE_URL } from './support/test-database.ts';
import './support/provided-context.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pool = await recreateTestDatabase();
  const neon = await startNeonLocal();
  const fixtures = await startFixtureServer(pool);
  const unreachable = new URL(TEST_DATABASE_URL);
  unreachable.port = '1'; // nothing listens on port 1: a Postgres that is down

  project.provide('databaseUrl', TEST_DATABASE_URL);
  project.provide('unreachableDatabaseUrl', unreachable.toString());
  project.provide('neonSqlUrl', neon.sqlUrl);
  project.provide('neonWsHost', neon.wsProxyHost);
  project.provide('fixturesUrl', fixtures.url);

  // The processor tests need a real Trino and push through the real Worker (wrangler dev).
  const trino = await probeTrino();
  let edge: LocalEdge | null = null;
  if (trino.ready) {
    edge = await startLocalEdge({ databaseUrl: TEST_DATABASE_URL, port: 8797, vars: { GATE_CONFIG_TTL_SECONDS: '1' } });
  }
  project.provide('trinoUrl', trino.ready ? trino.url : '');
  project.provide('trinoSkipReason', trino.reason);
  project.provide('edgeUrl', edge?.url ?? '');

  return async () => {
    await edge?.stop();
    await fixtures.close();
    await neon.close();
    await pool.end();
  };
}
