// bench/governance: erase one person from a 1,000,000-row Trino/Iceberg table (a few thousand distinct hashed emails,
// the subject in 10 rows) — countMatching, deleteMatching, purgeDeleted timed beside full scans of the same table.
import { createHash } from 'node:crypto';
import { METADATA_COLUMNS } from '../../processor/schema/physical-name.ts';
import { quoteIdentifier as q, quoteString } from '../../processor/warehouse/sql-quote.ts';
import { metadataTable } from '../../processor/warehouse/trino-governance-sql.ts';
import { qualifiedName } from '../../processor/warehouse/trino-sql.ts';
import { TrinoWarehouse } from '../../processor/warehouse/trino-warehouse.ts';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 1_000_000);
const DISTINCT = Number(process.env['BENCH_DISTINCT_EMAILS'] ?? 3_000);
const TRINO_URL = process.env['TRINO_URL'] ?? 'http://127.0.0.1:8090';
const SUBJECT = 'subject@example.com';
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

const warehouse = new TrinoWarehouse({
  url: TRINO_URL,
  user: 'boitata-bench',
  statementTimeoutMs: 900_000,
  catalog: 'iceberg',
  schemaPrefix: `bench_gov_${Date.now().toString(36)}_`,
  maxQueryLength: 1_000_000,
  snapshotRetention: '7d',
});
const ref = warehouse.tableRef('erasure', 'events');
const table = qualifiedName(ref);

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { seconds: (performance.now() - start) / 1000, value };
}
const scalar = async (sql: string) => (await warehouse.query(sql)).rows[0]?.[0];

try {
  await warehouse.createTable(ref, [
    { physical: 'id', type: 'bigint' },
    { physical: 'email_hash', type: 'varchar' },
    { physical: 'amount', type: 'double' },
  ]);
  // Generated in Trino (sequence holds at most 10,000 values: two of them crossed), one commit; received over ~23 days.
  const m = METADATA_COLUMNS;
  const side = Math.ceil(Math.sqrt(ROWS));
  const email = `CASE WHEN x % ${Math.floor(ROWS / 10)} = 7 THEN ${quoteString(SUBJECT)} ELSE 'user-' || CAST(x % ${DISTINCT} AS varchar) || '@example.com' END`;
  const insert = await timed(() =>
    warehouse.query(
      `INSERT INTO ${table} (${[m.messageId, m.rowId, m.receivedAt, m.tenantId, m.endpoint, m.sequence, m.credential, 'id', 'email_hash', 'amount'].map(q).join(', ')}) ` +
        `SELECT 'bench-' || CAST(x AS varchar), 0, date_add('second', x * 2, TIMESTAMP '2026-05-01 00:00:00.000000 UTC'), 'erasure', 'bench', x, ` +
        `'connection:00000000-0000-4000-8000-000000000000', x, lower(to_hex(sha256(to_utf8(${email})))), x / 100.0 ` +
        `FROM (SELECT a * ${side} + b AS x FROM UNNEST(sequence(0, ${side - 1})) AS s(a) CROSS JOIN UNNEST(sequence(0, ${side - 1})) AS t(b)) WHERE x < ${ROWS}`,
    ),
  );
  const subjectHash = hashOf(SUBJECT);
  const match = { columns: ['email_hash'], hashes: [subjectHash], rescue: true };
  const files = async () => Number(await scalar(`SELECT count(*) FROM ${metadataTable(ref, 'files')}`));

  const fullCount = await timed(() => scalar(`SELECT count(*) FROM ${table}`));
  const fullScan = await timed(() =>
    scalar(`SELECT count(*) FROM ${table} WHERE email_hash = ${quoteString(hashOf('nobody@example.com'))} OR strpos(_boitata_rescue, 'x') > 0`),
  );
  const count = await timed(() => warehouse.countMatching(ref, match));
  const filesBefore = await files();
  const deleted = await timed(() => warehouse.deleteMatching(ref, match));
  const deleteFiles = Number(await scalar(`SELECT count(*) FROM ${metadataTable(ref, 'files')} WHERE content <> 0`));
  const purge = await timed(() => warehouse.purgeDeleted(ref));
  const left = await warehouse.countMatching(ref, match);

  const row = (label: string, seconds: number, note: string) => console.log(`${label.padEnd(44)} ${seconds.toFixed(2).padStart(8)} s   ${note}`);
  console.log(`\nerasure of one subject in a ${ROWS.toLocaleString('en')}-row Iceberg table (${DISTINCT} distinct emails), Trino at ${TRINO_URL}`);
  row('generate + INSERT … SELECT (setup)', insert.seconds, `${filesBefore} data files`);
  row('baseline: SELECT count(*)', fullCount.seconds, `${String(fullCount.value)} rows`);
  row('baseline: full scan, hash + rescue predicate', fullScan.seconds, `${String(fullScan.value)} rows`);
  row('countMatching (email_hash + rescue)', count.seconds, `${count.value} rows`);
  row('deleteMatching', deleted.seconds, `${deleted.value} rows deleted, ${deleteFiles} delete files written`);
  row('purgeDeleted (optimize, expire, orphans)', purge.seconds, JSON.stringify(purge.value));
  console.log(`after: ${left} matching rows, ${await files()} files in the current snapshot`);
  if (count.value !== 10 || deleted.value !== 10 || left !== 0 || !purge.value.purged) process.exitCode = 1;
} finally {
  await warehouse.dropTable(ref).catch(() => undefined);
  await warehouse.dropSchema(ref).catch(() => undefined);
  await warehouse.close();
}
