// The operator audit trail (boitata_audit): who did what, when, through which door. Entries never hold a secret
// nor a personal value (an erasure's match keys are its hashes).
import { userInfo } from 'node:os';
import type pg from 'pg';

export type AuditVia = 'cli' | 'admin_api';

export interface AuditEntry {
  actor: string;
  via: AuditVia;
  /** dotted verb, e.g. `connection.create`, `key.rotate`, `dead_letter.replay`, `policy.set`, `erasure`, `tenant.delete` */
  action: string;
  tenantId: string | null;
  /** ids, counts and settings; never a secret nor plaintext personal data */
  details?: Record<string, unknown>;
}

/** The longest actor text kept (the column's check). */
export const MAX_ACTOR_LENGTH = 500;

export async function recordAudit(db: Pick<pg.ClientBase, 'query'>, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO boitata_audit (actor, via, action, tenant_id, details) VALUES ($1, $2, $3, $4, $5)', [
    entry.actor.slice(0, MAX_ACTOR_LENGTH),
    entry.via,
    entry.action,
    entry.tenantId,
    JSON.stringify(entry.details ?? {}),
  ]);
}

/** Who a CLI command acts as: `--requested-by` when given, else the OS user running it. */
export function cliActor(requestedBy: string | undefined): string {
  const given = requestedBy?.trim();
  if (given !== undefined && given !== '') return given;
  try {
    return `os:${userInfo().username}`;
  } catch {
    return 'os:unknown';
  }
}
