// `boitata dead-letters|columns|aliases …`: what the processor keeps in Postgres, read and corrected by the
// operator — messages it could never load (listed, put back in the queue) and the tables' column catalog.
import type pg from 'pg';
import { listDeadLetters, replayDeadLetters } from '../processor/queue/dead-letters.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { recordCliAudit } from './cli-audit.ts';
import { listAliases, listColumns, removeAlias } from './catalog.ts';
import { table, type Output } from './output.ts';
import { unknownCommand } from './usage.ts';

/** `dead-letters list`, `dead-letters replay`. */
export async function runDeadLetterCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  switch (command) {
    case 'dead-letters list': {
      const dead = await listDeadLetters(db, { tenantId: values.tenant, includeReplayed: values.all });
      return out.print(dead, () => table(dead as never, ['id', 'tenant_id', 'message_id', 'error_code', 'attempts', 'dead_at', 'replayed_at', 'reason']));
    }
    case 'dead-letters replay': {
      if (rest.length === 0 && values.tenant === undefined) throw new UsageError("give dead letter ids, or --tenant T to replay all of a tenant's");
      if (rest.some((id) => !/^\d+$/.test(id))) throw new UsageError('dead letter ids are whole numbers (see dead-letters list)');
      // Which open dead letters this picks, by tenant, for the audit trail (read first: the replay closes them).
      const picked = await openDeadLettersByTenant(db, rest.length > 0 ? { ids: rest } : { tenantId: values.tenant! });
      const replayed = await replayDeadLetters(db, rest.length > 0 ? { ids: rest } : { tenantId: values.tenant! });
      for (const [tenantId, ids] of picked) {
        await recordCliAudit(db, values, 'dead_letter.replay', tenantId, { dead_letter_ids: ids, ...(rest.length > 0 ? {} : { all_of_tenant: true }) });
      }
      return out.print({ replayed }, () => `Replayed ${replayed} dead letter(s): back in the queue as pending.`);
    }
    default:
      throw unknownCommand(command);
  }
}

/** `columns list`, `aliases list`, `aliases remove`. */
export async function runCatalogCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  switch (command) {
    case 'columns list': {
      const columns = await listColumns(db, required(values.tenant, '--tenant'), required(values.table, '--table'));
      return out.print(columns, () =>
        table(columns.map((c) => ({ ...c, pii: c.pii ? `yes (${c.pii_source})` : 'no', tags: c.tags })) as never, [
          'column',
          'physical',
          'type',
          'pii',
          'aliases',
          'tags',
          'description',
        ]),
      );
    }
    case 'aliases list': {
      const aliases = await listAliases(db, required(values.tenant, '--tenant'), values.table);
      return out.print(aliases, () =>
        table(aliases.map((a) => ({ ...a, evidence: JSON.stringify(a.evidence) })) as never, [
          'table_name',
          'alias',
          'column_name',
          'decided_by',
          'evidence',
          'created_at',
        ]),
      );
    }
    case 'aliases remove': {
      const tenantId = required(values.tenant, '--tenant');
      const removed = await removeAlias(db, tenantId, required(values.table, '--table'), required(rest[0], 'alias'));
      await recordCliAudit(db, values, 'alias.remove', tenantId, {
        table: removed.table_name,
        alias: removed.alias,
        column: removed.column_name,
        decided_by: removed.decided_by,
      });
      return out.print(
        removed,
        () => `Removed alias ${removed.alias} → ${removed.column_name}; from the next batch on, "${removed.alias}" gets its own column.`,
      );
    }
    default:
      throw unknownCommand(command);
  }
}

/** The open dead letters a replay would pick, grouped by tenant. */
async function openDeadLettersByTenant(db: pg.Pool, selector: { ids: string[] } | { tenantId: string }): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ tenant_id: string; ids: string[] }>(
    `SELECT tenant_id, array_agg(id::text ORDER BY id) AS ids FROM boitata_dead_letters
      WHERE replayed_at IS NULL AND ${'ids' in selector ? 'id = ANY($1::bigint[])' : 'tenant_id = $1'}
      GROUP BY tenant_id ORDER BY tenant_id`,
    ['ids' in selector ? selector.ids : selector.tenantId],
  );
  return new Map(rows.map((row) => [row.tenant_id, row.ids]));
}
