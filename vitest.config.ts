// Three tiers: pure tests in Node, the edge inside real workerd, and the processor against real Postgres and Trino.
// Each project names the global setup it needs: 'pure' none (no Postgres, no wrangler), 'cli' the database, the
// rest the whole stack. What several projects of a run need is started once and shared (test/support/test-stack.ts).
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig } from 'vitest/config';
import './test/support/provided-context.ts';

const DATABASE = ['./test/global-setup-database.ts'];
const STACK = ['./test/global-setup.ts'];
/** Tests that need no service: no global setup at all. */
const PURE = [
  'test/shared/**/*.test.ts',
  'test/processor/pure/**/*.test.ts',
  'test/docs/**/*.test.ts',
  'test/cli/secrets-key.test.ts',
  // The edge's app with in-memory ports (createApp(deps).request()): no Worker needed.
  'test/edge/app/**/*.test.ts',
];

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
  test: { name, include: [include], exclude: [...configDefaults.exclude, ...PURE], globalSetup: STACK, testTimeout: 30_000 },
});

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      // Pure tables, the processor's pure core, the README against the code: seconds, nothing started. These tests
      // change no shared state (no mocks, no environment, no globals), so the files of a worker share one module
      // graph instead of importing everything again (isolate: false halves the run); a test that mocks goes elsewhere.
      { test: { name: 'pure', include: PURE, environment: 'node', isolate: false } },
      // The CLI as a child process against the real database. Each `boitata` run starts a Node (2–3 s on a busy 2-core
      // machine) and a test runs it up to 16 times: 5 s was too short for one of them, 2 minutes leaves room.
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...PURE],
          environment: 'node',
          globalSetup: DATABASE,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      // The processor against real Postgres and real Trino, fed through the real Worker (wrangler dev).
      {
        test: {
          name: 'warehouse',
          include: ['test/processor/warehouse/**/*.test.ts'],
          environment: 'node',
          globalSetup: STACK,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      // The warehouse port's contract: the same suite against DuckDB (always) and Trino/Iceberg (when reachable; always in CI).
      {
        test: {
          name: 'warehouse-contract',
          include: ['test/processor/contract/**/*.test.ts'],
          environment: 'node',
          globalSetup: STACK,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      // The operator status page, in headless Chromium (Debian's chromium, driven by playwright-core).
      {
        test: {
          name: 'status-page',
          include: ['test/processor/status/**/*.test.ts'],
          environment: 'node',
          globalSetup: DATABASE,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      // Stops and restarts the local Trino: after every other project (groupOrder), which all share it.
      {
        test: {
          name: 'trino-restart',
          include: ['test/processor/restart/**/*.test.ts'],
          environment: 'node',
          globalSetup: STACK,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      // Tenant A floods while tenant B's freshness and the processor's memory are measured: last (groupOrder 2), alone on the cores.
      {
        test: {
          name: 'noisy-neighbour',
          include: ['test/processor/noisy/**/*.test.ts'],
          environment: 'node',
          globalSetup: STACK,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          sequence: { groupOrder: 2 },
        },
      },
      edgeProject('edge', 'test/edge/**/*.test.ts', 'databaseUrl'),
      edgeProject('edge-database-down', 'test/edge-database-down/**/*.test.ts', 'unreachableDatabaseUrl'),
    ],
  },
});
