// The dry run's shell: reads what the registry would read — the catalog's columns, aliases and undone aliases, the
// live warehouse table, the table's contract, the model's cached answer — without the table's lock and without
// writing anything; then the pure core plans. Only --ask-model writes (the matcher's answer cache and usage).
import type pg from 'pg';
import type { AiSchemaMatcher } from '../ai/schema-matcher.ts';
import * as catalog from '../schema/catalog-sql.ts';
import { modelQuestion, type TableState } from '../schema/decide-evolution.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { AliasDecision } from '../schema/resolve-fields.ts';
import { WarehouseError, type Warehouse } from '../warehouse/warehouse.ts';
import { readPlanPayload, PlanInputError, type PlannedPayload } from './plan-payload.ts';
import { buildPlanReport, type ModelSituation, type PlanReport } from './plan-report.ts';
import { effectivePolicy } from './policies.ts';

export interface PlanDeps {
  pool: pg.Pool;
  warehouse: Warehouse;
  hasher: PiiHasher;
  matcher: AiSchemaMatcher | null;
}

export interface PlanRequest {
  tenant: string;
  table: string;
  /** the push body, parsed */
  payload: unknown;
  /** ask the model (spends budget; writes its answer cache and usage) */
  askModel: boolean;
}

export async function planPayload(deps: PlanDeps, request: PlanRequest): Promise<PlanReport> {
  await assertTenant(deps.pool, request.tenant);
  const payload = readPlanPayload(request.tenant, request.table, request.payload);
  const state = await readStateWithoutLock(deps, request.tenant, payload.table);
  const policy = await effectivePolicy(deps.pool, request.tenant, payload.table);
  const model = await modelSituation(deps.matcher, request.tenant, payload, state, request.askModel);
  const ref = deps.warehouse.tableRef(request.tenant, payload.table);
  return buildPlanReport({ payload, state, policy, model, ref, hasher: deps.hasher });
}

async function assertTenant(pool: pg.Pool, tenant: string): Promise<void> {
  const { rows } = await pool.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenant]);
  if (rows.length === 0) throw new PlanInputError('unknown_tenant', `no tenant ${JSON.stringify(tenant)} (boitata tenants list shows them)`);
}

/**
 * What SchemaRegistry.readState reads, outside any transaction and without the lock: a dry run must never wait on
 * (nor hold up) a real evolution. A DuckDB file nothing has been loaded into yet has no table.
 */
export async function readStateWithoutLock(deps: Pick<PlanDeps, 'pool' | 'warehouse'>, tenant: string, table: string): Promise<TableState> {
  const registered = await catalog.loadColumns(deps.pool, tenant, table);
  const aliases = await catalog.loadAliases(deps.pool, tenant, table);
  const rejected = await catalog.loadRejections(deps.pool, tenant, table);
  let live: TableState['live'];
  try {
    live = await deps.warehouse.describeTable(deps.warehouse.tableRef(tenant, table));
  } catch (error) {
    if (!(error instanceof WarehouseError && error.errorName === 'WAREHOUSE_MISSING')) throw error;
    live = null;
  }
  return { registered, aliases, rejected, live };
}

/** What the processor would get from the model for this batch's question, found without asking unless told to. */
async function modelSituation(
  matcher: AiSchemaMatcher | null,
  tenant: string,
  payload: PlannedPayload,
  state: TableState,
  askModel: boolean,
): Promise<ModelSituation> {
  const question = modelQuestion(state, payload.batch);
  if (question === null) return { kind: 'no_question' };
  if (question.candidates.length === 0) return { kind: 'no_candidates' };
  const model = matcher?.model ?? null;
  if (matcher === null || model === null) return { kind: 'unavailable', reason: 'no model configured (AI_MODEL)', asked: false };
  if (askModel) {
    const outcome = await matcher.decide(tenant, payload.table, question.fields, question.candidates);
    if (outcome.unavailable !== null) return { kind: 'unavailable', reason: outcome.unavailable, asked: true };
    return { kind: 'asked', model, decisions: firstPerField(outcome.decisions) };
  }
  const cached = await matcher.cachedAnswer(tenant, payload.table, question.fields, question.candidates);
  if (cached !== null) return { kind: 'cached', model: cached.model, answers: cached.answers, decisions: firstPerField(cached.decisions) };
  if (await matcher.budgetSpent(tenant)) return { kind: 'unavailable', reason: "the tenant's model budget for today is spent", asked: false };
  return { kind: 'not_asked', model };
}

function firstPerField(decisions: readonly AliasDecision[]): AliasDecision[] {
  const seen = new Set<string>();
  return decisions.filter((d) => !seen.has(d.field) && (seen.add(d.field), true));
}
