// The processor's side of provider provenance (issue 11): what the edge recorded in boitata_inbound_queue.provenance
// lands in the reserved `_boitata_*` columns of every row of the message, on both warehouses. Queue rows are inserted
// as the edge writes them (the end-to-end path through the Worker is tested with the presets); a provenance the
// processor cannot read gives NULLs and never costs the message.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { addConnection } from '../../../cli/connections.ts';
import { db, describeEachWarehouse, newTenant, push, queueStatus, type TestWarehouse } from './support.ts';

afterAll(() => db.end());

const PROVENANCE_COLUMNS = [
  '_boitata_provider',
  '_boitata_delivery_id',
  '_boitata_event_type',
  '_boitata_provider_timestamp',
  '_boitata_shop_domain',
  '_boitata_hook_id',
];
const NO_PROVENANCE = Object.fromEntries(PROVENANCE_COLUMNS.map((column) => [column, null]));

async function connection() {
  const tenant = await newTenant();
  const { connection: created, token } = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}` });
  return { tenant, token, connectionId: created.id };
}

/** A queue row as the edge writes it: `provenance` is the jsonb text (any JSON, to test what an unexpected edge could write). */
async function enqueue(
  conn: { tenant: string; connectionId: string },
  table: string,
  payload: unknown,
  provenance: string | null,
  format: 'object' | 'array' = 'object',
): Promise<void> {
  const messageId = randomUUID();
  const rows = Array.isArray(payload) ? payload.length : 1;
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope, provenance)
     VALUES ($1, $2, $3, 'push', $4, $5, $6, $7, $8, $3, $9)`,
    [messageId, conn.tenant, conn.connectionId, format, table, JSON.stringify(payload), rows, JSON.stringify({ message_id: messageId }), provenance],
  );
}

/** The provenance columns of a table's rows, the timestamp as ISO-8601 UTC text, ordered by `id`. */
async function provenanceOf(wh: TestWarehouse, tenant: string, table: string, columns = 'id') {
  const select = PROVENANCE_COLUMNS.map((c) => (c === '_boitata_provider_timestamp' ? `${wh.isoUtc(c)} AS ${c}` : c)).join(', ');
  return wh.query(`SELECT ${columns}, ${select} FROM ${wh.table(tenant, table)} ORDER BY id, _boitata_row_id`);
}

describeEachWarehouse('provider provenance', (wh) => {
  it("lands a provider delivery's provenance in the reserved columns of every row, named the same across providers", async () => {
    const conn = await connection();
    await enqueue(
      conn,
      'stripe_payment_intent_succeeded',
      { id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { amount: 2000 } } },
      JSON.stringify({
        provider: 'stripe',
        delivery_id: 'evt_1',
        event_type: 'payment_intent.succeeded',
        provider_timestamp: '2026-11-29T13:00:00.000Z',
        shop_domain: null,
        hook_id: null,
      }),
    );
    await enqueue(
      conn,
      'shopify_orders_create',
      { id: 2, total_price: '10.00' },
      JSON.stringify({
        provider: 'shopify',
        delivery_id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        event_type: 'orders/create',
        provider_timestamp: '2026-11-29T14:30:00.123456+01:00',
        shop_domain: 'shop.myshopify.com',
        hook_id: null,
      }),
    );
    // Several rows in one message (not what a preset sends, but the mapping is per message): each carries it.
    await enqueue(
      conn,
      'github_pull_request',
      [
        { id: 3, action: 'opened' },
        { id: 4, action: 'closed' },
      ],
      JSON.stringify({
        provider: 'github',
        delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        event_type: 'pull_request',
        provider_timestamp: null,
        shop_domain: null,
        hook_id: '292430182',
      }),
      'array',
    );
    await wh.processor([conn.tenant]).drain();

    expect(await provenanceOf(wh, conn.tenant, 'stripe_payment_intent_succeeded', 'id, data__object__amount')).toEqual([
      {
        id: 'evt_1',
        data__object__amount: 2000,
        _boitata_provider: 'stripe',
        _boitata_delivery_id: 'evt_1',
        _boitata_event_type: 'payment_intent.succeeded',
        _boitata_provider_timestamp: '2026-11-29T13:00:00.000000Z',
        _boitata_shop_domain: null,
        _boitata_hook_id: null,
      },
    ]);
    expect(await provenanceOf(wh, conn.tenant, 'shopify_orders_create')).toEqual([
      {
        id: 2,
        _boitata_provider: 'shopify',
        _boitata_delivery_id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        _boitata_event_type: 'orders/create',
        _boitata_provider_timestamp: '2026-11-29T13:30:00.123456Z',
        _boitata_shop_domain: 'shop.myshopify.com',
        _boitata_hook_id: null,
      },
    ]);
    const github = {
      _boitata_provider: 'github',
      _boitata_delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      _boitata_event_type: 'pull_request',
      _boitata_provider_timestamp: null,
      _boitata_shop_domain: null,
      _boitata_hook_id: '292430182',
    };
    expect(await provenanceOf(wh, conn.tenant, 'github_pull_request', 'id, action')).toEqual([
      { id: 3, action: 'opened', ...github },
      { id: 4, action: 'closed', ...github },
    ]);
    expect((await wh.columnTypes(conn.tenant, 'github_pull_request'))['_boitata_provider_timestamp']).toBe('timestamp(6) with time zone');
  });

  it('leaves the columns NULL for a plain message, beside a provider delivery in the same table, and for one pushed through the edge', async () => {
    const conn = await connection();
    await enqueue(conn, 'mixed', { id: 1 }, null);
    await enqueue(conn, 'mixed', { id: 2 }, JSON.stringify({ provider: 'standard-webhooks', delivery_id: 'msg_2', event_type: 'user.created' }));
    await push(conn, [{ id: 3 }], 'mixed');
    await wh.processor([conn.tenant]).drain();
    expect(await provenanceOf(wh, conn.tenant, 'mixed')).toEqual([
      { id: 1, ...NO_PROVENANCE },
      { id: 2, ...NO_PROVENANCE, _boitata_provider: 'standard-webhooks', _boitata_delivery_id: 'msg_2', _boitata_event_type: 'user.created' },
      { id: 3, ...NO_PROVENANCE },
    ]);
  });

  it('lands the rows of a message whose provenance it cannot read, with NULL where a value is unreadable', async () => {
    const conn = await connection();
    await enqueue(conn, 'odd', { id: 1 }, JSON.stringify('stripe'));
    await enqueue(conn, 'odd', { id: 2 }, JSON.stringify([{ provider: 'stripe' }]));
    await enqueue(
      conn,
      'odd',
      { id: 3 },
      JSON.stringify({
        provider: 'slack',
        delivery_id: ['Ev1'],
        event_type: { type: 'app_mention' },
        provider_timestamp: '2026-02-30T13:00:00Z',
        shop_domain: 7,
        hook_id: 'x'.repeat(5000),
      }),
    );
    await enqueue(conn, 'odd', { id: 4 }, JSON.stringify({ provider: 'stripe', delivery_id: 'evt_4', provider_timestamp: '1764421200' }));
    await wh.processor([conn.tenant]).drain();

    expect(await queueStatus(conn.tenant)).toEqual({ done: 4 });
    expect((await db.query('SELECT count(*)::int AS n FROM boitata_dead_letters WHERE tenant_id = $1', [conn.tenant])).rows[0].n).toBe(0);
    expect(await provenanceOf(wh, conn.tenant, 'odd')).toEqual([
      { id: 1, ...NO_PROVENANCE },
      { id: 2, ...NO_PROVENANCE },
      { id: 3, ...NO_PROVENANCE, _boitata_provider: 'slack' },
      { id: 4, ...NO_PROVENANCE, _boitata_provider: 'stripe', _boitata_delivery_id: 'evt_4' },
    ]);
  });

  it('gives a table the provenance columns with its first provider delivery only: plain tables never carry them', async () => {
    const conn = await connection();
    await push(conn, [{ id: 1 }], 'older');
    await wh.processor([conn.tenant]).drain();
    // Six NULL columns on every table cost DuckDB memory per table: a table of plain pushes has none of them.
    expect(Object.keys(await wh.columnTypes(conn.tenant, 'older')).filter((c) => PROVENANCE_COLUMNS.includes(c))).toEqual([]);

    await enqueue(
      conn,
      'older',
      { id: 2 },
      JSON.stringify({ provider: 'shopify', delivery_id: 'w2', event_type: 'orders/paid', shop_domain: 'shop.myshopify.com' }),
    );
    await wh.processor([conn.tenant]).drain(); // a new processor, as after an upgrade
    await push(conn, [{ id: 3 }], 'older'); // a plain push after it: its provenance is NULL
    await wh.processor([conn.tenant]).drain();
    expect(await queueStatus(conn.tenant)).toEqual({ done: 3 });
    expect(await provenanceOf(wh, conn.tenant, 'older')).toEqual([
      { id: 1, ...NO_PROVENANCE }, // landed before: nothing was recorded, and nothing is made up now
      {
        id: 2,
        ...NO_PROVENANCE,
        _boitata_provider: 'shopify',
        _boitata_delivery_id: 'w2',
        _boitata_event_type: 'orders/paid',
        _boitata_shop_domain: 'shop.myshopify.com',
      },
      { id: 3, ...NO_PROVENANCE },
    ]);
  });
});
