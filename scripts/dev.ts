// `npm run dev`: the whole stack on one machine. PostgreSQL from DATABASE_URL, or an embedded one (data in
// .boitata/); the edge under wrangler dev on http://127.0.0.1:8787; the processor landing rows in Trino when
// TRINO_URL is set, or in an embedded DuckDB file otherwise. Prints a ready curl for a demo connection.
import type { DatabaseHandle } from '../database/database-handle.ts';
import { resolveDatabase } from '../database/resolve-database.ts';
import { demoCurl, ensureDemoConnection } from '../dev/demo.ts';
import { startLocalEdge, type LocalEdge } from '../dev/run-local-edge.ts';
import { openPool } from '../database/open-pool.ts';
import { edgeSecretsKeyVars } from '../cli/secrets-key.ts';
import { ConfigError, parseConfig, type ProcessorConfig } from '../processor/config.ts';
import { redactUrl } from '../shared/redact-url.ts';
import { createLogger } from '../processor/logger.ts';
import { startProcessor } from '../processor/main.ts';
import { duckDbPath } from '../processor/warehouse/create-warehouse.ts';

const port = Number(process.env['PORT'] ?? 8787);

let config: ProcessorConfig;
try {
  config = parseConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

async function trinoReady(trinoUrl: string): Promise<boolean> {
  try {
    const info = (await (await fetch(`${trinoUrl}/v1/info`, { signal: AbortSignal.timeout(2000) })).json()) as { starting?: boolean };
    return info.starting === false;
  } catch {
    return false;
  }
}

let database: DatabaseHandle | undefined;
let edge: LocalEdge | undefined;
let processor: Awaited<ReturnType<typeof startProcessor>> | undefined;
// Ctrl+C at any moment, start-up included: stop what has started (the processor first: it finishes its batch).
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stopAll().then(() => process.exit(0));
  });
}
try {
  console.log(
    config.DATABASE_URL === undefined
      ? `Boitatá: DATABASE_URL is not set, starting the embedded PostgreSQL (data in ${config.BOITATA_DATA_DIR}/postgres)…`
      : `Boitatá: using the PostgreSQL at ${redactUrl(config.DATABASE_URL)}…`,
  );
  database = await resolveDatabase(process.env);
  // The edge opens signing secrets with the key the CLI seals them with (BOITATA_SECRETS_KEY, or the embedded
  // setup's generated BOITATA_DATA_DIR/secrets-key).
  const secretsKey = await edgeSecretsKeyVars(process.env);
  if (secretsKey === null) {
    console.warn(
      'BOITATA_SECRETS_KEY is not set: connections with --verify (provider webhooks) cannot be verified by this edge. Set it to the key their signing secrets were sealed with (`npm run boitata -- secrets generate-key` makes a new one).',
    );
  }
  edge = await startLocalEdge({ databaseUrl: database.url, port, inheritOutput: true, vars: secretsKey ?? {} });
  if (config.TRINO_URL !== undefined && !(await trinoReady(config.TRINO_URL))) {
    console.warn(`Trino at ${config.TRINO_URL} does not answer yet: the processor keeps retrying, nothing is lost meanwhile.`);
  }
  processor = await startProcessor({ ...config, DATABASE_URL: database.url }, createLogger(config.LOG_LEVEL)).catch((error: Error) => {
    throw new Error(
      `the processor did not start: ${error.message}${(error as { code?: string }).code === 'EADDRINUSE' ? ' (set PROCESSOR_HTTP_PORT to a free port, or stop the other processor)' : ''}`,
    );
  });
  const pool = openPool(database.url);
  const demo = await ensureDemoConnection(pool, { dataDir: config.BOITATA_DATA_DIR, databaseUrl: database.url }).finally(() => pool.end());
  const status = `http://${config.PROCESSOR_HTTP_HOST}:${config.PROCESSOR_HTTP_PORT}`;
  const where = config.TRINO_URL === undefined ? `DuckDB file ${duckDbPath(config)}` : `Trino ${redactUrl(config.TRINO_URL)} (catalog ${config.TRINO_CATALOG})`;
  const table =
    config.TRINO_URL === undefined
      ? `${config.TRINO_SCHEMA_PREFIX}${demo.tenant}.${demo.table}`
      : `${config.TRINO_CATALOG}.${config.TRINO_SCHEMA_PREFIX}${demo.tenant}.${demo.table}`;
  console.log(`
Boitatá is running.
  edge:       ${edge.url}
  database:   ${redactUrl(database.url)} (${database.origin})
  warehouse:  ${where}
  status:     ${status}/status   (JSON: /status.json, health: /health, metrics: /metrics)

Demo tenant "${demo.tenant}", ${demo.created ? 'new' : 'existing'} connection. Push a sample (from another terminal):
  ${demoCurl(edge.url, demo)}

A moment later (it lands within a second), read it back:
  npm run boitata -- query "SELECT * FROM ${table}"

Press Ctrl+C to stop.`);
} catch (error) {
  console.error(`Could not start the local stack: ${(error as Error).message}`);
  await stopAll();
  process.exit(1);
}

async function stopAll(): Promise<void> {
  await processor?.shutdown().catch((error: Error) => console.error(`processor shutdown: ${error.message}`));
  await edge?.stop().catch(() => undefined);
  await database?.stop().catch(() => undefined);
}
