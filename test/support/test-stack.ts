// The services the non-pure test projects share, each started once per run (shared-for-run.ts): the database
// (fresh and migrated, with the run's secrets key), and in front of it the local Neon endpoint, the fixture
// service, the Trino probe and the real Worker under `wrangler dev`.
import type pg from 'pg';
import { startNeonLocal } from '../../dev/neon-local.ts';
import { startLocalEdge } from '../../dev/run-local-edge.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyring } from '../../shared/secret-box.ts';
import { startFixtureServer } from './fixture-server.ts';
import { shareForRun, type Shared } from './shared-for-run.ts';
import { recreateTestDatabase, startTestPostgres } from './test-database.ts';
import { probeTrino } from './trino-probe.ts';

export interface TestDatabase {
  url: string;
  /** the same database on a port where nothing listens: a Postgres that is down */
  unreachableUrl: string;
  pool: pg.Pool;
  /** this run's BOITATA_SECRETS_KEY: the edge's, the fixture service's, and the one CLI tests seal with */
  secretsKey: string;
}

export interface TestServices {
  neonSqlUrl: string;
  neonWsHost: string;
  fixturesUrl: string;
  /** '' when no Trino is ready */
  trinoUrl: string;
  trinoSkipReason: string;
  edgeUrl: string;
}

export function acquireTestDatabase(): Promise<Shared<TestDatabase>> {
  return shareForRun('database', async () => {
    const postgres = await startTestPostgres();
    const pool = await recreateTestDatabase(postgres.url).catch(async (error: unknown) => {
      await postgres.stop();
      throw error;
    });
    const unreachable = new URL(postgres.url);
    unreachable.port = '1'; // nothing listens on port 1
    return {
      value: { url: postgres.url, unreachableUrl: unreachable.toString(), pool, secretsKey: generateSecretsKey() },
      async stop() {
        await pool.end();
        await postgres.stop();
      },
    };
  });
}

export function acquireTestServices(): Promise<Shared<TestServices>> {
  return shareForRun('services', async () => {
    // The services hold the database until they stop.
    const database = await acquireTestDatabase();
    const { url, pool, secretsKey } = database.value;
    // Stopped in reverse order, also when a later one fails to start (else the run would hang on them).
    const stops: Array<() => Promise<void>> = [() => database.release()];
    const stop = async () => {
      for (const next of stops.splice(0).reverse()) await next();
    };
    try {
      const neon = await startNeonLocal();
      stops.push(() => neon.close());
      // The fixture service seals signing secrets with the run's key, the edge opens them with it.
      const fixtures = await startFixtureServer(pool, new SecretsKeyring(await parseSecretsKey(secretsKey)));
      stops.push(() => fixtures.close());
      const trino = await probeTrino();
      const edge = await startLocalEdge({
        databaseUrl: url,
        port: Number(process.env['TEST_EDGE_PORT'] ?? 8797),
        vars: { GATE_CONFIG_TTL_SECONDS: '1', BOITATA_SECRETS_KEY: secretsKey },
      });
      stops.push(() => edge.stop());
      return {
        value: {
          neonSqlUrl: neon.sqlUrl,
          neonWsHost: neon.wsProxyHost,
          fixturesUrl: fixtures.url,
          trinoUrl: trino.ready ? trino.url : '',
          trinoSkipReason: trino.reason,
          edgeUrl: edge.url,
        },
        stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  });
}
