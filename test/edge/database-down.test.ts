// Postgres unreachable: a 503 that says to retry, nothing acknowledged, and the Idempotency-Key left free for the retry.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { createSqlClient } from '../../edge/db/sql-client.ts';
import { loadCredentialConfig } from '../../edge/gate/credential-config.ts';
import { PostgresQueueWriter } from '../../edge/queue/postgres-queue-writer.ts';
import { BoitataError } from '../../shared/errors.ts';
import { createConnection, pushPath, queueRows, send, testEnv } from './support.ts';

const unreachable = () =>
  createSqlClient({ databaseUrl: testEnv.UNREACHABLE_DATABASE_URL, neonHttpEndpoint: testEnv.NEON_HTTP_ENDPOINT });

describe('Postgres unreachable', () => {
  it('503 when the queue insert cannot reach Postgres; the retry with the same key then succeeds', async () => {
    const conn = await createConnection();
    // The real gates (config already readable), but a queue whose Postgres is down.
    const app = createApp({
      queue: new PostgresQueueWriter(unreachable()),
      gates: { gateFor: (kind, hash) => testEnv.GATE.get(testEnv.GATE.idFromName(`${kind}:${hash}`)) },
    });
    const request = () =>
      new Request(`https://edge.test${pushPath(conn.token, '?table=t')}`, {
        method: 'POST',
        headers: { 'x-tenant-id': conn.tenant, 'content-type': 'application/json', 'idempotency-key': 'retry-me' },
        body: '[{"a":1}]',
      });
    const down = await app.fetch(request(), testEnv);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'database_unavailable',
      message: expect.stringMatching(/nothing was stored/),
    });
    expect(await queueRows(conn.tenant)).toHaveLength(0);

    const recovered = await send(pushPath(conn.token, '?table=t'), {
      headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': 'retry-me' },
      json: [{ a: 1 }],
    });
    expect(recovered.status).toBe(202);
    expect(recovered.headers.get('idempotent-replayed')).toBeNull();
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('a gate that cannot read its config reports the database as unavailable, not the token as invalid', async () => {
    const failure = await loadCredentialConfig(unreachable(), 'ingest', '00'.repeat(32)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BoitataError);
    expect((failure as BoitataError).code).toBe('database_unavailable');
    expect((failure as BoitataError).status).toBe(503);
  });
});
