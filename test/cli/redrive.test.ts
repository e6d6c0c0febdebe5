// `boitata messages redrive` as an operator runs it, against the real database: queue rows as the processor leaves
// them (landed, dead with its dead letter, one still queued), the dry run, the re-drive, a table filter, and the
// errors an operator can make. The landing itself is test/processor/warehouse/redrive.test.ts's.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBoitata } from './run-boitata.ts';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `redrive-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;

const boitata = (...args: string[]) => runBoitata(args, { ...process.env, DATABASE_URL: databaseUrl });

/**
 * A queue row as the processor leaves it: `landed` (done), `dead` (with its open dead letter) or still `pending`; or,
 * with `arrived`, a verified delivery the edge stored dead on arrival (its receipt says `dead_lettered`), its body kept
 * as sent or, `opaque`, as the edge's base64 of text Postgres could not store.
 */
async function enqueue(
  connection: string,
  table: string,
  rows: number,
  state: 'landed' | 'dead' | 'pending',
  receivedAgo: string,
  options: { tenant?: string; arrived?: 'dead' | 'opaque' } = {},
): Promise<void> {
  const messageId = randomUUID();
  const arrived = options.arrived;
  const tables = [{ table, rows }];
  const status = { landed: 'done', dead: 'dead', pending: 'pending' }[state];
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt,
                                        idempotency_scope, status, received_at, processed_at, landed)
     VALUES ($1, $2, $3::uuid, 'push', 'array', $4, $5, $6, $7, $3::uuid, $8, clock_timestamp() - $9::interval,
             CASE WHEN $8 = 'pending' THEN NULL ELSE clock_timestamp() END, $10::jsonb)`,
    [
      messageId,
      options.tenant ?? tenant,
      connection,
      table,
      arrived === 'opaque'
        ? JSON.stringify({ unreadable_body_base64: Buffer.from('{"email": "dora@example.com"}\u0000').toString('base64') })
        : JSON.stringify(Array.from({ length: rows }, (_, id) => ({ id }))),
      rows,
      JSON.stringify(
        arrived === undefined
          ? { message_id: messageId, status: 'queued', tables, rows }
          : { message_id: messageId, status: 'dead_lettered', tables: [], rows: 0, error: { code: 'invalid_payload', message: 'a content rule' } },
      ),
      status,
      receivedAgo,
      state === 'landed' ? JSON.stringify(tables) : null,
    ],
  );
  if (state === 'dead') {
    await db.query(
      `INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
       SELECT id, message_id, tenant_id, 'warehouse_rejected', 'orders: a value did not fit', 5 FROM boitata_inbound_queue WHERE message_id = $1`,
      [messageId],
    );
  }
}

const snapshot = async () =>
  (
    await db.query(
      `SELECT q.status, q.redrive, q.redrives, q.attempts, q.available_at::text, d.replayed_at IS NOT NULL AS replayed
         FROM boitata_inbound_queue q LEFT JOIN boitata_dead_letters d ON d.queue_id = q.id WHERE q.tenant_id = $1 ORDER BY q.id`,
      [tenant],
    )
  ).rows;

beforeAll(async () => {
  await addTenant(db, { id: tenant });
  const { connection } = await addConnection(db, { tenant, name: 'shop' });
  await enqueue(connection.id, 'orders', 2, 'landed', '3 hours');
  await enqueue(connection.id, 'orders', 1, 'dead', '2 hours');
  await enqueue(connection.id, 'Refunds', 3, 'landed', '90 minutes');
  await enqueue(connection.id, 'orders', 1, 'pending', '1 hour');
  // Outside the range the tests name (--since 4h).
  await enqueue(connection.id, 'orders', 1, 'landed', '5 hours');
}, 120_000);

afterAll(() => db.end());

describe('boitata messages redrive', () => {
  it('refuses what it cannot run, saying what to change', async () => {
    const missing = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '4h');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--until is required') });
    const backwards = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '1h', '--until', '2h');
    expect(backwards).toMatchObject({ code: 2, stderr: expect.stringMatching(/--since .* must be before --until/) });
    const local = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '2026-06-12T08:00:00', '--until', 'now');
    expect(local).toMatchObject({ code: 2, stderr: expect.stringContaining('with its offset') });
    const table = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '4h', '--until', 'now', '--table', 'no such');
    expect(table).toMatchObject({ code: 2, stderr: expect.stringContaining('not a table name') });
    const nobody = await boitata('messages', 'redrive', '--tenant', `${tenant}-nobody`, '--since', '4h', '--until', 'now', '--dry-run');
    expect(nobody).toMatchObject({ code: 1, stderr: expect.stringContaining('no tenant') });
  });

  it('prints what a dry run would re-drive, per state and table, and changes nothing', async () => {
    const before = await snapshot();
    const dry = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '4h', '--until', 'now', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Would re-drive 3 message(s), 6 row(s) (2 landed, 1 dead)');
    expect(dry.stdout).toMatch(/orders\s+2\s+3\n/);
    expect(dry.stdout).toMatch(/refunds\s+1\s+3/);
    expect(dry.stdout).toContain('1 message(s) of the range are still queued');
    expect(dry.stdout).toContain('nothing changed');
    const json = JSON.parse((await boitata('messages', 'redrive', '--tenant', tenant, '--since', '4h', '--until', 'now', '--dry-run', '--json')).stdout);
    expect(json).toMatchObject({
      tenant,
      dry_run: true,
      messages: 3,
      rows: 6,
      by_status: { landed: 2, dead: 1 },
      by_table: [
        { table: 'orders', messages: 2, rows: 3 },
        { table: 'refunds', messages: 1, rows: 3 },
      ],
      in_flight: 1,
    });
    expect(await snapshot()).toEqual(before);
  });

  it('re-drives one table, then the whole range: pending again, marked, dead letters replayed, a progress line and a count', async () => {
    const refunds = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '4h', '--until', 'now', '--table', 'REFUNDS', '--json');
    expect(refunds.code).toBe(0);
    expect(JSON.parse(refunds.stdout)).toMatchObject({ dry_run: false, table: 'refunds', messages: 1, rows: 3, by_status: { landed: 1, dead: 0 } });

    const all = await boitata('messages', 'redrive', '--tenant', tenant, '--since', '4h', '--until', 'now');
    expect(all.code).toBe(0);
    // The refunds message is pending now (re-driven, not landed yet): not selected again.
    expect(all.stdout).toContain('Re-drove 2 message(s) (3 row(s): 1 landed, 1 dead)');
    expect(all.stdout).toContain('1 dead letter(s) marked replayed');
    // Not a terminal: a plain line, no carriage returns.
    expect(all.stderr).toBe('2/2 messages re-driven (100%)\n');
    const rows = await snapshot();
    expect(rows.map((r) => [r.status, r.redrive, r.redrives, r.attempts, r.replayed])).toEqual([
      ['pending', true, 1, 1, false],
      ['pending', true, 1, 1, true],
      ['pending', true, 1, 1, false],
      ['pending', false, 0, 0, false],
      ['done', false, 0, 0, false],
    ]);
  });
});

describe('boitata messages redrive: messages dead on arrival', () => {
  const other = `${tenant}-doa`;
  const range = ['--tenant', other, '--since', '4h', '--until', 'now'];
  const states = async () =>
    (
      await db.query<{ status: string; redrive: boolean; opaque: boolean; arrived: boolean }>(
        `SELECT status, redrive, payload ? 'unreadable_body_base64' AS opaque, receipt ->> 'status' = 'dead_lettered' AS arrived
           FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id`,
        [other],
      )
    ).rows;

  beforeAll(async () => {
    await addTenant(db, { id: other });
    const { connection } = await addConnection(db, { tenant: other, name: 'stripe' });
    await enqueue(connection.id, 'orders', 2, 'landed', '3 hours', { tenant: other });
    await enqueue(connection.id, 'orders', 1, 'dead', '2 hours', { tenant: other });
    await enqueue(connection.id, 'orders', 1, 'dead', '100 minutes', { tenant: other, arrived: 'dead' });
    await enqueue(connection.id, 'orders', 1, 'dead', '90 minutes', { tenant: other, arrived: 'opaque' });
  }, 120_000);

  it('leaves them out of a dry run unless asked, and a body stored as base64 out always, saying so', async () => {
    const dry = await boitata('messages', 'redrive', ...range, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Would re-drive 2 message(s), 3 row(s) (1 landed, 1 dead)');
    expect(dry.stdout).toContain('1 dead on arrival, not re-driven; see --include-dead-on-arrival');
    expect(dry.stdout).toContain('1 dead on arrival with a body the edge stored as base64 (not JSON Postgres could store): never re-driven');
    const json = JSON.parse((await boitata('messages', 'redrive', ...range, '--dry-run', '--json')).stdout);
    expect(json).toMatchObject({ messages: 2, by_status: { landed: 1, dead: 1 }, dead_on_arrival: 2, opaque_not_redriven: 1, include_dead_on_arrival: false });

    const asked = await boitata('messages', 'redrive', ...range, '--include-dead-on-arrival', '--dry-run');
    expect(asked.stdout).toContain('Would re-drive 3 message(s), 4 row(s) (1 landed, 2 dead)');
    expect(asked.stdout).toContain('1 dead on arrival included (--include-dead-on-arrival)');
    expect(asked.stdout).toContain('even with --include-dead-on-arrival: it can never land as data');
    expect(asked.stdout).toMatch(/orders\s+3\s+4\n/);
  });

  it('re-drives them only with --include-dead-on-arrival, and a body stored as base64 never', async () => {
    const plain = await boitata('messages', 'redrive', ...range, '--json');
    expect(JSON.parse(plain.stdout)).toMatchObject({ messages: 2, by_status: { landed: 1, dead: 1 } });
    expect((await states()).map((m) => [m.status, m.redrive])).toEqual([
      ['pending', true],
      ['pending', true],
      ['dead', false],
      ['dead', false],
    ]);
    const asked = await boitata('messages', 'redrive', ...range, '--include-dead-on-arrival');
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('Re-drove 1 message(s) (1 row(s): 0 landed, 1 dead)');
    expect(asked.stdout).toContain('never re-driven, even with --include-dead-on-arrival');
    expect((await states()).map((m) => [m.status, m.redrive, m.opaque])).toEqual([
      ['pending', true, false],
      ['pending', true, false],
      ['pending', true, false],
      ['dead', false, true],
    ]);
  });

  it('refuses a year Postgres cannot read and a control character with exit code 2, not a stack trace', async () => {
    const year = await boitata('messages', 'redrive', '--tenant', other, '--since', '0000-01-01', '--until', 'now', '--dry-run');
    expect([year.code, year.stdout]).toEqual([2, '']);
    expect(year.stderr).toContain('--since "0000-01-01": the year must be from 0001 to 9999');
    expect(year.stderr).not.toMatch(/\n\s+at /);
    const control = await boitata('messages', 'redrive', '--tenant', `${other}\u001b[2J`, '--since', '4h', '--until', 'now', '--dry-run');
    expect([control.code, control.stdout]).toEqual([2, '']);
    expect(control.stderr).toContain('--tenant holds a control character (U+001B');
  });
});
