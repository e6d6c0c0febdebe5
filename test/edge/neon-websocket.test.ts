// The local Neon endpoint's WebSocket-to-TCP proxy: the driver's Pool speaks the Postgres protocol through it from workerd.
import { Client, neonConfig } from '@neondatabase/serverless';
import { expect, it } from 'vitest';
import { testEnv } from './support.ts';

it('runs a query through a WebSocket Client against the real Postgres', async () => {
  neonConfig.wsProxy = (host, port) => `${testEnv.NEON_WS_HOST}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
  const client = new Client({ connectionString: testEnv.DATABASE_URL });
  // The socket closing after end() is reported as an error event; it is not a failure of the query.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ migrations: string }>('SELECT count(*)::text AS migrations FROM boitata_migrations');
    expect(Number(result.rows[0]?.migrations)).toBeGreaterThanOrEqual(2);
  } finally {
    await client.end();
  }
});
