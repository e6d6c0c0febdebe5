// How a CLI command records what it did in the audit trail: as `--requested-by`, else the OS user, through the CLI.
import type pg from 'pg';
import { cliActor, recordAudit } from '../processor/governance/audit.ts';
import type { Values } from './arguments.ts';

/**
 * `details`: ids, counts and settings, never a token, key, signing secret or personal value. Called once the action
 * succeeded, so a refused command leaves no entry.
 */
export function recordCliAudit(
  db: Pick<pg.ClientBase, 'query'>,
  values: Pick<Values, 'requested-by'>,
  action: string,
  tenantId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  return recordAudit(db, { actor: cliActor(values['requested-by']), via: 'cli', action, tenantId, details });
}
