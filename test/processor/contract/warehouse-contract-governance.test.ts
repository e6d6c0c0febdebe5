// The warehouse port's contract for data governance (issue 14), against DuckDB (always) and Trino/Iceberg (when
// reachable): rows found by personal-data hash (a column, or quoted in the rescue) counted and deleted exactly, rows
// received before a cutoff, deletes made physical (Iceberg: no delete file, no old snapshot to travel back to),
// format-v1 tables reported, tables and schemas dropped idempotently, new Iceberg tables partitioned by day.
import { createHash } from 'node:crypto';
import { expect, inject, it } from 'vitest';
import { canonicalTimestamp, type ColumnType } from '../../../processor/schema/column-types.ts';
import { TrinoWarehouse } from '../../../processor/warehouse/trino-warehouse.ts';
import type { HashMatch, TableRef, Warehouse } from '../../../processor/warehouse/warehouse.ts';
import { columnsOf, describeContract, METADATA } from './contract-suite.ts';
import { loadRow, newTenant, q, trino } from './subjects.ts';

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const [ANA, ANA_PHONE, BIA] = [hash('ana@example.com'), hash('+5581999990000'), hash('bia@example.com')];

const types = new Map<string, ColumnType>([
  ['id', 'bigint'],
  ['email_hash', 'varchar'],
  ['phone_hash', 'varchar'],
  ['note', 'varchar'],
]);
const rescueOf = (value: string) => JSON.stringify({ email: { value, reason: 'did not fit bigint' } });

describeContract('governance', (subject, { warehouse, freshTable, rowsOf, runByHand }) => {
  // Iceberg only: the metadata tables of a table.
  const files = (ref: TableRef) => subject.name({ ...ref, table: `${ref.table}$files` });
  const deleteFiles = async (ref: TableRef) => Number((await rowsOf(`SELECT count(*) FROM ${files(ref)} WHERE content <> 0`))[0]?.[0]);
  async function currentSnapshot(ref: TableRef): Promise<string> {
    const rows = await rowsOf(
      `SELECT CAST(snapshot_id AS varchar) FROM ${subject.name({ ...ref, table: `${ref.table}$snapshots` })} ORDER BY committed_at DESC LIMIT 1`,
    );
    return String(rows[0]?.[0]);
  }
  const ids = async (ref: TableRef) => (await rowsOf(`SELECT id FROM ${subject.name(ref)} ORDER BY id`)).map((row) => Number(row[0]));

  /** Ana's rows: 1 (email column), 2 (phone column), 3 (quoted in the rescue); the others are not hers to erase. */
  async function subjectTable(): Promise<TableRef> {
    const ref = await freshTable(types);
    await warehouse.insertRows(
      ref,
      [
        loadRow(types, { id: 1, email_hash: ANA }, { messageId: 'm1', rowId: 0 }),
        loadRow(types, { id: 2, phone_hash: ANA_PHONE }, { messageId: 'm1', rowId: 1 }),
        loadRow(types, { id: 3 }, { messageId: 'm2', rowId: 0, rescue: rescueOf(ANA) }),
        loadRow(types, { id: 4, email_hash: BIA, phone_hash: hash('other') }, { messageId: 'm3', rowId: 0 }),
        // Her hash in a column the match does not name, and inside a longer rescue value (not a JSON string of its own).
        loadRow(types, { id: 5, note: ANA }, { messageId: 'm4', rowId: 0 }),
        loadRow(types, { id: 6 }, { messageId: 'm5', rowId: 0, rescue: rescueOf(`x${ANA}`) }),
      ],
      types,
    );
    return ref;
  }
  // `legacy_hash` is in the registry but not in the table (drift): it is left out, not an error.
  const ana: HashMatch = { columns: ['email_hash', 'phone_hash', 'legacy_hash'], hashes: [ANA, ANA_PHONE], rescue: true };

  it('counts and deletes exactly the rows holding a hash in a named column or quoted in the rescue, and no other', async () => {
    const ref = await subjectTable();
    expect(await warehouse.countMatching(ref, ana)).toBe(3);
    expect(await warehouse.countMatching(ref, { ...ana, rescue: false })).toBe(2);
    expect(await warehouse.countMatching(ref, { columns: [], hashes: [ANA], rescue: true })).toBe(1);
    expect(await warehouse.countMatching(ref, { columns: ['email_hash'], hashes: [BIA], rescue: false })).toBe(1);

    expect(await warehouse.deleteMatching(ref, ana)).toBe(3);
    expect(await warehouse.countMatching(ref, ana)).toBe(0);
    expect(await warehouse.deleteMatching(ref, ana)).toBe(0);
    expect(await ids(ref)).toEqual([4, 5, 6]);
  });

  it('finds nothing, running nothing, when there is nothing to look at or no table', async () => {
    const ref = await subjectTable();
    expect(await warehouse.countMatching(ref, { columns: [], hashes: [ANA], rescue: false })).toBe(0);
    expect(await warehouse.countMatching(ref, { columns: ['email_hash'], hashes: [], rescue: true })).toBe(0);
    expect(await warehouse.deleteMatching(ref, { columns: ['legacy_hash'], hashes: [ANA], rescue: false })).toBe(0);
    const missing = warehouse.tableRef(newTenant(), 'never_created');
    expect(await warehouse.countMatching(missing, ana)).toBe(0);
    expect(await warehouse.deleteMatching(missing, ana)).toBe(0);
    const cutoff = canonicalTimestamp('2030-01-01T00:00:00Z');
    expect(await warehouse.countReceivedBefore(missing, cutoff)).toBe(0);
    expect(await warehouse.deleteReceivedBefore(missing, cutoff)).toBe(0);
    expect(await ids(ref)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses a value that is not a hash, without repeating it, and a cutoff that is not canonical', async () => {
    const ref = await subjectTable();
    const plaintext = "ana@example.com' OR 1=1 --";
    const refused = warehouse.deleteMatching(ref, { columns: ['email_hash'], hashes: [ANA, plaintext], rescue: false });
    await expect(refused).rejects.toMatchObject({ kind: 'permanent', errorName: 'invalid_hash' });
    await expect(refused).rejects.not.toThrow(/ana@example/);
    await expect(warehouse.countMatching(ref, { columns: ['email_hash'], hashes: [ANA.toUpperCase()], rescue: false })).rejects.toMatchObject({
      errorName: 'invalid_hash',
    });
    await expect(warehouse.deleteReceivedBefore(ref, "2026-01-01' OR true --")).rejects.toMatchObject({ errorName: 'invalid_cutoff' });
    await expect(warehouse.countReceivedBefore(ref, '2026-01-01T00:00:00Z')).rejects.toMatchObject({ errorName: 'invalid_cutoff' });
    expect(await ids(ref)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts and deletes the rows received before a cutoff (strictly), whatever the offset they were written with', async () => {
    const ref = await freshTable(types);
    const at = (id: number, receivedAt: string) => loadRow(types, { id }, { messageId: `m${id}`, receivedAt });
    await warehouse.insertRows(
      ref,
      [
        at(1, '2026-06-10T23:59:59.999999Z'),
        // 2026-06-11 02:00 +05:30 is 2026-06-10 20:30 UTC: before.
        at(2, '2026-06-11T02:00:00+05:30'),
        at(3, '2026-06-11T00:00:00Z'),
        at(4, '2026-06-12T08:00:00Z'),
      ],
      types,
    );
    const cutoff = canonicalTimestamp('2026-06-11T00:00:00Z');
    expect(await warehouse.countReceivedBefore(ref, cutoff)).toBe(2);
    expect(await warehouse.countReceivedBefore(ref, canonicalTimestamp('2026-06-11T05:30:00+05:30'))).toBe(2);
    expect(await warehouse.deleteReceivedBefore(ref, cutoff)).toBe(2);
    expect(await warehouse.countReceivedBefore(ref, cutoff)).toBe(0);
    expect(await ids(ref)).toEqual([3, 4]);
  });

  it('makes deletes physical, and says what it did', async () => {
    const ref = await subjectTable();
    // A second commit, so the table has more than one data file and snapshot before the delete.
    await warehouse.insertRows(ref, [loadRow(types, { id: 7, email_hash: ANA }, { messageId: 'm7' })], types);
    const before = subject === trino ? await currentSnapshot(ref) : null;
    expect(await warehouse.deleteMatching(ref, ana)).toBe(4);
    if (subject === trino) expect(await deleteFiles(ref)).toBeGreaterThan(0);

    const report = await warehouse.purgeDeleted(ref);
    expect(await ids(ref)).toEqual([4, 5, 6]);
    if (subject !== trino) {
      expect(report).toEqual({ formatVersion: null, purged: true, problem: null });
      return;
    }
    expect(report).toEqual({ formatVersion: 2, purged: true, problem: null });
    // No delete file left, and the data files hold exactly the rows the table shows: none still holds hers.
    expect(await deleteFiles(ref)).toBe(0);
    expect(await rowsOf(`SELECT CAST(sum(record_count) AS varchar) FROM ${files(ref)} WHERE content = 0`)).toEqual([['3']]);
    // Time travel to before the delete is gone.
    expect(await rowsOf(`SELECT count(*) FROM ${subject.name({ ...ref, table: `${ref.table}$snapshots` })}`)).toEqual([[1]]);
    await expect(rowsOf(`SELECT count(*) FROM ${subject.name(ref)} FOR VERSION AS OF ${before}`)).rejects.toThrow(/snapshot/i);
    expect(await warehouse.purgeDeleted(ref)).toEqual(report);
  });

  it('drops a table and then its schema, each idempotent; a schema is dropped only once empty', async () => {
    const ref = await subjectTable();
    const sibling = { ...ref, table: 'other' };
    await warehouse.createTable(sibling, columnsOf(types));
    await expect(warehouse.dropSchema(ref)).rejects.toMatchObject({ kind: 'permanent', errorName: 'schema_not_empty' });
    await warehouse.dropTable(ref);
    await warehouse.dropTable(ref);
    expect(await warehouse.describeTable(ref)).toBeNull();
    expect(await warehouse.describeTable(sibling)).not.toBeNull();
    await warehouse.dropTable(sibling);
    await warehouse.dropSchema(ref);
    await warehouse.dropSchema(ref);
    await warehouse.dropTable(ref);
    // The tenant writes again later: its schema comes back.
    await warehouse.createTable(ref, columnsOf(types));
    await warehouse.insertRows(ref, [loadRow(types, { id: 9 }, { messageId: 'm9' })], types);
    expect(await ids(ref)).toEqual([9]);
  });

  if (subject !== trino) return;

  it('partitions a new table by the day a row was received; a retention cutoff at midnight drops whole days', async () => {
    const ref = await freshTable(types);
    const [ddl] = (await rowsOf(`SHOW CREATE TABLE ${subject.name(ref)}`))[0] as [string];
    expect(ddl).toContain(`partitioning = ARRAY['day(_boitata_received_at)']`);
    const at = (id: number, receivedAt: string) => loadRow(types, { id }, { messageId: `m${id}`, receivedAt });
    await warehouse.insertRows(
      ref,
      [at(1, '2026-06-10T10:00:00Z'), at(2, '2026-06-10T23:59:59Z'), at(3, '2026-06-11T00:00:00Z'), at(4, '2026-06-11T12:00:00Z')],
      types,
    );
    const days = await rowsOf(
      `SELECT CAST(partition._boitata_received_at_day AS varchar), record_count FROM ${subject.name({ ...ref, table: `${ref.table}$partitions` })} ORDER BY 1`,
    );
    expect(days).toEqual([
      ['2026-06-10', 2],
      ['2026-06-11', 2],
    ]);
    expect(await warehouse.deleteReceivedBefore(ref, canonicalTimestamp('2026-06-11T00:00:00Z'))).toBe(2);
    expect(await ids(ref)).toEqual([3, 4]);
    // A whole partition went: its files were dropped, no delete file written.
    expect(await deleteFiles(ref)).toBe(0);
  });

  it('reports a format-v1 table instead of skipping it: deletes refused plainly, purge not done', async () => {
    const ref = warehouse.tableRef(newTenant(), 'old_events');
    const columns = [...METADATA, ...types];
    await runByHand(ref, `CREATE TABLE ${subject.name(ref)} (${columns.map(([n, t]) => `${q(n)} ${t}`).join(', ')}) WITH (format_version = 1)`);
    await warehouse.insertRows(
      ref,
      [loadRow(types, { id: 1, email_hash: ANA }, { messageId: 'm1', receivedAt: '2026-06-10T10:00:00Z' }), loadRow(types, { id: 2 }, { messageId: 'm2' })],
      types,
    );
    expect(await warehouse.countMatching(ref, ana)).toBe(1);
    await expect(warehouse.deleteMatching(ref, ana)).rejects.toMatchObject({ kind: 'permanent', errorName: 'iceberg_format_v1', message: /format v1/ });
    await expect(warehouse.deleteReceivedBefore(ref, canonicalTimestamp('2026-06-11T00:00:00Z'))).rejects.toMatchObject({ errorName: 'iceberg_format_v1' });
    const report = await warehouse.purgeDeleted(ref);
    expect(report).toMatchObject({ formatVersion: 1, purged: false, problem: expect.stringMatching(/format v1.*format_version = 2/) });
    expect(await ids(ref)).toEqual([1, 2]);
  });

  it('splits a long hash list under the statement length and still counts a row matched twice once', async () => {
    const ref = await freshTable(types);
    const many = Array.from({ length: 120 }, (_, i) => hash(`person-${i}`));
    // Row 1 holds the first and the last hash (two statements apart); rows 2..4 one each; row 5 none.
    await warehouse.insertRows(
      ref,
      [
        loadRow(types, { id: 1, email_hash: many[0], phone_hash: many[119] }, { messageId: 'm1' }),
        loadRow(types, { id: 2, email_hash: many[60] }, { messageId: 'm2' }),
        loadRow(types, { id: 3, phone_hash: many[100] }, { messageId: 'm3' }),
        loadRow(types, { id: 4 }, { messageId: 'm4', rescue: rescueOf(many[30]!) }),
        loadRow(types, { id: 5, email_hash: hash('nobody') }, { messageId: 'm5' }),
      ],
      types,
    );
    const short: Warehouse = new TrinoWarehouse({
      url: inject('trinoUrl'),
      user: 'boitata-tests',
      statementTimeoutMs: 120_000,
      catalog: 'iceberg',
      schemaPrefix: 'unused_',
      maxQueryLength: 4_000,
      snapshotRetention: '7d',
    });
    const match: HashMatch = { columns: ['email_hash', 'phone_hash'], hashes: many, rescue: true };
    expect(await short.countMatching(ref, match)).toBe(4);
    expect(await short.deleteMatching(ref, match)).toBe(4);
    expect(await ids(ref)).toEqual([5]);
  });
});
