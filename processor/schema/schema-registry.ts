// The schema registry in Postgres, and the one place that evolves a warehouse table: plan, DDL, record.
import type pg from 'pg';
import type { ColumnType } from './column-types.ts';
import { planSchemaChange, type FieldMatcher, type RegisteredColumn, type SchemaChange } from './plan-schema-change.ts';
import { METADATA_COLUMN_TYPES } from './physical-name.ts';
import type { TableRef, Warehouse } from '../warehouse/warehouse.ts';

export interface TableSchema {
  ref: TableRef;
  /** logical name → column */
  columns: Map<string, RegisteredColumn>;
  version: number;
}

export type StageHook = (stage: string) => Promise<void>;

const METADATA_NAMES = new Set(METADATA_COLUMN_TYPES.map(([name]) => name));

export class SchemaRegistry {
  private readonly pool: pg.Pool;
  private readonly warehouse: Warehouse;
  private readonly matchers: readonly FieldMatcher[];
  private readonly hook: StageHook;
  // Safe to cache: columns are only ever added or widened, so a stale entry can only plan a change that
  // the locked re-read below then finds already made.
  private readonly cache = new Map<string, TableSchema>();

  constructor(options: { pool: pg.Pool; warehouse: Warehouse; matchers?: readonly FieldMatcher[]; hook?: StageHook }) {
    this.pool = options.pool;
    this.warehouse = options.warehouse;
    this.matchers = options.matchers ?? [];
    this.hook = options.hook ?? (async () => undefined);
  }

  /** The table's schema, evolved so every incoming field has a column (or a rescued value). */
  async prepare(tenantId: string, table: string, incoming: ReadonlyMap<string, readonly unknown[]>, messageId: string): Promise<TableSchema> {
    const key = `${tenantId}\u0000${table}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && planSchemaChange([...cached.columns.values()], incoming, this.matchers).changes.length === 0) {
      return cached;
    }
    const schema = await this.evolve(tenantId, table, incoming, messageId);
    this.cache.set(key, schema);
    return schema;
  }

  forget(tenantId: string, table: string): void {
    this.cache.delete(`${tenantId}\u0000${table}`);
  }

  // One evolution at a time per table across every processor (a transaction-scoped advisory lock). The
  // warehouse DDL runs first and is idempotent (IF NOT EXISTS; the live table is described and believed),
  // the registry commits after it: a crash in between is repaired by the next batch.
  private async evolve(tenantId: string, table: string, incoming: ReadonlyMap<string, readonly unknown[]>, messageId: string): Promise<TableSchema> {
    const ref = this.warehouse.tableRef(tenantId, table);
    const client = await this.pool.connect();
    // The transaction stays open across Trino DDL: a connection that drops meanwhile must not crash the process.
    const onError = () => undefined;
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7362846))', [`${tenantId}/${table}`]);
      const registered = await loadColumns(client, tenantId, table);
      const exists = registered !== null;
      let columns = registered ?? [];
      const live = await this.warehouse.describeTable(ref);
      const adopted: RegisteredColumn[] = [];
      if (live !== null) {
        // A table created outside Boitatá, or a column whose DDL ran before a crash: the warehouse is the truth.
        const known = new Set(columns.map((c) => c.physical));
        for (const [physical, type] of live) {
          if (!METADATA_NAMES.has(physical) && !known.has(physical) && !exists) adopted.push({ logical: physical, physical, type });
        }
        columns = [...columns, ...adopted];
      }
      const plan = planSchemaChange(columns, incoming, this.matchers);
      const applied: SchemaChange[] = [];
      const added: RegisteredColumn[] = [];
      if (live === null) {
        const newColumns = plan.changes.flatMap((c) => (c.kind === 'add_column' ? [c] : []));
        // A registered table missing from the warehouse (dropped by hand) is recreated with every known column.
        await this.warehouse.createTable(ref, [...columns, ...newColumns]);
        applied.push(...plan.changes);
        added.push(...newColumns);
      } else {
        await this.warehouse.ensureMetadataColumns(ref, new Set(live.keys()));
        for (const change of plan.changes) {
          const liveType = live.get(change.physical);
          if (change.kind === 'add_column' && liveType !== undefined) {
            added.push({ logical: change.logical, physical: change.physical, type: liveType });
            continue;
          }
          if (change.kind === 'widen_column' && liveType === change.to) {
            applied.push(change);
            continue;
          }
          await this.warehouse.applyChange(ref, change);
          applied.push(change);
          if (change.kind === 'add_column') added.push(change);
        }
      }
      await this.hook('ddl');

      let version = exists ? await currentVersion(client, tenantId, table) : 0;
      if (!exists) {
        await client.query(
          `INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, $2, $3, $4)`,
          [tenantId, table, ref.schema, ref.table],
        );
      }
      if (applied.length > 0 || adopted.length > 0 || !exists) {
        version += 1;
        await client.query('UPDATE boitata_tables SET schema_version = $3 WHERE tenant_id = $1 AND table_name = $2', [tenantId, table, version]);
        const changes = [...(adopted.length > 0 ? [{ kind: 'adopt_columns', columns: adopted }] : []), ...applied];
        await client.query(
          'INSERT INTO boitata_schema_versions (tenant_id, table_name, version, changes, message_id) VALUES ($1, $2, $3, $4, $5)',
          [tenantId, table, version, JSON.stringify(changes), messageId],
        );
      }
      for (const [origin, list] of [['adopted', adopted], ['payload', added]] as const) {
        for (const column of list) {
          await client.query(
            `INSERT INTO boitata_columns (tenant_id, table_name, logical_name, physical_name, data_type, origin, first_message_id, added_in_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [tenantId, table, column.logical, column.physical, column.type, origin, messageId, version],
          );
        }
      }
      for (const change of applied) {
        if (change.kind === 'widen_column') {
          await client.query(
            'UPDATE boitata_columns SET data_type = $4 WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3',
            [tenantId, table, change.logical, change.to],
          );
        }
      }
      await client.query('COMMIT');
      const final = (await loadColumns(client, tenantId, table)) ?? [];
      return { ref, columns: new Map(final.map((c) => [c.logical, c])), version };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release();
    }
  }
}

async function loadColumns(client: pg.PoolClient, tenantId: string, table: string): Promise<RegisteredColumn[] | null> {
  const { rows } = await client.query<{ logical: string | null; physical: string; type: ColumnType }>(
    `SELECT c.logical_name AS logical, c.physical_name AS physical, c.data_type AS type
       FROM boitata_tables t LEFT JOIN boitata_columns c USING (tenant_id, table_name)
      WHERE t.tenant_id = $1 AND t.table_name = $2`,
    [tenantId, table],
  );
  if (rows.length === 0) return null;
  return rows.flatMap((row) => (row.logical === null ? [] : [{ logical: row.logical, physical: row.physical, type: row.type }]));
}

async function currentVersion(client: pg.PoolClient, tenantId: string, table: string): Promise<number> {
  const { rows } = await client.query<{ schema_version: number }>(
    'SELECT schema_version FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2',
    [tenantId, table],
  );
  return rows[0]?.schema_version ?? 0;
}
