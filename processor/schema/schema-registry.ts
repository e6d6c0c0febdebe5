// The schema registry's shell: the one place that evolves a warehouse table. It observes a batch once, asks the AI
// matcher before taking the table's lock, then locks, re-reads, decides (decide-evolution.ts, pure), applies the
// plan's DDL and records it in the catalog (catalog-sql.ts). The table's schema contract (governance/policies.ts) is
// read with the state under the lock and checked with the version before a cached schema is used (contract-sql.ts).
import type pg from 'pg';
import { withTransaction } from '../../database/with-transaction.ts';
import { assertNever } from '../../shared/assert-never.ts';
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import type { AiSchemaMatcher } from '../ai/schema-matcher.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import * as catalog from './catalog-sql.ts';
import { decideEvolution, modelQuestion, type EvolutionPlan, type ModelVerdict, type TableState } from './decide-evolution.ts';
import { evolutionsAtOnce, Limiter } from './evolution-limit.ts';
import { observeBatch, type ObservedBatch } from './observe-batch.ts';
import { planChanges } from './plan-schema-change.ts';
import type { AliasDecision } from './resolve-fields.ts';
import { columnFor, type MessageFields, type TableSchema } from './table-schema.ts';
import { versionAndContract } from './contract-sql.ts';
import { effectivePolicy, type SchemaContract } from '../governance/policies.ts';

export type { MessageFields, TableSchema } from './table-schema.ts';

export type StageHook = (stage: string) => Promise<void>;

/** The model's verdict, and the fields it was asked about. */
interface AskedModel {
  fields: ReadonlySet<string>;
  verdict: ModelVerdict;
}

/** How many refused fields a cached schema remembers (see `prepare`). */
const MAX_REMEMBERED_REFUSALS = 10_000;

/** How many times the model may be asked for one evolution (see `evolve`). */
const MODEL_ROUNDS = 2;

/** Whether what the model was asked covers the question the table's current state poses. */
function answers(asked: AskedModel | undefined, question: ReturnType<typeof modelQuestion>): boolean {
  return question === null || (asked !== undefined && question.fields.every((field) => asked.fields.has(field.name)));
}

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
  async prepare(
    tenantId: string,
    table: string,
    messages: readonly MessageFields[],
    messageId: string,
    options: { provenance?: boolean } = {},
  ): Promise<TableSchema> {
    const key = `${tenantId}\u0000${table}`;
    const cached = this.cache.get(key);
    const provenance = options.provenance ?? false;
    const batch = observeBatch(messages);
    if (cached !== undefined && (!provenance || cached.provenance) && !needsEvolution(cached, batch)) {
      // A contract changed for the table or the tenant's default moves no version: both are checked at once.
      const current = await versionAndContract(this.pool, tenantId, table);
      if (current.version === cached.version && current.contract === (cached.contract ?? 'evolve')) return cached;
    }
    const evolved = await this.evolutions.run(() => this.evolve(tenantId, table, batch, messageId, provenance));
    // Fields refused at this same version and contract stay known, so drift alternating between fields does not
    // evolve every batch (bounded: a payload keyed by ids must not grow it for ever).
    const schema =
      cached?.refused !== undefined &&
      cached.version === evolved.version &&
      cached.contract === evolved.contract &&
      cached.refused.size < MAX_REMEMBERED_REFUSALS
        ? { ...evolved, refused: new Set([...cached.refused, ...(evolved.refused ?? [])]) }
        : evolved;
    this.cache.set(key, schema);
    return schema;
  }

  /** Records that rows of the table just landed (the status page's "last loaded"); best effort. */
  async markLoaded(tenantId: string, table: string): Promise<void> {
    await catalog.markLoaded(this.pool, tenantId, table);
  }

  forget(tenantId: string, table: string): void {
    this.cache.delete(`${tenantId}\u0000${table}`);
  }

  // The model is asked before the lock (its call may take AI_TIMEOUT_MS; other processors' evolutions of the table
  // must not wait on it). Under the lock the state is read again and believed: the answer is taken only where it
  // still fits (decide-evolution checks it per message). When another processor changed the table in between so
  // that the batch now has a question the model was not asked, the lock is let go and the model asked again (twice
  // at most; then the fields it was not asked about become columns, as without a model).
  // The warehouse DDL runs first and is idempotent (the live table is described and believed); the registry
  // commits after it: a crash in between is repaired by the next batch. The lock is transaction-scoped.
  private async evolve(tenantId: string, table: string, batch: ObservedBatch, messageId: string, provenance: boolean): Promise<TableSchema> {
    const ref = this.warehouse.tableRef(tenantId, table);
    // The live table seen under the lock, for the next round's question (an unregistered table's columns are adopted).
    let live: TableState['live'] = null;
    for (let attempt = 1; ; attempt++) {
      const asked = await this.askModel(tenantId, table, batch, live);
      const schema = await withTransaction(this.pool, async (client) => {
        await catalog.lockTable(client, tenantId, table);
        const state = await this.readState(client, tenantId, table);
        live = state.live;
        if (attempt < MODEL_ROUNDS && !answers(asked, modelQuestion(state, batch))) return null;
        const model = asked?.verdict;
        const { contract } = await effectivePolicy(client, tenantId, table);
        const plan = decideEvolution({ state, batch, provenance, contract, ...(model === undefined ? {} : { model }) });
        await this.applyToWarehouse(ref, plan);
        await this.hook('ddl');
        const version = await record(client, tenantId, table, ref, plan, messageId);
        const columns = (await catalog.loadColumns(client, tenantId, table)) ?? [];
        const aliases = await catalog.loadAliases(client, tenantId, table);
        const schema: TableSchema = { ref, columns: new Map(columns.map((c) => [c.logical, c])), aliases, version, provenance: plan.provenance, contract };
        return { ...schema, refused: refusedFields(schema, batch, contract) };
      });
      if (schema !== null) return schema;
    }
  }

  /** The table's state under its lock: the catalog's view and the live warehouse table. */
  private async readState(client: catalog.Sql, tenantId: string, table: string): Promise<TableState> {
    const registered = await catalog.loadColumns(client, tenantId, table);
    const aliases = await catalog.loadAliases(client, tenantId, table);
    const rejected = await catalog.loadRejections(client, tenantId, table);
    const live = await this.warehouse.describeTable(this.warehouse.tableRef(tenantId, table));
    return { registered, aliases, rejected, live };
  }

  /**
   * The state the model's question is put from, before the lock, without asking the warehouse: a table new to the
   * registry has no aliases and nothing undone, and its live columns are known only from an earlier round's locked
   * read (`live`). A new table, then, costs one query here and has no question (every field is a new column).
   */
  private async stateBeforeLock(tenantId: string, table: string, live: TableState['live']): Promise<TableState> {
    const registered = await catalog.loadColumns(this.pool, tenantId, table);
    if (registered === null) return { registered, aliases: new Map(), rejected: new Set(), live };
    const aliases = await catalog.loadAliases(this.pool, tenantId, table);
    const rejected = await catalog.loadRejections(this.pool, tenantId, table);
    return { registered, aliases, rejected, live: null };
  }

  // One question for the whole batch. Ingestion does not wait on the model beyond AI_TIMEOUT_MS: when it cannot
  // answer, the dictionary decides what it can and the other fields become columns now (their values land).
  private async askModel(tenantId: string, table: string, batch: ObservedBatch, live: TableState['live']): Promise<AskedModel | undefined> {
    const question = modelQuestion(await this.stateBeforeLock(tenantId, table, live), batch);
    if (question === null) return undefined;
    const outcome =
      question.candidates.length === 0
        ? { decisions: [], unavailable: null }
        : this.matcher === null
          ? { decisions: [], unavailable: 'no model' }
          : await this.matcher.decide(tenantId, table, question.fields, question.candidates);
    const answer = new Map<string, AliasDecision>();
    for (const decision of outcome.decisions) if (!answer.has(decision.field)) answer.set(decision.field, decision);
    return {
      fields: new Set(question.fields.map((f) => f.name)),
      verdict: { answer: outcome.unavailable === null ? answer : 'unavailable', offered: new Set(question.candidates.map((c) => c.logical)) },
    };
  }

  private async applyToWarehouse(ref: TableSchema['ref'], plan: EvolutionPlan): Promise<void> {
    for (const step of plan.warehouse) {
      switch (step.kind) {
        case 'create_table':
          await this.warehouse.createTable(ref, step.columns, { provenance: step.provenance });
          break;
        case 'ensure_metadata':
          await this.warehouse.ensureMetadataColumns(ref, step.present, { provenance: step.provenance });
          break;
        case 'change':
          await this.warehouse.applyChange(ref, step.change);
          break;
        default:
          assertNever(step);
      }
    }
  }
}

/** Writes the plan to the catalog inside the locked transaction; returns the table's version after it. */
async function record(
  client: pg.PoolClient,
  tenantId: string,
  table: string,
  ref: TableSchema['ref'],
  plan: EvolutionPlan,
  messageId: string,
): Promise<number> {
  if (!plan.exists) await catalog.registerTable(client, tenantId, table, ref);
  const version =
    plan.history === null
      ? ((await catalog.schemaVersion(client, tenantId, table)) ?? 0)
      : await catalog.bumpVersion(client, tenantId, table, plan.history, messageId);
  await catalog.insertColumns(client, tenantId, table, plan.columns, messageId, version);
  for (const { logical, to } of plan.widened) await catalog.setColumnType(client, tenantId, table, logical, to);
  for (const { column, source } of plan.lateFlags) await catalog.flagPii(client, tenantId, table, column, source);
  await catalog.insertAliases(client, tenantId, table, plan.aliases);
  for (const job of plan.jobs) await catalog.enqueueJob(client, tenantId, table, job);
  return version;
}

/**
 * Whether the batch needs anything the cached schema lacks (a column, an alias, a widening). A table at its column
 * cap gives new fields nothing, so they do not send every batch through the locked evolution; nor does a field the
 * table's contract already refused at this version, nor a widening under `freeze` or `quarantine` (never made).
 */
function needsEvolution(schema: TableSchema, batch: ObservedBatch): boolean {
  const governed = (schema.contract ?? 'evolve') !== 'evolve';
  if (schema.columns.size < MAX_COLUMNS_PER_TABLE) {
    for (const fields of batch.messages) {
      for (const [field, type] of fields) {
        if (type !== null && columnFor(schema, field) === undefined && !(governed && schema.refused?.has(field) === true)) return true;
      }
    }
  }
  return !governed && planChanges([...schema.columns.values()], batch.fields, schema.aliases).changes.length > 0;
}

/** The batch's fields left with no column by a contract other than `evolve`: the next batch need not ask again. */
function refusedFields(schema: TableSchema, batch: ObservedBatch, contract: SchemaContract): ReadonlySet<string> {
  if (contract === 'evolve') return new Set();
  return new Set([...batch.fields].filter(([field, { type }]) => type !== null && columnFor(schema, field) === undefined).map(([field]) => field));
}
