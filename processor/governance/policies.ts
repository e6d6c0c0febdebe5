// Per-table policies and the tenant's defaults (boitata_policies): the schema contract and the retention. A table's
// own setting wins, then the tenant's default (table_name = ''), then the built-in (evolve, keep for ever). A NULL
// column has no setting of its own (inherit); retention 0 is "keep for ever", set explicitly, so it overrides.
import type pg from 'pg';

export type SchemaContract = 'evolve' | 'freeze' | 'quarantine';

export const SCHEMA_CONTRACTS: readonly SchemaContract[] = ['evolve', 'freeze', 'quarantine'];

/** The shortest retention: maintenance runs hourly by default, and a shorter one would delete rows still landing. */
export const MIN_RETENTION_SECONDS = 3_600;

/** The stored retention of `none`: rows kept for ever, by a setting of its own (NULL would inherit). */
export const KEEP_FOREVER = 0;

/** The longest retention accepted (100 years): past it, "keep for ever" is what is meant (`--retention none`). */
export const MAX_RETENTION_SECONDS = 100 * 365 * 86_400;

export interface EffectivePolicy {
  contract: SchemaContract;
  /** null: rows are kept for ever */
  retentionSeconds: number | null;
  /** where each setting came from */
  contractFrom: 'table' | 'tenant' | 'default';
  retentionFrom: 'table' | 'tenant' | 'default';
}

export interface PolicyRow {
  tenantId: string;
  /** '' for the tenant's default */
  table: string;
  /** null: inherit */
  contract: SchemaContract | null;
  /** null: inherit; KEEP_FOREVER (0): keep for ever, overriding what it would inherit */
  retentionSeconds: number | null;
  updatedAt: Date;
  updatedBy: string;
}

type Db = Pick<pg.ClientBase, 'query'>;

/**
 * `90d`, `36h` → seconds; `none` → KEEP_FOREVER (0). Units are h and d only: retention is a matter of hours at
 * the least. Returns an error message for anything else.
 */
export function parseRetention(text: string): { ok: true; seconds: number | null } | { ok: false; message: string } {
  const value = text.trim().toLowerCase();
  if (value === 'none' || value === 'forever') return { ok: true, seconds: KEEP_FOREVER };
  const match = /^(\d{1,9})([hd])$/.exec(value);
  if (match === null) return { ok: false, message: `retention must be a number of hours or days such as 36h or 90d (or none), not ${JSON.stringify(text)}` };
  const seconds = Number(match[1]) * (match[2] === 'h' ? 3_600 : 86_400);
  if (seconds < MIN_RETENTION_SECONDS) return { ok: false, message: 'retention must be at least 1h' };
  if (seconds > MAX_RETENTION_SECONDS) return { ok: false, message: 'retention must be at most 36500d (use none to keep rows for ever)' };
  return { ok: true, seconds };
}

/** Seconds → `90d` / `36h`, as an operator wrote it; KEEP_FOREVER, or an effective null, → `none`. */
export function formatRetention(seconds: number | null): string {
  if (seconds === null || seconds === KEEP_FOREVER) return 'none';
  return seconds % 86_400 === 0 ? `${seconds / 86_400}d` : `${Math.round(seconds / 3_600)}h`;
}

export function isSchemaContract(value: string): value is SchemaContract {
  return (SCHEMA_CONTRACTS as readonly string[]).includes(value);
}

/** The table's effective policy (the table's row, else the tenant's default, else the built-in). */
export async function effectivePolicy(db: Db, tenantId: string, table: string): Promise<EffectivePolicy> {
  const { rows } = await db.query<{ table_name: string; contract: SchemaContract | null; retention_seconds: string | null }>(
    `SELECT table_name, contract, retention_seconds FROM boitata_policies WHERE tenant_id = $1 AND table_name IN ('', $2)`,
    [tenantId, table.toLowerCase()],
  );
  return resolvePolicy(rows.find((r) => r.table_name !== '') ?? null, rows.find((r) => r.table_name === '') ?? null);
}

type OwnSetting = { contract: SchemaContract | null; retention_seconds: string | number | null } | null;

/** Pure: a table's row and the tenant's default row → the effective policy. NULL inherits; retention 0 keeps for ever. */
export function resolvePolicy(own: OwnSetting, tenant: OwnSetting): EffectivePolicy {
  const contract = own?.contract ?? tenant?.contract ?? null;
  // `??` passes a 0 (keep for ever, set explicitly) through: only NULL inherits.
  const retention = own?.retention_seconds ?? tenant?.retention_seconds ?? null;
  const seconds = retention === null ? null : Number(retention);
  return {
    contract: contract ?? 'evolve',
    retentionSeconds: seconds === KEEP_FOREVER ? null : seconds,
    contractFrom: own?.contract != null ? 'table' : tenant?.contract != null ? 'tenant' : 'default',
    retentionFrom: own?.retention_seconds != null ? 'table' : tenant?.retention_seconds != null ? 'tenant' : 'default',
  };
}

/**
 * Sets a table's (or, with table '', the tenant's default) contract and/or retention; a field left undefined keeps
 * its value, null clears it (inherit), retention KEEP_FOREVER keeps for ever. Returns the row before and after (for the audit trail).
 */
export async function setPolicy(
  db: Db,
  tenantId: string,
  table: string,
  change: { contract?: SchemaContract | null; retentionSeconds?: number | null },
  updatedBy: string,
): Promise<{ before: PolicyRow | null; after: PolicyRow }> {
  const name = table.toLowerCase();
  const before = (await listPolicies(db, tenantId)).find((p) => p.table === name) ?? null;
  const contract = change.contract === undefined ? (before?.contract ?? null) : change.contract;
  const retention = change.retentionSeconds === undefined ? (before?.retentionSeconds ?? null) : change.retentionSeconds;
  const { rows } = await db.query<PolicyDbRow>(
    `INSERT INTO boitata_policies (tenant_id, table_name, contract, retention_seconds, updated_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, table_name) DO UPDATE SET contract = EXCLUDED.contract, retention_seconds = EXCLUDED.retention_seconds,
       updated_at = now(), updated_by = EXCLUDED.updated_by
     RETURNING tenant_id, table_name, contract, retention_seconds, updated_at, updated_by`,
    [tenantId, name, contract, retention, updatedBy],
  );
  return { before, after: toPolicyRow(rows[0]!) };
}

/** Every policy row of a tenant (its default first, then tables by name). */
export async function listPolicies(db: Db, tenantId: string): Promise<PolicyRow[]> {
  const { rows } = await db.query<PolicyDbRow>(
    `SELECT tenant_id, table_name, contract, retention_seconds, updated_at, updated_by FROM boitata_policies WHERE tenant_id = $1 ORDER BY table_name`,
    [tenantId],
  );
  return rows.map(toPolicyRow);
}

interface PolicyDbRow {
  tenant_id: string;
  table_name: string;
  contract: SchemaContract | null;
  retention_seconds: string | null;
  updated_at: Date;
  updated_by: string;
}

function toPolicyRow(row: PolicyDbRow): PolicyRow {
  return {
    tenantId: row.tenant_id,
    table: row.table_name,
    contract: row.contract,
    retentionSeconds: row.retention_seconds === null ? null : Number(row.retention_seconds),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}
