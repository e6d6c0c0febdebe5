// The warehouse port's contract for what a row's credential and provider delivery proved, against DuckDB (always)
// and Trino/Iceberg (when reachable): written on the insert and the merge path, and added to tables made before.
import { expect, it } from 'vitest';
import type { ColumnType } from '../../../processor/schema/column-types.ts';
import type { TableRef } from '../../../processor/warehouse/warehouse.ts';
import {
  CREDENTIAL_METADATA,
  describeContract,
  METADATA_BEFORE_CREDENTIAL,
  METADATA_BEFORE_PROVENANCE,
  PROVENANCE_METADATA,
  PROVENANCE_SELECT,
} from './contract-suite.ts';
import { CONTRACT_CREDENTIAL, loadRow, newTenant, q } from './subjects.ts';

describeContract('credential and provenance', (subject, { warehouse, freshTable, rowsOf, runByHand }) => {
  it("writes what the credential proved, for every row, on the insert and the merge path (a merge keeps the latest write's)", async () => {
    const types = new Map<string, ColumnType>([
      ['id', 'varchar'],
      ['source_id', 'varchar'],
    ]);
    const ref = await freshTable(types);
    const key = 'api_key:5b0c1f1e-0000-4000-8000-000000000001';
    await warehouse.insertRows(
      ref,
      [
        loadRow(types, { id: 'a', source_id: 'src_a' }, { messageId: 'm1', rowId: 0 }),
        loadRow(types, { id: 'b', source_id: 'billing' }, { messageId: 'm2', rowId: 0, credential: key, sourceId: 'billing' }),
      ],
      types,
    );
    expect(await rowsOf(`SELECT id, source_id, _boitata_credential, _boitata_source_id FROM ${subject.name(ref)} ORDER BY id`)).toEqual([
      ['a', 'src_a', CONTRACT_CREDENTIAL, null],
      ['b', 'billing', key, 'billing'],
    ]);

    const items = await freshTable(types, 'items');
    const read = () => rowsOf(`SELECT id, _boitata_credential, _boitata_source_id FROM ${subject.name(items)} ORDER BY id`);
    await warehouse.mergeRows(items, 'id', [loadRow(types, { id: 'a' }, { messageId: 'm1', sequence: '1', credential: key, sourceId: 'billing' })], types);
    expect(await read()).toEqual([['a', key, 'billing']]);
    await warehouse.mergeRows(items, 'id', [loadRow(types, { id: 'a' }, { messageId: 'm2', sequence: '2' })], types);
    expect(await read()).toEqual([['a', CONTRACT_CREDENTIAL, null]]);
    // An older message delivered again changes nothing, its credential included.
    await warehouse.mergeRows(items, 'id', [loadRow(types, { id: 'a' }, { messageId: 'm1', sequence: '1', credential: key, sourceId: 'billing' })], types);
    expect(await read()).toEqual([['a', CONTRACT_CREDENTIAL, null]]);
  });

  it('upgrades a table created with the metadata of before the credential columns: ensureMetadataColumns adds them, then rows load', async () => {
    const types = new Map<string, ColumnType>([
      ['id', 'varchar'],
      ['n', 'bigint'],
    ]);
    const ref = warehouse.tableRef(newTenant(), 'older');
    const definitions = [...METADATA_BEFORE_CREDENTIAL, ...types].map(([name, type]) => `${q(name)} ${subject.ddlType(type)}`).join(', ');
    await runByHand(ref, `CREATE TABLE ${subject.name(ref)} (${definitions})`);
    await runByHand(ref, `INSERT INTO ${subject.name(ref)} (_boitata_message_id, _boitata_row_id, _boitata_sequence, id, n) VALUES ('old', 0, 1, 'a', 1)`);
    const live = (await warehouse.describeTable(ref))!;
    expect(live.has('_boitata_credential')).toBe(false);

    await warehouse.ensureMetadataColumns(ref, new Set(live.keys()));
    expect([...(await warehouse.describeTable(ref))!]).toEqual([...METADATA_BEFORE_CREDENTIAL, ...types, ...CREDENTIAL_METADATA, ...PROVENANCE_METADATA]);
    await warehouse.insertRows(ref, [loadRow(types, { id: 'b', n: 2 }, { messageId: 'new', sequence: '2' })], types);
    await warehouse.mergeRows(
      ref,
      'id',
      [loadRow(types, { id: 'c', n: 3 }, { messageId: 'upsert', sequence: '3', credential: 'api_key:k', sourceId: 'src_c' })],
      types,
    );
    expect(await rowsOf(`SELECT id, n, _boitata_credential, _boitata_source_id FROM ${subject.name(ref)} ORDER BY id`)).toEqual([
      ['a', 1, null, null], // landed before: nothing was recorded, and nothing is made up now
      ['b', 2, CONTRACT_CREDENTIAL, null],
      ['c', 3, 'api_key:k', 'src_c'],
    ]);
  });

  it("writes a provider delivery's provenance on the insert and the merge path; a plain message's is NULL", async () => {
    const types = new Map<string, ColumnType>([['id', 'varchar']]);
    const stripe = {
      provider: 'stripe',
      delivery_id: 'evt_1',
      event_type: 'payment_intent.succeeded',
      provider_timestamp: '2026-11-29T13:00:00.123456+01:00',
      shop_domain: null,
      hook_id: null,
    };
    const shopify = {
      provider: 'shopify',
      delivery_id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      event_type: 'orders/create',
      provider_timestamp: '2026-11-29T12:00:00Z',
      shop_domain: 'shop.myshopify.com',
      hook_id: null,
    };
    const read = (ref: TableRef) =>
      rowsOf(`SELECT id, ${PROVENANCE_SELECT}, ${subject.utcText('_boitata_provider_timestamp')} FROM ${subject.name(ref)} ORDER BY id`);
    const ref = await freshTable(types);
    await warehouse.insertRows(
      ref,
      [loadRow(types, { id: 'a' }, { messageId: 'm1', provenance: stripe }), loadRow(types, { id: 'b' }, { messageId: 'm2' })],
      types,
    );
    expect(await read(ref)).toEqual([
      ['a', 'stripe', 'evt_1', 'payment_intent.succeeded', null, null, '2026-11-29 12:00:00.123456'],
      ['b', null, null, null, null, null, null],
    ]);

    const items = await freshTable(types, 'items');
    await warehouse.mergeRows(items, 'id', [loadRow(types, { id: 'a' }, { messageId: 'm1', sequence: '1', provenance: stripe })], types);
    await warehouse.mergeRows(items, 'id', [loadRow(types, { id: 'a' }, { messageId: 'm2', sequence: '2', provenance: shopify })], types);
    expect(await read(items)).toEqual([['a', 'shopify', shopify.delivery_id, 'orders/create', 'shop.myshopify.com', null, '2026-11-29 12:00:00.000000']]);
    // The latest write replaces the item, its provenance included: a plain message's update clears it (the loader
    // says the table has the columns; by default a write without provenance leaves them out).
    await warehouse.mergeRows(items, 'id', [loadRow(types, { id: 'a' }, { messageId: 'm3', sequence: '3' })], types, { provenance: true });
    expect(await read(items)).toEqual([['a', null, null, null, null, null, null]]);
  });

  it('upgrades a table created before the provenance columns: ensureMetadataColumns adds them, then provider rows load', async () => {
    const types = new Map<string, ColumnType>([['id', 'varchar']]);
    const ref = warehouse.tableRef(newTenant(), 'before_provenance');
    const definitions = [...METADATA_BEFORE_PROVENANCE, ...types].map(([name, type]) => `${q(name)} ${subject.ddlType(type)}`).join(', ');
    await runByHand(ref, `CREATE TABLE ${subject.name(ref)} (${definitions})`);
    await runByHand(ref, `INSERT INTO ${subject.name(ref)} (_boitata_message_id, _boitata_row_id, _boitata_sequence, id) VALUES ('old', 0, 1, 'a')`);
    const live = (await warehouse.describeTable(ref))!;
    expect(live.has('_boitata_provider')).toBe(false);

    await warehouse.ensureMetadataColumns(ref, new Set(live.keys()));
    expect([...(await warehouse.describeTable(ref))!]).toEqual([...METADATA_BEFORE_PROVENANCE, ...types, ...PROVENANCE_METADATA]);
    const github = {
      provider: 'github',
      delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      event_type: 'pull_request',
      provider_timestamp: null,
      shop_domain: null,
      hook_id: '292430182',
    };
    await warehouse.insertRows(ref, [loadRow(types, { id: 'b' }, { messageId: 'new', sequence: '2', provenance: github })], types);
    await warehouse.mergeRows(ref, 'id', [loadRow(types, { id: 'c' }, { messageId: 'upsert', sequence: '3', provenance: github })], types);
    expect(await rowsOf(`SELECT id, ${PROVENANCE_SELECT}, _boitata_provider_timestamp FROM ${subject.name(ref)} ORDER BY id`)).toEqual([
      ['a', null, null, null, null, null, null], // landed before: nothing was recorded, and nothing is made up now
      ['b', 'github', github.delivery_id, 'pull_request', null, '292430182', null],
      ['c', 'github', github.delivery_id, 'pull_request', null, '292430182', null],
    ]);
  });
});
