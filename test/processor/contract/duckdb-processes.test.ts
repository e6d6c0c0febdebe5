// DuckDB only: one writer process per file. A second process (the CLI) reads while the adapter is idle, a
// locked file is a transient WAREHOUSE_LOCKED, and what the adapter does that Trino has no counterpart for.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { coerceValue, canonicalTimestamp, type Cell, type ColumnType } from '../../../processor/schema/column-types.ts';
import { classifyDuckDbError } from '../../../processor/warehouse/duckdb-file.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { WarehouseError, type LoadRow } from '../../../processor/warehouse/warehouse.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const adapterUrl = new URL('../../../processor/warehouse/duckdb-warehouse.ts', import.meta.url).href;
const dir = join(tmpdir(), `boitata-duckdb-${process.pid}-${randomUUID().slice(0, 8)}`);
const children = new Set<ChildProcess>();
let fileCounter = 0;
const newPath = () => join(dir, `w${fileCounter++}.duckdb`);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI's side: another process asks the adapter for a read-only query and prints the outcome. */
const READER = `
const { DuckDbWarehouse } = await import(process.env.ADAPTER_URL);
const { path, sql, queryLockWaitMs } = JSON.parse(process.env.CHILD_ARGS);
const warehouse = new DuckDbWarehouse({ path, schemaPrefix: 'p_', queryLockWaitMs });
try {
  const result = await warehouse.query(sql);
  console.log(JSON.stringify({ ok: true, rows: result.rows }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, kind: error.kind, errorName: error.errorName, message: error.message }));
} finally {
  await warehouse.close();
}`;

/** Another writer (a second processor, or a DuckDB shell) that holds the file until it is killed. */
const HOLDER = `
const { DuckDBInstance } = await import('@duckdb/node-api');
const { path } = JSON.parse(process.env.CHILD_ARGS);
const instance = await DuckDBInstance.create(path);
await (await instance.connect()).run('SELECT 1');
console.log('held');
setInterval(() => undefined, 60_000);`;

function startChild(script: string, args: object): { child: ChildProcess; output: Promise<string>; started: Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, ADAPTER_URL: adapterUrl, CHILD_ARGS: JSON.stringify(args), NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('held')) markStarted();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const output = new Promise<string>((resolve, reject) => {
    child.on('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(stdout.trim());
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
  return { child, output, started };
}

async function readInChild(path: string, sql: string, queryLockWaitMs: number) {
  return JSON.parse(await startChild(READER, { path, sql, queryLockWaitMs }).output) as
    { ok: true; rows: unknown[][] } | { ok: false; kind: string; errorName: string; message: string };
}

const types = new Map<string, ColumnType>([['n', 'bigint']]);
function row(n: number, messageId = `m${n}`): LoadRow {
  const coerced = coerceValue(n, 'bigint');
  if (!coerced.ok) throw new Error(coerced.reason);
  return {
    messageId,
    rowId: 0,
    receivedAt: canonicalTimestamp('2026-06-12T10:00:00Z'),
    tenantId: 'p',
    endpoint: 'e',
    sequence: String(n + 1),
    rescue: null,
    credential: 'connection:00000000-0000-4000-8000-000000000001',
    sourceId: null,
    provenance: null,
    cells: new Map<string, Cell>([['n', coerced.cell]]),
  };
}

describe('DuckDB: one writer process, readers in between', () => {
  it('lets another process read once the adapter has been idle, and that reader waits for the writer to let go', async () => {
    const path = newPath();
    const warehouse = new DuckDbWarehouse({ path, schemaPrefix: 'p_', idleCloseMs: 0 });
    const ref = warehouse.tableRef('acme', 'events');
    await warehouse.createTable(ref, [{ physical: 'n', type: 'bigint' }]);
    await warehouse.insertRows(ref, [row(1), row(2), row(3)], types);

    // The adapter keeps the file open (idleCloseMs 0): a reader that gives up quickly is told why.
    const refused = await readInChild(path, 'SELECT count(*) FROM p_acme.events', 300);
    expect(refused).toMatchObject({ ok: false, kind: 'transient', errorName: 'WAREHOUSE_LOCKED' });
    expect(refused.ok === false && refused.message).toContain(path);
    expect(refused.ok === false && refused.message).toMatch(/held by another process/);

    // A patient reader gets in as soon as the writer closes.
    const patient = readInChild(path, 'SELECT count(*), sum(n) FROM p_acme.events', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await warehouse.close();
    expect(await patient).toEqual({ ok: true, rows: [[3, 6]] });

    // And the writer opens the file again on its next call.
    await warehouse.insertRows(ref, [row(4)], types);
    expect((await warehouse.query('SELECT count(*) FROM p_acme.events')).rows).toEqual([[4]]);
    await warehouse.close();
  });

  it('closes the file after idleCloseMs without a call, so a reader needs no wait', async () => {
    const path = newPath();
    const warehouse = new DuckDbWarehouse({ path, schemaPrefix: 'p_', idleCloseMs: 200 });
    const ref = warehouse.tableRef('acme', 'events');
    await warehouse.createTable(ref, [{ physical: 'n', type: 'bigint' }]);
    await warehouse.insertRows(ref, [row(1)], types);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await readInChild(path, 'SELECT n FROM p_acme.events', 0)).toEqual({ ok: true, rows: [[1]] });
    await warehouse.close();
  });

  it('fails a write with a transient WAREHOUSE_LOCKED while another process holds the file; the retry lands it', async () => {
    const path = newPath();
    const warehouse = new DuckDbWarehouse({ path, schemaPrefix: 'p_', lockWaitMs: 300 });
    const ref = warehouse.tableRef('acme', 'events');
    await warehouse.createTable(ref, [{ physical: 'n', type: 'bigint' }]);
    await warehouse.close();

    const holder = startChild(HOLDER, { path });
    await holder.started;
    const failure = await warehouse.insertRows(ref, [row(1)], types).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WarehouseError);
    expect(failure).toMatchObject({ kind: 'transient', errorName: 'WAREHOUSE_LOCKED' });
    expect((failure as Error).message).toContain(path);

    holder.child.kill('SIGTERM');
    await holder.output.catch(() => undefined);
    await warehouse.insertRows(ref, [row(1)], types);
    expect((await warehouse.query('SELECT n FROM p_acme.events')).rows).toEqual([[1]]);
    await warehouse.close();
  });

  it('serializes concurrent calls on one table (two lanes, DDL and writes) instead of failing on conflicts', async () => {
    const warehouse = new DuckDbWarehouse({ path: newPath(), schemaPrefix: 'p_' });
    const ref = warehouse.tableRef('acme', 'busy');
    await warehouse.createTable(ref, [{ physical: 'n', type: 'bigint' }]);
    await Promise.all([
      warehouse.insertRows(
        ref,
        Array.from({ length: 100 }, (_, i) => row(i, `a${i}`)),
        types,
      ),
      warehouse.applyChange(ref, { kind: 'add_column', logical: 'extra', physical: 'extra', type: 'varchar' }),
      warehouse.insertRows(
        ref,
        Array.from({ length: 100 }, (_, i) => row(i, `b${i}`)),
        types,
      ),
      warehouse.mergeRows(ref, 'n', [row(1000, 'c')], types),
      warehouse.maintain(ref),
    ]);
    expect((await warehouse.query('SELECT count(*) FROM p_acme.busy')).rows).toEqual([[201]]);
    await warehouse.close();
  });

  it('answers queries with JSON-friendly values', async () => {
    const warehouse = new DuckDbWarehouse({ path: newPath(), schemaPrefix: 'p_' });
    await warehouse.ensureSchema(warehouse.tableRef('acme', 'x')); // creates the file
    const { columns, rows } = await warehouse.query(
      "SELECT 42::BIGINT AS small, 9007199254740993::BIGINT AS big, TIMESTAMPTZ '2026-06-12 10:00:00.123456+05:30' AS at, " +
        "DATE '2024-02-29' AS day, 12.30::DECIMAL(5,2) AS price, [1, 2] AS list, {'a': 1} AS struct, 'nan'::DOUBLE AS nan, " +
        "TIMESTAMP '2026-01-01 00:00:00' AS naive, NULL AS nothing",
    );
    expect(columns).toEqual(['small', 'big', 'at', 'day', 'price', 'list', 'struct', 'nan', 'naive', 'nothing']);
    expect(rows).toEqual([
      [42, '9007199254740993', '2026-06-12T04:30:00.123456Z', '2024-02-29', '12.30', [1, 2], { a: 1 }, 'NaN', '2026-01-01T00:00:00.000000', null],
    ]);
    await warehouse.close();
  });

  it('describes types outside the port vocabulary by their DuckDB names and leaves those columns alone on writes', async () => {
    // Kept open: `query` then runs on the read-write connection, as a table created outside Boitatá would be.
    const warehouse = new DuckDbWarehouse({ path: newPath(), schemaPrefix: 'p_', idleCloseMs: 0 });
    const ref = warehouse.tableRef('acme', 'adopted');
    await warehouse.ensureSchema(ref);
    await warehouse.query('CREATE TABLE p_acme.adopted (n BIGINT, tags VARCHAR[], small SMALLINT, naive TIMESTAMP, point STRUCT(x INTEGER))');
    await warehouse.query("INSERT INTO p_acme.adopted VALUES (1, ['a'], 1, TIMESTAMP '2026-01-01 00:00:00', {'x': 1})");
    await warehouse.ensureMetadataColumns(ref, new Set(['n', 'tags', 'small', 'naive', 'point']));
    const described = (await warehouse.describeTable(ref))!;
    expect([described.get('tags'), described.get('small'), described.get('naive'), described.get('point')]).toEqual([
      'varchar[]',
      'smallint',
      'timestamp',
      'struct(x integer)',
    ]);
    // What the loader passes: the data columns (the registry's), types as described.
    const dataColumns = new Map([...described].filter(([name]) => !name.startsWith('_boitata_')));
    await warehouse.mergeRows(ref, 'n', [{ ...row(1), sequence: '5' }], dataColumns);
    expect((await warehouse.query('SELECT n, tags, small, point FROM p_acme.adopted')).rows).toEqual([[1, ['a'], 1, { x: 1 }]]);
    await warehouse.close();
  });

  it('a read-only adapter never creates the file', async () => {
    const path = newPath();
    const reader = new DuckDbWarehouse({ path, schemaPrefix: 'p_', readOnly: true });
    await expect(reader.query('SELECT 1')).rejects.toMatchObject({ errorName: 'WAREHOUSE_MISSING' });
    await expect(reader.ensureSchema(reader.tableRef('acme', 't'))).rejects.toBeInstanceOf(WarehouseError);
    expect(existsSync(path)).toBe(false);
  });
});

describe('DuckDB error classification', () => {
  it.each([
    ["Conversion Error: Could not convert string 'abc' to INT32", 'permanent', 'CONVERSION_ERROR'],
    ['Constraint Error: NOT NULL constraint failed: t.a', 'permanent', 'CONSTRAINT_VIOLATION'],
    ['Out of Range Error: Overflow in multiplication of INT32', 'permanent', 'NUMERIC_VALUE_OUT_OF_RANGE'],
    ['TransactionContext Error: Conflict on update!', 'transient', 'TRANSACTION_CONFLICT'],
    ['Catalog Error: Table with name t does not exist!', 'transient', 'CATALOG_ERROR'],
    ['IO Error: No space left on device', 'transient', 'IO_ERROR'],
    ['something without a prefix', 'transient', 'DUCKDB_ERROR'],
  ])('%s → %s %s', (message, kind, errorName) => {
    expect(classifyDuckDbError(new Error(message), '/x.duckdb')).toMatchObject({ kind, errorName });
  });
});
