// Seeds one tenant for the status page tests: registry rows, aliases, and queue messages driven into every state
// (done by the real processor; pending, in flight and dead-lettered through the real QueueStore), with PII in the
// payloads and reasons.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { addConnection } from '../../../cli/connections.ts';
import { addTenant } from '../../../cli/tenants.ts';
import { QueueStore } from '../../../processor/queue/queue-store.ts';
import { landWithProcessor } from './land-with-processor.ts';

/** Values that must never reach the page or its JSON. */
export const PII_EMAIL = 'maria.silva@example.com';
export const PII_PHONE = '+55 11 98765-4321';
export const PII_NAME = "Maria O'Silva";

export interface SeededTenant {
  tenant: string;
  /** the connection's ingest token: a secret */
  token: string;
  deadLetterIds: string[];
  pending: number;
  processing: number;
  done: number;
  doneRows: number;
  /** when the processor landed the `orders` rows (ms since the epoch): its last_loaded_at falls in between */
  loadedBetween: [number, number];
}

let counter = 0;

export async function seedTenant(db: pg.Pool): Promise<SeededTenant> {
  const tenant = `st${Date.now().toString(36)}${(counter++).toString(36)}${randomUUID().slice(0, 4)}`;
  await addTenant(db, { id: tenant, name: `Status ${tenant}` });
  const { connection, token } = await addConnection(db, { tenant, name: 'shop', table: 'orders' });
  await seedRegistry(db, tenant);

  // 20 messages as the edge writes them; each carries PII in its payload.
  const sizes = Array.from({ length: 20 }, (_, i) => 1 + (i % 5) * 3);
  const enqueue = async (rows: number, fields: (i: number) => Record<string, unknown>) => {
    const messageId = randomUUID();
    const payload = Array.from({ length: rows }, (_, i) => fields(i));
    await db.query(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
       VALUES ($1, $2, $3, 'push', 'array', 'orders', $4, $5, $6, $3)`,
      [messageId, tenant, connection.id, JSON.stringify(payload), rows, JSON.stringify({ status: 'accepted', message_id: messageId, rows })],
    );
  };
  // 12 land through the real processor, which writes the table's last_loaded_at (nothing here does). Their fields
  // are the registered ones: a new field would evolve the table the page tests describe.
  for (const rows of sizes.slice(0, 12)) await enqueue(rows, (i) => ({ id: i, email: PII_EMAIL, phone: PII_PHONE, total: 10.5 }));
  const landingStartedAt = Date.now();
  await landWithProcessor(db, tenant);
  const loadedBetween: [number, number] = [landingStartedAt, Date.now()];
  // Their processing times, spread over the last minutes (for the throughput chart).
  const { rows: done } = await db.query<{ id: string }>(`SELECT id FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'done' ORDER BY id`, [tenant]);
  for (const [i, message] of done.entries()) {
    await db.query(`UPDATE boitata_inbound_queue SET processed_at = clock_timestamp() - make_interval(secs => $2) WHERE id = $1`, [message.id, 5 + i * 70]);
  }
  for (const rows of sizes.slice(12)) await enqueue(rows, (i) => ({ id: i, email: PII_EMAIL, phone: PII_PHONE, name: PII_NAME, total: 10.5 }));
  // A processor claims the other 8, then: 2 die, 4 go back, 2 stay in flight.
  const queue = new QueueStore(db, `status-test-${tenant}`, 300, [tenant]);
  const { messages: claimed } = await queue.claimBatch({ messages: 8, rows: 100_000, bytes: 1 << 30, tenantInFlightRows: 100_000, messageTextBytes: 1 << 30 });
  const [first, second] = claimed.slice(0, 2);
  await queue.deadLetter(first!.queueId, 'warehouse_rejected', `orders: Trino INVALID_CAST_ARGUMENT: Cannot cast '${PII_EMAIL}' to bigint`);
  await queue.deadLetter(second!.queueId, 'retries_exhausted', `failed 5 times; last error: value ${PII_PHONE} of "${PII_NAME}" does not fit column phone`);
  await queue.release(claimed.slice(2, 6).map((m) => m.queueId));
  const { rows: dead } = await db.query<{ id: string }>('SELECT id::text FROM boitata_dead_letters WHERE tenant_id = $1 ORDER BY id', [tenant]);
  return {
    tenant,
    token,
    deadLetterIds: dead.map((row) => row.id),
    pending: 4,
    processing: 2,
    done: done.length,
    doneRows: sizes.slice(0, 12).reduce((a, b) => a + b, 0),
    loadedBetween,
  };
}

// The registry as the SchemaRegistry leaves it (migrations 0003/0004): two tables, PII columns, three kinds of alias.
async function seedRegistry(db: pg.Pool, tenant: string): Promise<void> {
  const schema = `tenant_${tenant}`;
  for (const table of ['orders', 'page_views']) {
    await db.query(
      `INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table, schema_version)
                    VALUES ($1, $2, $3, $2, 3)`,
      [tenant, table, schema],
    );
  }
  const columns: Array<[string, string, string, string, boolean, string | null, string | null, string[]]> = [
    ['orders', 'id', 'id', 'bigint', false, null, 'Order number', ['key']],
    ['orders', 'email', 'email', 'varchar', true, 'name', 'Customer e-mail address', ['contact']],
    ['orders', 'phone', 'phone', 'varchar', true, 'values', null, []],
    ['orders', 'total', 'total', 'double', false, null, 'Order total in the shop currency', ['money']],
    ['orders', 'shipping.city', 'shipping__city', 'varchar', false, null, null, []],
    ['page_views', 'path', 'path', 'varchar', false, null, 'URL path viewed', []],
    ['page_views', 'viewed_at', 'viewed_at', 'timestamp(6) with time zone', false, null, null, []],
  ];
  for (const [i, [table, logical, physical, type, pii, source, description, tags]] of columns.entries()) {
    await db.query(
      `INSERT INTO boitata_columns (tenant_id, table_name, logical_name, physical_name, data_type, added_in_version, pii, pii_source, description, tags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [tenant, table, logical, physical, type, 1 + Math.floor(i / 3), pii, source, description, tags],
    );
  }
  const aliases: Array<[string, string, string, Record<string, unknown>]> = [
    ['e_mail', 'email', 'typo', { distance: 1 }],
    ['celular', 'phone', 'dictionary', { group: 'phone' }],
    ['amount', 'total', 'model', { model: 'test-model', confidence: 0.91, sample: PII_EMAIL }],
  ];
  for (const [alias, column, decidedBy, evidence] of aliases) {
    await db.query(`INSERT INTO boitata_aliases (tenant_id, table_name, alias, column_name, decided_by, evidence) VALUES ($1, 'orders', $2, $3, $4, $5)`, [
      tenant,
      alias,
      column,
      decidedBy,
      JSON.stringify(evidence),
    ]);
  }
}

export interface LargeCatalog {
  tenant: string;
  /** 1,000 columns (the cap), 300 aliases */
  fullTable: string;
  /** 950 columns: near the cap */
  nearTable: string;
  /** tables of the tenant, the two above included */
  tables: number;
  /** the last column of fullTable, in the order columns were added */
  lastColumn: string;
  deadLetters: number;
  /** tenants added besides `tenant`, with one table each */
  otherTenants: string[];
}

/**
 * The catalog that made a 14.9 MB page: one tenant with a table at the column cap, one near it and 198 more
 * tables, long descriptions and many tags and aliases, 1,000 open dead letters with long reasons, and 150 more
 * tenants. Written with set-based SQL, as the registry would have left it.
 */
export async function seedLargeCatalog(db: pg.Pool): Promise<LargeCatalog> {
  const tenant = `big${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
  await addTenant(db, { id: tenant, name: `Large ${tenant}` });
  const { connection } = await addConnection(db, { tenant, name: 'bulk', table: 'orders' });
  const schema = `tenant_${tenant}`;
  const tableNames = ['orders', 'wide_events', ...Array.from({ length: 198 }, (_, i) => `table_${String(i).padStart(3, '0')}`)];
  // Every table loaded (the longest "last loaded" text, for the size bounds), set by hand: that the processor writes
  // it is seedTenant's claim (status-page.test.ts), landing 200 tables here would only be slow.
  await db.query(
    `INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table, schema_version, last_loaded_at)
                  SELECT $1, name, $2, name, 7, now() FROM unnest($3::text[]) AS name`,
    [tenant, schema, tableNames],
  );
  const description = 'A long description the model wrote for this column, repeated to make it long. '.repeat(8);
  const tags = Array.from({ length: 30 }, (_, i) => `tag-${i}-${'x'.repeat(60)}`);
  const columns = (table: string, n: number) =>
    db.query(
      `INSERT INTO boitata_columns (tenant_id, table_name, logical_name, physical_name, data_type, added_in_version, pii, pii_source, description, tags)
     SELECT $1, $2, 'field_' || lpad(i::text, 4, '0') || '_' || repeat('n', 40), 'field_' || lpad(i::text, 4, '0') || '_' || repeat('n', 40),
            'varchar', 1 + i / 100, i % 7 = 0, CASE WHEN i % 7 = 0 THEN 'name' END, $4, $5
       FROM generate_series(1, $3) AS i`,
      [tenant, table, n, description, tags],
    );
  await columns('orders', 1_000);
  await columns('wide_events', 950);
  for (const table of tableNames.slice(2)) await columns(table, 12);
  await db.query(
    `INSERT INTO boitata_aliases (tenant_id, table_name, alias, column_name, decided_by, evidence)
     SELECT $1, 'orders', 'alias_' || lpad(i::text, 4, '0') || '_' || repeat('a', 40), 'field_' || lpad(i::text, 4, '0') || '_' || repeat('n', 40), 'typo', '{"distance":1}'
       FROM generate_series(1, 300) AS i`,
    [tenant],
  );
  // 1,000 dead messages, each with its dead letter and a long reason quoting a value.
  await db.query(
    `WITH dead AS (
       INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope, status, attempts)
       SELECT gen_random_uuid(), $1, $2, 'push', 'array', 'orders', '[{"id":1}]', 1, '{}', $2, 'dead', 5 FROM generate_series(1, 1000)
       RETURNING id, message_id)
     INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
     SELECT id, message_id, $1, 'warehouse_rejected', $3 || repeat('the warehouse explained at length ', 200), 5 FROM dead ORDER BY id`,
    [tenant, connection.id, `orders: Trino INVALID_CAST_ARGUMENT: Cannot cast '${PII_EMAIL}' to bigint; `],
  );
  const otherTenants = Array.from({ length: 150 }, (_, i) => `${tenant}-t${String(i).padStart(3, '0')}`);
  await db.query(`INSERT INTO boitata_tenants (id, name) SELECT id, 'Tenant ' || id FROM unnest($1::text[]) AS id`, [otherTenants]);
  await db.query(
    `INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table)
                  SELECT id, 'events', 'tenant_' || replace(id, '-', '_'), 'events' FROM unnest($1::text[]) AS id`,
    [otherTenants],
  );
  return {
    tenant,
    fullTable: 'orders',
    nearTable: 'wide_events',
    tables: tableNames.length,
    lastColumn: `field_1000_${'n'.repeat(40)}`,
    deadLetters: 1_000,
    otherTenants,
  };
}
