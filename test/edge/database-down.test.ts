// Postgres unreachable: a 503 that says to retry, nothing acknowledged, and the Idempotency-Key left free for the retry.
import { describe, expect, it } from 'vitest';
import { runInDurableObject } from 'cloudflare:test';
import { sha256Hex } from '../../edge/auth/secrets.ts';
import { createSqlClient } from '../../edge/db/sql-client.ts';
import { createWebSocketSqlClient } from '../../edge/db/websocket-sql-client.ts';
import type { CredentialGate } from '../../edge/gate/credential-gate.ts';
import { loadCredentialConfig } from '../../edge/gate/credential-config.ts';
import { PostgresQueueWriter } from '../../edge/queue/postgres-queue-writer.ts';
import { BoitataError } from '../../shared/errors.ts';
import { createConnection, pushPath, queueRows, send, testEnv } from './support.ts';

const unreachable = () => createSqlClient({ databaseUrl: testEnv.UNREACHABLE_DATABASE_URL, neonHttpEndpoint: testEnv.NEON_HTTP_ENDPOINT });

describe('Postgres unreachable', () => {
  it('503 when the queue insert cannot reach Postgres; the retry with the same key then succeeds', async () => {
    const conn = await createConnection();
    const pushOnce = () => send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': 'retry-me' }, json: [{ a: 1 }] });
    expect((await pushOnce()).status).toBe(202); // the gate has read its config and written once

    // Postgres goes away under a running gate: its queue writer now points at a closed port.
    const gate = testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
    const realWriters = await runInDurableObject(gate, (instance: CredentialGate) => {
      const previous = [...instance.batcher.writers];
      instance.batcher.replaceWriters(() => new PostgresQueueWriter(unreachable()));
      return previous;
    });
    const other = () => send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': 'second' }, json: [{ a: 2 }] });
    const down = await other();
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'database_unavailable',
      message: expect.stringMatching(/unreachable.*Idempotency-Key/),
    });
    expect(await queueRows(conn.tenant)).toHaveLength(1);

    await runInDurableObject(gate, (instance: CredentialGate) => {
      instance.batcher.replaceWriters((i) => realWriters[i]!);
    });
    const recovered = await other();
    expect(recovered.status).toBe(202);
    expect(recovered.headers.get('idempotent-replayed')).toBeNull();
    expect(await queueRows(conn.tenant)).toHaveLength(2);
  });

  it('a commit whose acknowledgement is lost is found again and answered 202, stored once', async () => {
    const conn = await createConnection();
    const pushOnce = (n: number) => send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ n }] });
    expect((await pushOnce(1)).status).toBe(202);
    const gate = testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
    // Fault injection around the real writer: the statement commits, then the connection "drops".
    const realWriters = await runInDurableObject(gate, (instance: CredentialGate) => {
      const previous = [...instance.batcher.writers];
      instance.batcher.replaceWriters((i) => ({
        async enqueueBatch(messages) {
          await previous[i]!.enqueueBatch(messages);
          throw new BoitataError('database_unavailable', 'connection lost after COMMIT');
        },
        findStored: (ids) => previous[i]!.findStored(ids),
      }));
      return previous;
    });
    const response = await pushOnce(2);
    await runInDurableObject(gate, (instance: CredentialGate) => instance.batcher.replaceWriters((i) => realWriters[i]!));
    expect(response.status).toBe(202);
    expect((await queueRows(conn.tenant)).map((row) => row['payload'])).toEqual([[{ n: 1 }], [{ n: 2 }]]);
  });

  it('a write connection that cannot reach Postgres is a 503, not a 500', async () => {
    const sql = createWebSocketSqlClient({ databaseUrl: testEnv.UNREACHABLE_DATABASE_URL, neonWsProxy: `${testEnv.NEON_WS_HOST}/v1` });
    const failure = await sql.query('SELECT 1', []).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BoitataError);
    expect((failure as BoitataError).code).toBe('database_unavailable');
  });

  it('an error Postgres raises for a statement stays a 500: it is a bug, not an outage', async () => {
    const sql = createSqlClient({ databaseUrl: testEnv.DATABASE_URL, neonHttpEndpoint: testEnv.NEON_HTTP_ENDPOINT });
    const failure = await sql.query('SELECT * FROM no_such_table', []).catch((error: unknown) => error);
    expect((failure as BoitataError).code).toBe('internal_error');
    const ws = createWebSocketSqlClient({ databaseUrl: testEnv.DATABASE_URL, neonWsProxy: `${testEnv.NEON_WS_HOST}/v1` });
    expect(((await ws.query('SELECT 1/0', []).catch((error: unknown) => error)) as BoitataError).code).toBe('internal_error');
    expect(await ws.query<{ ok: number }>('SELECT 1 AS ok', [])).toEqual([{ ok: 1 }]);
  });

  it('a gate that cannot read its config reports the database as unavailable, not the token as invalid', async () => {
    const failure = await loadCredentialConfig(unreachable(), 'ingest', '00'.repeat(32)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BoitataError);
    expect((failure as BoitataError).code).toBe('database_unavailable');
    expect((failure as BoitataError).status).toBe(503);
  });
});
