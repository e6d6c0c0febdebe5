// Pure: stored messages back to (table, rows), Trino literals and statements, and the processor's configuration.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../processor/config.ts';
import { normalizeMessage } from '../../../processor/normalize/normalize-message.ts';
import type { StoredMessage } from '../../../processor/queue/stored-message.ts';
import { storedMessage } from './support/stored-message.ts';
import { jsonValue, renderInserts, renderMerges, renderSchemaChange } from '../../../processor/warehouse/trino-sql.ts';
import { quoteIdentifier } from '../../../processor/warehouse/sql-quote.ts';
import type { LoadRow } from '../../../processor/warehouse/warehouse.ts';
import { columnType, type ColumnType } from '../../../processor/schema/column-types.ts';

const message = (fields: Partial<StoredMessage>) =>
  storedMessage({ targetTable: null, receivedAt: '2026-06-12T10:00:00.000000Z', credential: 'connection:00000000-0000-0000-0000-000000000001', ...fields });

describe('normalizeMessage', () => {
  it.each([
    ['array', { payloadFormat: 'array', targetTable: 'Orders', payload: [{ a: 1 }] }, [{ table: 'orders', rows: [{ a: 1 }] }]],
    ['envelope', { payloadFormat: 'envelope', payload: { table: 'logs', rows: [{ a: 1 }] } }, [{ table: 'logs', rows: [{ a: 1 }] }]],
    ['envelope with target', { payloadFormat: 'envelope', targetTable: 'm', payload: { table: 'm', rows: [{ a: 1 }] } }, [{ table: 'm', rows: [{ a: 1 }] }]],
    [
      'multi_table',
      { payloadFormat: 'multi_table', payload: { a: [{ x: 1 }], b: [{ y: 2 }] } },
      [
        { table: 'a', rows: [{ x: 1 }] },
        { table: 'b', rows: [{ y: 2 }] },
      ],
    ],
    [
      'multi_table of one table (target recorded)',
      { payloadFormat: 'multi_table', targetTable: 'a', payload: { a: [{ x: 1 }] } },
      [{ table: 'a', rows: [{ x: 1 }] }],
    ],
    ['object', { payloadFormat: 'object', targetTable: 'events', payload: { event_type: 'x' } }, [{ table: 'events', rows: [{ event_type: 'x' }] }]],
  ] as const)('%s', (_name, fields, expected) => expect(normalizeMessage(message(fields as Partial<StoredMessage>))).toEqual(expected));

  it.each([
    [{ payloadFormat: 'array', targetTable: 't', payload: { a: 1 } }, /the payload must be a non-empty array/],
    [{ payloadFormat: 'array', targetTable: null, payload: [{ a: 1 }] }, /invalid or missing table name null/],
    [{ payloadFormat: 'multi_table', payload: { 'bad name!': [{ a: 1 }] } }, /invalid or missing table name/],
    [{ payloadFormat: 'object', targetTable: 't', payload: [1] }, /must be an object/],
  ] as const)('refuses %j', (fields, error) => expect(() => normalizeMessage(message(fields as Partial<StoredMessage>))).toThrow(error));
});

describe('Trino rendering', () => {
  it.each([
    [{ type: 'varchar', text: 'O\'Brien "x"' }, '"O\'Brien \\"x\\""'],
    [{ type: 'double', text: '1.5' }, '1.5'],
    [{ type: 'double', text: '1e+300' }, '1e+300'],
    [{ type: 'bigint', text: '-42' }, '-42'],
    [{ type: 'boolean', text: 'true' }, 'true'],
    [{ type: 'date', text: '2026-06-12' }, '"2026-06-12"'],
    [{ type: 'timestamp(6) with time zone', text: '2026-06-12 10:00:00.000000 +00:00' }, '"2026-06-12 10:00:00.000000 +00:00"'],
    [null, 'null'],
  ] as const)('%j → %s', (cell, json) => expect(jsonValue(cell)).toBe(json));

  it('carries payload text only inside the one escaped JSON literal', () => {
    const hostile = row(0, "'); DROP TABLE x; --");
    const [sql] = renderInserts(ref, [hostile], new Map([['v', 'varchar']]), 1_000_000);
    expect(sql).toContain(`json_parse('[["m1",0,"2026-06-12 10:00:00.000000 +00:00","t","push",7,null,"connection:c",null,"''); DROP TABLE x; --"]]')`);
  });

  it('refuses to render a value that is not in its canonical form', () => {
    expect(() => jsonValue({ type: 'bigint', text: '1; DROP TABLE x' })).toThrow(/refusing/);
    expect(() => jsonValue({ type: 'date', text: "2026-01-01' OR '1" })).toThrow(/refusing/);
    expect(() => jsonValue({ type: 'double', text: '1,2' })).toThrow(/refusing/);
  });

  it('quotes identifiers, doubling quotes', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(
      renderSchemaChange({ catalog: 'iceberg', schema: 'tenant_t', table: 'x' }, { kind: 'add_column', logical: 'a"b', physical: 'a"b', type: 'varchar' }),
    ).toBe('ALTER TABLE "iceberg"."tenant_t"."x" ADD COLUMN IF NOT EXISTS "a""b" varchar');
  });

  const ref = { catalog: 'iceberg', schema: 'tenant_t', table: 'x' };
  const row = (id: number, text: string): LoadRow => ({
    messageId: 'm1',
    rowId: id,
    receivedAt: '2026-06-12 10:00:00.000000 +00:00',
    tenantId: 't',
    endpoint: 'push',
    sequence: '7',
    rescue: null,
    credential: 'connection:c',
    sourceId: null,
    provenance: null,
    cells: new Map([['v', { type: 'varchar', text }]]),
  });

  it("carries a provider delivery's provenance inside the same literal, its timestamp cast like the received time", () => {
    const provenance = {
      provider: 'shopify',
      deliveryId: "x'); DROP TABLE x; --",
      eventType: 'orders/create',
      providerTimestamp: '2026-11-29 13:00:00.000000 +00:00',
      shopDomain: 'shop.myshopify.com',
      hookId: null,
    };
    const [sql] = renderInserts(ref, [{ ...row(0, 'v'), provenance }], new Map([['v', 'varchar']]), 1_000_000);
    expect(sql).toContain(
      `null,"connection:c",null,"shopify","x''); DROP TABLE x; --","orders/create","2026-11-29 13:00:00.000000 +00:00","shop.myshopify.com",null,"v"]]')`,
    );
    expect(sql).toContain('CAST(r.c12 AS timestamp(6) with time zone) AS "_boitata_provider_timestamp"');
    expect(() => renderInserts(ref, [{ ...row(0, 'v'), provenance: { ...provenance, providerTimestamp: "2026' OR '1" } }], new Map(), 1_000_000)).toThrow(
      /refusing/,
    );
  });

  it('puts all rows in one INSERT when they fit, and splits under the maximum length otherwise', () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(i, 'x'.repeat(100)));
    const types = new Map<string, ColumnType>([['v', 'varchar']]);
    const one = renderInserts(ref, rows, types, 1_000_000);
    expect(one).toHaveLength(1);
    expect(one[0]).toMatch(/^INSERT INTO "iceberg"\."tenant_t"\."x" \("_boitata_message_id", .*"v"\) SELECT .* FROM UNNEST\(CAST\(json_parse\('\[\["m1",0,/);
    const many = renderInserts(ref, rows, types, 3_000);
    expect(many.length).toBeGreaterThan(3);
    expect(many.every((sql) => sql.length <= 3_000)).toBe(true);
    expect(many.join(' ').match(/\["m1",/g)).toHaveLength(50);
  });

  it("keeps a wide table's statements under the maximum length (the column lists count too)", () => {
    const wide = new Map<string, ColumnType>(Array.from({ length: 300 }, (_, i) => [`column_with_a_long_name_${i}`, 'varchar'] as const));
    const rows = Array.from({ length: 200 }, (_, r): LoadRow => ({
      ...row(r, 'x'),
      cells: new Map([...wide.keys()].map((name) => [name, { type: 'varchar', text: `value ${r}` }])),
    }));
    const statements = renderInserts(ref, rows, wide, 200_000);
    expect(statements.length).toBeGreaterThan(1);
    expect(Math.max(...statements.map((sql) => sql.length))).toBeLessThanOrEqual(200_000);
    const merges = renderMerges(ref, 'column_with_a_long_name_0', rows, wide, 200_000);
    expect(Math.max(...merges.map((sql) => sql.length))).toBeLessThanOrEqual(200_000);
  });

  it('leaves columns of types it never writes out of a MERGE, and refuses to render a type outside its grammar', () => {
    const [sql] = renderMerges(
      ref,
      'v',
      [row(0, 'North')],
      new Map([
        ['v', 'varchar'],
        ['odd', columnType('row(first name varchar)')],
      ]),
      1_000_000,
    );
    expect(sql).not.toContain('odd');
    expect(() => renderSchemaChange(ref, { kind: 'widen_column', logical: 'a', physical: 'a', from: 'integer', to: columnType('bigint) DROP') })).toThrow(
      /refusing to render unexpected column type/,
    );
  });

  it('guards a MERGE so an older message never overwrites a newer version of the item', () => {
    const [sql] = renderMerges(
      ref,
      'v',
      [row(0, 'North')],
      new Map([
        ['v', 'varchar'],
        ['n', 'bigint'],
      ]),
      1_000_000,
    );
    expect(sql).toMatch(/ON t\."v" = s\."v" WHEN MATCHED AND t\."_boitata_sequence" <= s\."_boitata_sequence" THEN UPDATE SET/);
    // A batch without provider deliveries leaves the provenance columns out (a table has them only once one landed).
    expect(sql).toContain('AS ARRAY(ROW(varchar, integer, varchar, varchar, varchar, bigint, varchar, varchar, varchar, bigint, varchar))');
    expect(sql).not.toContain('_boitata_provider');
  });
});

describe('parseConfig', () => {
  it('applies the defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ TRINO_CATALOG: 'iceberg', BOITATA_DATA_DIR: '.boitata', PROCESSOR_POLL_INTERVAL_MS: 3000, PROCESSOR_BATCH_SIZE: 500 });
    // unset: the embedded PostgreSQL and the DuckDB file
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TRINO_URL).toBeUndefined();
    expect(config.processorId).toMatch(/-\d+-[0-9a-f]{8}$/);
  });
  it('refuses the embedded PostgreSQL in production unless allowed', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: required when NODE_ENV=production/);
    expect(parseConfig({ NODE_ENV: 'production', BOITATA_ALLOW_EMBEDDED: 'true' }).DATABASE_URL).toBeUndefined();
    expect(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db.example/boitata' }).DATABASE_URL).toBe('postgres://u@db.example/boitata');
  });
  it('names every bad variable', () => {
    expect(() => parseConfig({ PROCESSOR_BATCH_SIZE: 'lots', TRINO_URL: 'ftp://x', PROCESSOR_TENANTS: 'a,,b' })).toThrow(
      /PROCESSOR_BATCH_SIZE[\s\S]*TRINO_URL|TRINO_URL[\s\S]*PROCESSOR_BATCH_SIZE/,
    );
    expect(() => parseConfig({ PROCESSOR_TENANTS: 'a,,b' })).toThrow(/PROCESSOR_TENANTS: comma-separated tenant ids/);
  });
});
