// `npm run dev`: the edge on http://127.0.0.1:8787 against DATABASE_URL (default: the local Postgres), and the
// processor landing rows in Trino when one is reachable at TRINO_URL (default: the one `npm run trino` starts).
import { databaseUrl } from '../cli/database.ts';
import { startLocalEdge } from '../dev/run-local-edge.ts';
import { parseConfig } from '../processor/config.ts';
import { createLogger } from '../processor/logger.ts';
import { startProcessor } from '../processor/main.ts';

const port = Number(process.env['PORT'] ?? 8787);
const url = databaseUrl();
const redacted = url.replace(/:[^:@/]*@/, ':***@');
console.log(`Boitatá edge: migrating ${redacted} and starting wrangler dev…`);

async function trinoReady(trinoUrl: string): Promise<boolean> {
  try {
    const info = (await (await fetch(`${trinoUrl}/v1/info`, { signal: AbortSignal.timeout(2000) })).json()) as { starting?: boolean };
    return info.starting === false;
  } catch {
    return false;
  }
}

let edge: Awaited<ReturnType<typeof startLocalEdge>> | undefined;
try {
  edge = await startLocalEdge({ databaseUrl: url, port, inheritOutput: true });
  const config = parseConfig({ ...process.env, DATABASE_URL: url });
  const processor = (await trinoReady(config.TRINO_URL))
    ? await startProcessor(config, createLogger(config.LOG_LEVEL)).catch((error: Error) => {
      throw new Error(`the processor did not start: ${error.message}${(error as { code?: string }).code === 'EADDRINUSE' ? ' (set PROCESSOR_HTTP_PORT to a free port, or stop the other processor)' : ''}`);
    })
    : null;
  const processorLine = processor === null
    ? `NOT STARTED: no Trino at ${config.TRINO_URL}. Start the local one with \`npm run trino\` (fetches Trino 476 once,
                       needs a JDK >= 24), then run \`npm run processor\` or \`npm run dev\` again.`
    : `landing into ${config.TRINO_URL} (catalog ${config.TRINO_CATALOG}); health and metrics on http://${config.PROCESSOR_HTTP_HOST}:${config.PROCESSOR_HTTP_PORT}`;
  console.log(`
Boitatá edge is listening on ${edge.url}
  Postgres:            ${redacted}
  local Neon endpoint: ${edge.neon.sqlUrl} (HTTP /sql) and ws://${edge.neon.wsProxyHost}/v1 (WebSocket proxy)
  processor:           ${processorLine}

Create a first connection (in another terminal):
  npx boitata tenants add demo
  npx boitata connections add --tenant demo --name first --table events
Then push with the token it prints:
  curl -X POST "${edge.url}/v1/ingest/push/<token>?table=events" -H "x-tenant-id: demo" \\
       -H "content-type: application/json" -d '[{"id":1,"email":"ana@example.com"}]'
and, a few seconds later, read it back from Trino (schema tenant_<tenant id>):
  SELECT * FROM iceberg."tenant_demo"."events"
Press Ctrl+C to stop.`);
  const shutdown = async () => {
    await processor?.shutdown();
    await edge?.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  await edge?.stop();
  console.error(`Could not start the local stack: ${(error as Error).message}`);
  if (edge === undefined) console.error('Is Postgres running? Set DATABASE_URL to point at it (default postgres://postgres@127.0.0.1:5432/boitata).');
  process.exit(1);
}
