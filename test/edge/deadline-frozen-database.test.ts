// A database that stops answering (a host stopped with SIGSTOP: connections accepted, nothing ever answered) gets
// every request a 503 within the deadline — connect, statement, queued batch and config read alike — and the
// service recovers by itself once the database answers again, storing each retried message exactly once.
import { describe, expect, it } from 'vitest';
import { runInDurableObject } from 'cloudflare:test';
import { sha256Hex } from '../../edge/auth/secrets.ts';
import type { CredentialGate } from '../../edge/gate/credential-gate.ts';
import { createConnection, pushPath, query, send, testEnv, type ConnectionFixture } from './support.ts';

/** Slack for scheduling on a busy machine: an answer is due by the deadline, and here must come by deadline + this. */
const MARGIN_MS = 2_500;

interface Relay {
  databaseUrl: string;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

/** A relay in front of the test Postgres, served by the local Neon stand-in (dev/freezable-relay.ts). */
async function freezableDatabase(): Promise<Relay> {
  const controls = `${testEnv.NEON_HTTP_ENDPOINT.replace(/\/sql$/, '')}/__test/relays`;
  const target = new URL(testEnv.DATABASE_URL);
  const created = await fetch(controls, { method: 'POST', body: JSON.stringify({ address: `${target.hostname}:${target.port || 5432}` }) });
  const { port } = (await created.json()) as { port: number };
  target.port = String(port);
  const control = async (action: string) => {
    expect((await fetch(`${controls}/${port}/${action}`, { method: 'POST' })).status).toBe(200);
  };
  return { databaseUrl: target.toString(), freeze: () => control('freeze'), thaw: () => control('thaw') };
}

/** Points the connection's gate (its Durable Object) at the relay, as a deploy with these settings would. */
async function gateThrough(conn: ConnectionFixture, settings: Parameters<CredentialGate['reconfigure']>[0]): Promise<void> {
  const gate = testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
  await runInDurableObject(gate, (instance: CredentialGate) => instance.reconfigure(settings));
}

interface Timed {
  key: string;
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  replayed: boolean;
  ms: number;
}

async function timedPush(conn: ConnectionFixture, key: string): Promise<Timed> {
  const started = Date.now();
  const response = await send(pushPath(conn.token, '?table=t'), {
    headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': key },
    json: [{ key }],
  });
  const body = (await response.json()) as { error?: { code: string } };
  return {
    key,
    status: response.status,
    code: body.error?.code,
    retryAfter: response.headers.get('retry-after'),
    replayed: response.headers.get('idempotent-replayed') === 'true',
    ms: Date.now() - started,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rowsPerKey(tenant: string): Promise<Record<string, number>> {
  const rows = await query<{ idempotency_key: string; n: number }>(
    'SELECT idempotency_key, count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1',
    [tenant],
  );
  return Object.fromEntries(rows.map((row) => [row.idempotency_key, row.n]));
}

function expectUnavailableWithin(answers: Timed[], deadlineMs: number): void {
  // The figures the README quotes: when each request was answered, against its deadline.
  console.info(JSON.stringify({ deadline_ms: deadlineMs, answered_ms: answers.map((answer) => answer.ms) }));
  for (const answer of answers) {
    expect(answer, answer.key).toMatchObject({ status: 503, code: 'database_unavailable', retryAfter: '5' });
    expect(answer.ms, `${answer.key} answered after ${answer.ms} ms`).toBeLessThan(deadlineMs + MARGIN_MS);
  }
}

describe('a frozen database', () => {
  it('statements, connects and batches queued behind stuck ones: all answered 503 by the deadline; retries then store each message once', async () => {
    const deadlineMs = 2_000;
    const relay = await freezableDatabase();
    const conn = await createConnection();
    await gateThrough(conn, { databaseUrl: relay.databaseUrl, databaseDeadlineMs: deadlineMs, gateConfigTtlMs: 600_000 });
    expect((await timedPush(conn, 'warm')).status).toBe(202); // config cached, both write connections warm

    await relay.freeze();
    try {
      // Two batches go out on the two warm connections and hang; the rest queue behind them.
      const stuck = Array.from({ length: 5 }, (_, i) => timedPush(conn, `stuck-${i}`));
      await sleep(deadlineMs / 2);
      const queued = Array.from({ length: 2 }, (_, i) => timedPush(conn, `queued-${i}`));
      expectUnavailableWithin(await Promise.all([...stuck, ...queued]), deadlineMs);
      // Those connections were abandoned: the next requests open new ones, whose handshake never completes.
      expectUnavailableWithin(await Promise.all([timedPush(conn, 'connect-0'), timedPush(conn, 'connect-1')]), deadlineMs);
    } finally {
      await relay.thaw();
    }

    // The statements that were sent commit now, after their 503 (as on a real host resumed with SIGCONT): the
    // retries with the same Idempotency-Key find them instead of storing them again, and the others are stored.
    const keys = [...Array.from({ length: 5 }, (_, i) => `stuck-${i}`), 'queued-0', 'queued-1', 'connect-0', 'connect-1'];
    const replayed: string[] = [];
    for (const key of keys) {
      const retried = await timedPush(conn, key);
      expect(retried, key).toMatchObject({ status: 202 });
      if (retried.replayed) replayed.push(key);
    }
    console.info(JSON.stringify({ answered_503_then_found_stored: replayed }));
    expect(await rowsPerKey(conn.tenant)).toEqual(Object.fromEntries(['warm', ...keys].map((key) => [key, 1])));
    expect((await timedPush(conn, 'after')).status).toBe(202);
  });

  it('the credential config read (HTTP /sql) is bounded by the same deadline', async () => {
    const deadlineMs = 2_000;
    const relay = await freezableDatabase();
    const conn = await createConnection();
    // TTL 0: every request re-reads its credential's config through the frozen endpoint.
    await gateThrough(conn, { databaseUrl: relay.databaseUrl, databaseDeadlineMs: deadlineMs, gateConfigTtlMs: 0 });
    expect((await timedPush(conn, 'warm')).status).toBe(202);
    await relay.freeze();
    try {
      expectUnavailableWithin(await Promise.all([timedPush(conn, 'config-0'), timedPush(conn, 'config-1')]), deadlineMs);
    } finally {
      await relay.thaw();
    }
    expect((await timedPush(conn, 'config-0')).status).toBe(202);
  });

  it('the documented default: 503 at 15 s, not later (and not much earlier)', { timeout: 60_000 }, async () => {
    const relay = await freezableDatabase();
    const conn = await createConnection();
    await gateThrough(conn, { databaseUrl: relay.databaseUrl }); // DATABASE_DEADLINE_SECONDS unset: 15
    expect((await timedPush(conn, 'warm')).status).toBe(202);
    await relay.freeze();
    let answer: Timed;
    try {
      answer = await timedPush(conn, 'default');
    } finally {
      await relay.thaw();
    }
    expectUnavailableWithin([answer], 15_000);
    expect(answer.ms).toBeGreaterThan(14_000);
    expect((await timedPush(conn, 'default')).status).toBe(202);
    expect(await rowsPerKey(conn.tenant)).toEqual({ warm: 1, default: 1 });
  });
});
