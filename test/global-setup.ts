// Once per test run: a fresh migrated database, the local Neon endpoint in front of it, the fixture service, and the
// run's secrets key.
import type { TestProject } from 'vitest/node';
import { startNeonLocal } from '../dev/neon-local.ts';
import { startFixtureServer } from './support/fixture-server.ts';
import { probeTrino } from './support/trino-probe.ts';
import { startLocalEdge, type LocalEdge } from '../dev/run-local-edge.ts';
import { recreateTestDatabase, startTestPostgres } from './support/test-database.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyring } from '../shared/secret-box.ts';
import './support/provided-context.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startTestPostgres();
  const TEST_DATABASE_URL = postgres.url;
  const pool = await recreateTestDatabase(TEST_DATABASE_URL);
  const neon = await startNeonLocal();
  // One BOITATA_SECRETS_KEY per run: the fixture service seals signing secrets with it, the edge opens them.
  const secretsKey = generateSecretsKey();
  const fixtures = await startFixtureServer(pool, new SecretsKeyring(await parseSecretsKey(secretsKey)));
  const unreachable = new URL(TEST_DATABASE_URL);
  unreachable.port = '1'; // nothing listens on port 1: a Postgres that is down

  project.provide('databaseUrl', TEST_DATABASE_URL);
  project.provide('unreachableDatabaseUrl', unreachable.toString());
  project.provide('neonSqlUrl', neon.sqlUrl);
  project.provide('neonWsHost', neon.wsProxyHost);
  project.provide('fixturesUrl', fixtures.url);
  project.provide('secretsKey', secretsKey);

  // The processor tests push through the real Worker (wrangler dev); the Trino ones need a real Trino.
  const trino = await probeTrino();
  const edge: LocalEdge = await startLocalEdge({
    databaseUrl: TEST_DATABASE_URL, port: Number(process.env['TEST_EDGE_PORT'] ?? 8797), vars: { GATE_CONFIG_TTL_SECONDS: '1', BOITATA_SECRETS_KEY: secretsKey },
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
