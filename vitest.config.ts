// Three tiers: pure tests in Node, the edge inside real workerd, and the edge with its database down.
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import './test/support/provided-context.ts';

const edgeProject = (name: string, include: string, databaseKey: 'databaseUrl' | 'unreachableDatabaseUrl') => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          DATABASE_URL: inject(databaseKey),
          UNREACHABLE_DATABASE_URL: inject('unreachableDatabaseUrl'),
          NEON_HTTP_ENDPOINT: inject('neonSqlUrl'),
          NEON_WS_HOST: inject('neonWsHost'),
          NEON_WS_PROXY: `${inject('neonWsHost')}/v1`,
          FIXTURES_URL: inject('fixturesUrl'),
          BOITATA_SECRETS_KEY: inject('secretsKey'),
          // Short, so revocation tests see a revoked credential refused within a second.
          GATE_CONFIG_TTL_SECONDS: '1',
        },
      },
    })),
  ],
  test: { name, include: [include], testTimeout: 30_000 },
});

export default defineConfig({
  test: {
    // Runs once for the whole run (not per project): every project shares one database and endpoint.
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'node', include: ['test/shared/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/docs/**/*.test.ts', 'test/processor/pure/**/*.test.ts'], environment: 'node' } },
      // The processor against real Postgres and real Trino, fed through the real Worker (wrangler dev).
      { test: { name: 'warehouse', include: ['test/processor/warehouse/**/*.test.ts'], environment: 'node', testTimeout: 180_000, hookTimeout: 180_000 } },
      // The warehouse port's contract: the same suite against DuckDB (always) and Trino/Iceberg (when reachable; always in CI).
      { test: { name: 'warehouse-contract', include: ['test/processor/contract/**/*.test.ts'], environment: 'node', testTimeout: 180_000, hookTimeout: 180_000 } },
      // The operator status page, in headless Chromium (Debian's chromium, driven by playwright-core).
      { test: { name: 'status-page', include: ['test/processor/status/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000 } },
      // Stops and restarts the local Trino: after every other project (groupOrder), which all share it.
      { test: { name: 'trino-restart', include: ['test/processor/restart/**/*.test.ts'], environment: 'node', testTimeout: 300_000, hookTimeout: 300_000, sequence: { groupOrder: 1 } } },
      // Tenant A floods while tenant B's freshness and the processor's memory are measured: last (groupOrder 2), alone on the cores.
      { test: { name: 'noisy-neighbour', include: ['test/processor/noisy/**/*.test.ts'], environment: 'node', testTimeout: 600_000, hookTimeout: 600_000, sequence: { groupOrder: 2 } } },
      edgeProject('edge', 'test/edge/**/*.test.ts', 'databaseUrl'),
      edgeProject('edge-database-down', 'test/edge-database-down/**/*.test.ts', 'unreachableDatabaseUrl'),
    ],
  },
});
