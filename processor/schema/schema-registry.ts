// The schema registry in Postgres, and the one place that evolves a warehouse table: resolve fields (aliases,
// typos, dictionary, the AI matcher), plan, DDL, record — then queue the catalog enrichment of new columns.
import type pg from 'pg';
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import type { AiSchemaMatcher } from '../ai/schema-matcher.ts';
import type { TableRef, Warehouse } from '../warehouse/warehouse.ts';
import { VARCHAR, type ColumnType } from './column-types.ts';
import { evolutionsAtOnce, Limiter } from './evolution-limit.ts';
import { METADATA_COLUMN_TYPES, METADATA_COLUMNS } from './physical-name.ts';
import { detectPii } from './pii-detect.ts';
import { observedType, planSchemaChange, type RegisteredColumn, type SchemaChange } from './plan-schema-change.ts';
import { resolveMessages, type AliasDecision, type ModelAnswer } from './resolve-fields.ts';

export interface TableSchema {
  ref: TableRef;
  /** logical name → column; never more than MAX_COLUMNS_PER_TABLE (fields past it are rescued by the loader) */
  columns: Map<string, RegisteredColumn>;
  /** field → logical column it stands for */
  aliases: Map<string, string>;
  version: number;
  /** the live table has the provider provenance columns (physical-name.ts, PROVENANCE_KEYS) */
  provenance: boolean;
}

export type StageHook = (stage: string) => Promise<void>;

/** One message's (payload's) fields with their non-null values, for one table. */
export type MessageFields = ReadonlyMap<string, readonly unknown[]>;

const METADATA_NAMES = new Set(METADATA_COLUMN_TYPES.map(([name]) => name));

export class SchemaRegistry {
  private readonly pool: pg.Pool;
  private readonly warehouse: Warehouse;
  private readonly matcher: AiSchemaMatcher | null;
  private readonly hook: StageHook;
  // Columns are only ever added or widened and aliases only added, so a stale entry can only plan a change that
  // the locked re-read below finds already made; a PII flag set elsewhere bumps the version, which is checked.
  private readonly cache = new Map<string, TableSchema>();

  private readonly evolutions: Limiter;

  /** `poolSize`: the clients `pool` has (pg's default 10); it bounds how many evolutions run at once. */
  constructor(options: { pool: pg.Pool; poolSize?: number; warehouse: Warehouse; matcher?: AiSchemaMatcher | null; hook?: StageHook }) {
    this.pool = options.pool;
    this.evolutions = new Limiter(evolutionsAtOnce(options.poolSize ?? 10));
    this.warehouse = options.warehouse;
    this.matcher = options.matcher ?? null;
    this.hook = options.hook ?? (async () => undefined);
  }

  /**
   * The table's schema, evolved so every incoming field has a column, an alias, or a rescued value. `messages`
   * holds each message's fields apart, in queue order: fields are resolved message by message (a payload is
   * what the schema rules look at), so where a field lands never depends on the rest of the batch.
   */
  async prepare(tenantId: string, table: string, messages: readonly MessageFields[], messageId: string, options: { provenance?: boolean } = {}): Promise<TableSchema> {
    const key = `${tenantId}\u0000${table}`;
    const cached = this.cache.get(key);
    const provenance = options.provenance ?? false;
    if (
      cached !== undefined && (!provenance || cached.provenance) && !messages.some((fields) => needsEvolution(cached, fields)) &&
      (await this.currentVersion(tenantId, table)) === cached.version
    ) {
      return cached;
    }
    const schema = await this.evolutions.run(() => this.evolve(tenantId, table, messages, messageId, provenance));
    this.cache.set(key, schema);
    return schema;
  }

  /**
   * Records that rows of the table just landed (the status page's "last loaded"). Best effort: the rows are in the
   * warehouse already, and a Postgres that cannot take this fails the batch's acknowledgement next, not this.
   */
  async markLoaded(tenantId: string, table: string): Promise<void> {
    await this.pool
      .query('UPDATE boitata_tables SET last_loaded_at = clock_timestamp() WHERE tenant_id = $1 AND table_name = $2', [tenantId, table])
      .catch(() => undefined);
  }

  forget(tenantId: string, table: string): void {
    this.cache.delete(`${tenantId}\u0000${table}`);
  }

  private async currentVersion(tenantId: string, table: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ schema_version: number }>(
      'SELECT schema_version FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2', [tenantId, table]);
    return rows[0]?.schema_version ?? null;
  }

  // One evolution at a time per table across every processor (a transaction-scoped advisory lock). The
  // warehouse DDL runs first and is idempotent (IF NOT EXISTS; the live table is described and believed),
  // the registry commits after it: a crash in between is repaired by the next batch.
  private async evolve(tenantId: string, table: string, messages: readonly MessageFields[], messageId: string, needsProvenance: boolean): Promise<TableSchema> {
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
      const knownAliases = await loadAliases(client, tenantId, table);
      const live = await this.warehouse.describeTable(ref);
      const adopted: RegisteredColumn[] = [];
      if (live !== null && !exists) {
        // A table created outside Boitatá: its columns are adopted as they are.
        for (const [physical, type] of live) if (!METADATA_NAMES.has(physical)) adopted.push({ logical: physical, physical, type });
        columns = [...columns, ...adopted];
      }

      // The batch's values per field (types of new columns, widenings, samples, PII), built only when evolving.
      const incoming = new Map<string, unknown[]>();
      for (const fields of messages) for (const [field, values] of fields) append(incoming, field, values);
      const fieldTypes = new Map([...incoming].map(([field, values]) => [field, observedType(values)]));
      const rejected = await loadRejections(client, tenantId, table);
      // Message by message, in queue order (resolve-fields.ts); only the new fields that can still get a column
      // are examined, the ones past the cap get none and the loader rescues their values with the reason.
      const typed = messages.map((fields) => new Map([...fields].map(([field, values]) => [field, observedType(values)])));
      const resolve = (answer?: { model: ModelAnswer; offered: ReadonlySet<string> }) => resolveMessages({
        columns, aliases: knownAliases, messages: typed, rejected, room: MAX_COLUMNS_PER_TABLE - columns.length, ...answer,
      });
      let resolution = resolve();
      const { question } = resolution;
      if (question.fields.length > 0) {
        // One question for the whole batch. Ingestion does not wait on the model beyond AI_TIMEOUT_MS: when it
        // cannot answer, the dictionary decides what it can and the other fields become columns now (their
        // values land; nothing is held back).
        const asked = question.fields.map((name) => ({ name, type: fieldTypes.get(name) ?? VARCHAR, samples: (incoming.get(name) ?? []).slice(0, 3) }));
        const outcome = question.candidates.length === 0
          ? { decisions: [], unavailable: null }
          : this.matcher === null
            ? { decisions: [], unavailable: 'no model' }
            : await this.matcher.decide(tenantId, table, asked, question.candidates);
        const answer = new Map<string, AliasDecision>();
        for (const decision of outcome.decisions) if (!answer.has(decision.field)) answer.set(decision.field, decision);
        // The model's word is checked per message like the offline steps' (resolveMessages).
        resolution = resolve({ model: outcome.unavailable === null ? answer : 'unavailable', offered: new Set(question.candidates.map((c) => c.logical)) });
      }
      const newAliases: AliasDecision[] = resolution.create;
      const aliasMap = new Map([...knownAliases, ...newAliases.map((a) => [a.field, a.column] as const)]);
      // What the plan sees: registered and new columns, and fields aliased onto them. A field aliased onto a column
      // this same batch creates counts towards that column's type; fields past the cap get no column.
      const registeredNames = new Set(columns.map((c) => c.logical));
      const planned = new Map<string, unknown[]>();
      const aliasedOntoNew = new Map<string, string[]>();
      for (const [field, values] of incoming) {
        const target = registeredNames.has(field) || resolution.newColumns.has(field) ? field : aliasMap.get(field);
        if (target === undefined) continue;
        if (target === field || registeredNames.has(target)) append(planned, field, values);
        else if (resolution.newColumns.has(target)) {
          append(planned, target, values);
          aliasedOntoNew.set(target, [...(aliasedOntoNew.get(target) ?? []), field]);
        }
      }
      const plan = planSchemaChange(columns, planned, aliasMap);
      // Personal data is found before the first row lands; its column holds hashes, so it is text.
      const piiOf = new Map<string, 'name' | 'values'>();
      const changes: SchemaChange[] = plan.changes.map((change) => {
        if (change.kind !== 'add_column') return change;
        // A field aliased onto the new column (by a later message of this batch) that is personal data makes it so.
        let pii = detectPii(change.logical, planned.get(change.logical) ?? []);
        for (const field of aliasedOntoNew.get(change.logical) ?? []) pii ??= detectPii(field, incoming.get(field) ?? []);
        if (pii === null) return change;
        piiOf.set(change.logical, pii);
        return { ...change, type: VARCHAR };
      });

      // A field that is personal data makes the column it is aliased onto personal data too; so does an
      // adopted column whose name says so. Their existing rows are hashed in place by a job.
      const lateFlags = new Map<string, 'name' | 'values'>();
      for (const alias of newAliases) {
        const target = columns.find((c) => c.logical === alias.column);
        const pii = detectPii(alias.field, incoming.get(alias.field) ?? []);
        if (target !== undefined && target.pii !== true && pii !== null) lateFlags.set(target.logical, pii);
      }
      for (const column of adopted) {
        const pii = detectPii(column.logical, []);
        if (pii !== null) lateFlags.set(column.logical, pii);
      }

      const applied: SchemaChange[] = [];
      const added: RegisteredColumn[] = [];
      // The provenance columns join a table with its first provider delivery, and stay.
      const provenance = needsProvenance || (live !== null && live.has(METADATA_COLUMNS.provider));
      if (live === null) {
        const newColumns = changes.flatMap((c) => (c.kind === 'add_column' ? [c] : []));
        // A registered table missing from the warehouse (dropped by hand) is recreated with every known column.
        await this.warehouse.createTable(ref, [...columns, ...newColumns], { provenance });
        applied.push(...changes);
        added.push(...newColumns);
      } else {
        await this.warehouse.ensureMetadataColumns(ref, new Set(live.keys()), { provenance });
        for (const change of changes) {
          const liveType = live.get(change.physical);
          if (change.kind === 'add_column' && liveType !== undefined) {
            // Its DDL ran before a crash: the warehouse's type is the truth.
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

      let version = exists ? ((await currentVersionOf(client, tenantId, table)) ?? 0) : 0;
      if (!exists) {
        await client.query(
          `INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, $2, $3, $4)`,
          [tenantId, table, ref.schema, ref.table],
        );
      }
      if (applied.length > 0 || adopted.length > 0 || newAliases.length > 0 || lateFlags.size > 0 || !exists) {
        version += 1;
        await client.query('UPDATE boitata_tables SET schema_version = $3 WHERE tenant_id = $1 AND table_name = $2', [tenantId, table, version]);
        const history = [
          ...(adopted.length > 0 ? [{ kind: 'adopt_columns', columns: adopted }] : []),
          ...applied,
          ...newAliases.map((a) => ({ kind: 'add_alias', alias: a.field, column: a.column, decided_by: a.decidedBy, evidence: a.evidence })),
        ];
        await client.query(
          'INSERT INTO boitata_schema_versions (tenant_id, table_name, version, changes, message_id) VALUES ($1, $2, $3, $4, $5)',
          [tenantId, table, version, JSON.stringify(history), messageId],
        );
      }
      for (const [origin, list] of [['adopted', adopted], ['payload', added]] as const) {
        for (const column of list) {
          const pii = piiOf.get(column.logical) ?? null;
          await client.query(
            `INSERT INTO boitata_columns (tenant_id, table_name, logical_name, physical_name, data_type, origin, first_message_id, added_in_version, pii, pii_source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [tenantId, table, column.logical, column.physical, column.type, origin, messageId, version, pii !== null, pii],
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
      for (const [logical, source] of lateFlags) {
        await client.query(
          `UPDATE boitata_columns SET pii = true, pii_source = $4 WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3`,
          [tenantId, table, logical, source]);
        await client.query(
          `INSERT INTO boitata_jobs (kind, tenant_id, table_name, payload) VALUES ('hash_pii_column', $1, $2, $3)`,
          [tenantId, table, JSON.stringify({ column: logical, pass: 1 })]);
      }
      for (const alias of newAliases) {
        await client.query(
          `INSERT INTO boitata_aliases (tenant_id, table_name, alias, column_name, decided_by, evidence) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING`,
          [tenantId, table, alias.field, alias.column, alias.decidedBy, JSON.stringify(alias.evidence)],
        );
      }
      if (added.length > 0 || adopted.length > 0) {
        // The catalog learns about new columns in the background (a job the processor works): ingestion never waits.
        await client.query(
          `INSERT INTO boitata_jobs (kind, tenant_id, table_name, payload) VALUES ('enrich_columns', $1, $2, $3)`,
          [tenantId, table, JSON.stringify({ columns: [...adopted, ...added].map((c) => c.logical) })],
        );
      }
      await client.query('COMMIT');
      const final = (await loadColumns(client, tenantId, table)) ?? [];
      const aliases = await loadAliases(client, tenantId, table);
      return { ref, columns: new Map(final.map((c) => [c.logical, c])), aliases, version, provenance };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release();
    }
  }
}

/**
 * Whether the incoming fields need anything the cached schema lacks (a column, an alias, a widening). A table at
 * its column cap gives new fields nothing, so they do not send every batch through the locked evolution.
 */
function needsEvolution(schema: TableSchema, incoming: ReadonlyMap<string, readonly unknown[]>): boolean {
  const full = schema.columns.size >= MAX_COLUMNS_PER_TABLE;
  for (const [field, values] of incoming) {
    const target = schema.columns.has(field) ? field : schema.aliases.get(field);
    if (target === undefined && !full && observedType(values) !== null) return true;
  }
  return planSchemaChange([...schema.columns.values()], incoming, schema.aliases).changes.length > 0;
}

function append(map: Map<string, unknown[]>, key: string, values: readonly unknown[]): void {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  for (const value of values) list.push(value);
}

async function loadColumns(client: pg.PoolClient, tenantId: string, table: string): Promise<RegisteredColumn[] | null> {
  const { rows } = await client.query<{ logical: string | null; physical: string; type: ColumnType; pii: boolean }>(
    `SELECT c.logical_name AS logical, c.physical_name AS physical, c.data_type AS type, c.pii
       FROM boitata_tables t LEFT JOIN boitata_columns c USING (tenant_id, table_name)
      WHERE t.tenant_id = $1 AND t.table_name = $2
      ORDER BY c.added_in_version, c.logical_name`,
    [tenantId, table],
  );
  if (rows.length === 0) return null;
  return rows.flatMap((row) => (row.logical === null ? [] : [{ logical: row.logical, physical: row.physical, type: row.type, pii: row.pii }]));
}

async function loadAliases(client: pg.PoolClient, tenantId: string, table: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ alias: string; column_name: string }>(
    'SELECT alias, column_name FROM boitata_aliases WHERE tenant_id = $1 AND table_name = $2', [tenantId, table]);
  return new Map(rows.map((r) => [r.alias, r.column_name]));
}

async function loadRejections(client: pg.PoolClient, tenantId: string, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ alias: string; column_name: string }>(
    'SELECT alias, column_name FROM boitata_alias_rejections WHERE tenant_id = $1 AND table_name = $2', [tenantId, table]);
  return new Set(rows.map((r) => `${r.alias}\u0000${r.column_name}`));
}

async function currentVersionOf(client: pg.PoolClient, tenantId: string, table: string): Promise<number | null> {
  const { rows } = await client.query<{ schema_version: number }>(
    'SELECT schema_version FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2', [tenantId, table]);
  return rows[0]?.schema_version ?? null;
}
