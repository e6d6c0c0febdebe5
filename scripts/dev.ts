// `npm run dev`: the edge on http://127.0.0.1:8787 against DATABASE_URL (default: the local Postgres).
import { databaseUrl } from '../cli/database.ts';
import { startLocalEdge } from '../dev/run-local-edge.ts';

const port = Number(process.env['PORT'] ?? 8787);
const url = databaseUrl();
const redacted = url.replace(/:[^:@/]*@/, ':***@');
console.log(`Boitatá edge: migrating ${redacted} and starting wrangler dev…`);

try {
  const edge = await startLocalEdge({ databaseUrl: url, port, inheritOutput: true });
  console.log(`
Boitatá edge is listening on ${edge.url}
  Postgres:            ${redacted}
  local Neon endpoint: ${edge.neon.sqlUrl} (HTTP /sql) and ws://${edge.neon.wsProxyHost}/v1 (WebSocket proxy)

Create a first connection (in another terminal):
  npx boitata tenants add demo
  npx boitata connections add --tenant demo --name first --table events
Then push with the token it prints:
  curl -X POST "${edge.url}/v1/ingest/push/<token>?table=events" -H "x-tenant-id: demo" \\
       -H "content-type: application/json" -d '[{"id":1,"email":"ana@example.com"}]'
Press Ctrl+C to stop.`);
  const shutdown = async () => {
    await edge.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  console.error(`Could not start the local edge: ${(error as Error).message}`);
  console.error('Is Postgres running? Set DATABASE_URL to point at it (default postgres://postgres@127.0.0.1:5432/boitata).');
  process.exit(1);
}
