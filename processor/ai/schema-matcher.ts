// The AI schema matcher around the model client: each question asked once (answers kept in Postgres), a
// per-tenant daily budget, and a clear "unavailable" instead of waiting when the model is slow, down or unset.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { RegisteredColumn } from '../schema/table-schema.ts';
import type { AliasDecision } from '../schema/resolve-fields.ts';
import type { FieldAnswer, ModelClient } from './model-client.ts';

export interface MatcherSettings {
  threshold: number;
  sendSamples: boolean;
  callsPerTenantPerDay: number;
}

export interface MatchOutcome {
  decisions: AliasDecision[];
  /** why the model could not be asked (the fields become new columns), or null */
  unavailable: string | null;
}

export class AiSchemaMatcher {
  private readonly pool: pg.Pool;
  private readonly client: ModelClient | null;
  private readonly settings: MatcherSettings;

  constructor(pool: pg.Pool, client: ModelClient | null, settings: MatcherSettings) {
    this.pool = pool;
    this.client = client;
    this.settings = settings;
  }

  async decide(
    tenantId: string,
    table: string,
    fields: ReadonlyArray<{ name: string; type: string; samples: unknown[] }>,
    candidates: readonly RegisteredColumn[],
  ): Promise<MatchOutcome> {
    if (this.client === null) return { decisions: [], unavailable: 'no model configured (AI_MODEL)' };
    const { key, sortedFields, columns } = this.question(fields, candidates);
    const cached = await this.readAnswer(tenantId, table, key);
    let answers = cached?.answer;
    let model = cached?.model ?? this.client.model;
    if (answers === undefined) {
      // A call is counted only while the budget lasts (UTC days).
      const {
        rows: [usage],
      } = await this.pool.query<{ calls: number }>(
        `INSERT INTO boitata_model_usage (tenant_id, day, calls) SELECT $1, (now() AT TIME ZONE 'UTC')::date, 1 WHERE $2 > 0
         ON CONFLICT (tenant_id, day) DO UPDATE SET calls = boitata_model_usage.calls + 1 WHERE boitata_model_usage.calls < $2
         RETURNING calls`,
        [tenantId, this.settings.callsPerTenantPerDay],
      );
      if (usage === undefined) {
        return { decisions: [], unavailable: `the tenant's model budget (${this.settings.callsPerTenantPerDay} calls a day) is spent` };
      }
      try {
        answers = await this.client.matchFields(
          table,
          sortedFields.map((f) => ({ name: f.name, type: f.type, ...(this.settings.sendSamples ? { samples: f.samples.slice(0, 3) } : {}) })),
          columns,
        );
      } catch (error) {
        return { decisions: [], unavailable: `the model did not answer: ${(error as Error).message}` };
      }
      model = this.client.model;
      await this.pool.query(
        `INSERT INTO boitata_model_answers (tenant_id, table_name, question_key, answer, model) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [tenantId, table, key, JSON.stringify(answers), model],
      );
    }
    return { decisions: this.confident(answers, model), unavailable: null };
  }

  /**
   * The cached answer to this question, read only: no model call, no budget spent, nothing written (the dry run,
   * `boitata plan`). null: no model is configured, or the question was never answered.
   */
  async cachedAnswer(
    tenantId: string,
    table: string,
    fields: ReadonlyArray<{ name: string; type: string }>,
    candidates: readonly RegisteredColumn[],
  ): Promise<{ decisions: AliasDecision[]; answers: FieldAnswer[]; model: string } | null> {
    if (this.client === null) return null;
    const cached = await this.readAnswer(tenantId, table, this.question(fields, candidates).key);
    return cached === null ? null : { decisions: this.confident(cached.answer, cached.model), answers: cached.answer, model: cached.model };
  }

  /** Whether the tenant's calls for today (UTC) are spent, read only. */
  async budgetSpent(tenantId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ calls: number }>(
      `SELECT calls FROM boitata_model_usage WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [tenantId],
    );
    return this.settings.callsPerTenantPerDay <= 0 || (rows[0]?.calls ?? 0) >= this.settings.callsPerTenantPerDay;
  }

  /** The model's name, or null when none is configured. */
  get model(): string | null {
    return this.client?.model ?? null;
  }

  // Sorted: the same question is the same text (and the same cache key) whatever order the payload had.
  private question<F extends { name: string; type: string }>(fields: readonly F[], candidates: readonly RegisteredColumn[]) {
    const columns = candidates.map((c) => ({ name: c.logical, type: c.type })).sort((a, b) => (a.name < b.name ? -1 : 1));
    const sortedFields = [...fields].sort((a, b) => (a.name < b.name ? -1 : 1));
    const key = createHash('sha256')
      .update(
        JSON.stringify({
          model: this.client?.model,
          samples: this.settings.sendSamples,
          fields: sortedFields.map((f) => [f.name, f.type]),
          columns: columns.map((c) => [c.name, c.type]),
        }),
      )
      .digest('hex');
    return { key, sortedFields, columns };
  }

  private async readAnswer(tenantId: string, table: string, key: string): Promise<{ answer: FieldAnswer[]; model: string } | null> {
    const { rows } = await this.pool.query<{ answer: FieldAnswer[]; model: string }>(
      'SELECT answer, model FROM boitata_model_answers WHERE tenant_id = $1 AND table_name = $2 AND question_key = $3',
      [tenantId, table, key],
    );
    return rows[0] ?? null;
  }

  private confident(answers: readonly FieldAnswer[], model: string): AliasDecision[] {
    return answers
      .filter((a) => a.column !== null && a.confidence >= this.settings.threshold)
      .map((a) => ({ field: a.field, column: a.column!, decidedBy: 'model' as const, evidence: { model, confidence: a.confidence } }));
  }
}
