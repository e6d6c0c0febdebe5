// `boitata audit list`: the operator audit trail (boitata_audit), newest first, filtered by tenant, action and time.
import type pg from 'pg';
import { optionalInt, UsageError, type Values } from './arguments.ts';
import { table, type Output } from './output.ts';
import { parseInstant } from './redrive-command.ts';
import { unknownCommand } from './usage.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  via: string;
  action: string;
  tenant_id: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  tenant?: string | undefined;
  /** `key` finds `key.create`, `key.rotate`, …; `key.rotate` only that one */
  action?: string | undefined;
  /** ISO time: entries at or after it */
  since?: string | undefined;
  limit: number;
}

export async function listAudit(db: Pick<pg.ClientBase, 'query'>, filter: AuditFilter): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT id::text, at, actor, via, action, tenant_id, details
       FROM boitata_audit
      WHERE ($1::text IS NULL OR tenant_id = $1)
        AND ($2::text IS NULL OR action = $2 OR starts_with(action, $2 || '.'))
        AND ($3::timestamptz IS NULL OR at >= $3)
      ORDER BY at DESC, id DESC
      LIMIT $4`,
    [filter.tenant ?? null, filter.action ?? null, filter.since ?? null, filter.limit],
  );
  return rows;
}

/** `audit list [--tenant T] [--action A] [--since WHEN] [--limit N]`. */
export async function runAuditCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  if (command !== 'audit list') throw unknownCommand(command);
  if (rest.length > 0) throw new UsageError(`audit list takes no arguments (got ${JSON.stringify(rest[0])}): filter with --tenant, --action, --since, --limit`);
  const limit = optionalInt(values.limit, '--limit') ?? DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be between 1 and ${MAX_LIMIT}`);
  const action = values.action?.trim();
  if (action !== undefined && !/^[a-z_]+(\.[a-z_]+)*$/.test(action)) {
    throw new UsageError('--action is an action such as connection.create, key.rotate or tenant.delete (or its first part: key, connection, …)');
  }
  const entries = await listAudit(db, {
    tenant: values.tenant,
    action,
    since: values.since === undefined ? undefined : parseInstant(values.since, '--since', new Date()),
    limit,
  });
  return out.print(entries, () =>
    table(
      entries.map((entry) => ({ ...entry, tenant_id: entry.tenant_id ?? '-', details: JSON.stringify(entry.details) })),
      ['id', 'at', 'actor', 'via', 'action', 'tenant_id', 'details'],
    ),
  );
}
