// `boitata messages list|show`: find a tenant's messages (metadata only) and inspect one — its state, what it
// landed, its dead letters, and its payload with personal data replaced by the hashes the processor writes.
import type pg from 'pg';
import { MESSAGE_ID, MESSAGE_SEARCH_LIMITS, parseMessageSearch, type MessageSearchInput } from '../processor/queue/message-filter.ts';
import { searchMessages, showMessage, type MessageSummary, type TableCount } from '../processor/queue/message-search.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { table, type Output } from './output.ts';
import { loadCliPiiHasher } from './pii-hash-key.ts';
import { ProvisionError } from './provision-error.ts';
import { runRedrive } from './redrive-command.ts';
import { unknownCommand } from './usage.ts';

const FLAG: Record<keyof MessageSearchInput, string> = {
  tenant: '--tenant',
  status: '--status',
  table: '--table',
  since: '--since',
  until: '--until',
  idempotencyKey: '--idempotency-key',
  source: '--source',
  limit: '--limit',
  before: '--before',
};

/** `messages list`, `messages show`, `messages redrive`. */
export async function runMessageCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  switch (command) {
    case 'messages list':
      return listMessages(db, out, rest, values);
    case 'messages show':
      return showOneMessage(db, out, rest);
    case 'messages redrive':
      return runRedrive(db, out, values);
    default:
      throw unknownCommand(command);
  }
}

async function listMessages(db: pg.Pool, out: Output, rest: string[], values: Values): Promise<void> {
  if (rest.length > 0) throw new UsageError(`messages list takes no arguments (got ${JSON.stringify(rest[0])}): filter with --tenant, --status, --table, …`);
  const parsed = parseMessageSearch(
    {
      tenant: required(values.tenant, '--tenant'),
      status: values.status,
      table: values.table,
      since: values.since,
      until: values.until,
      idempotencyKey: values['idempotency-key'],
      source: values.source,
      limit: values.limit,
    },
    new Date(),
  );
  if (!parsed.ok) throw new UsageError(`${FLAG[parsed.field]}: ${parsed.message}`);
  const result = await searchMessages(db, parsed.search);
  if (result === null) throw new ProvisionError(`no tenant "${parsed.search.tenant}" (see tenants list)`);
  out.print(result, () => {
    const rows = result.messages.map((m) => ({ ...m, tables: tablesCell(m), credential: credentialCell(m), last_error: m.last_error?.slice(0, 80) ?? null }));
    const listed = table(rows, ['received_at', 'message_id', 'state', 'endpoint', 'tables', 'attempts', 'idempotency_key', 'credential', 'last_error']);
    const last = result.messages.at(-1);
    const more =
      result.more && last !== undefined
        ? `\nMore match: add --until ${last.received_at} for older ones, or raise --limit (at most ${MESSAGE_SEARCH_LIMITS.maxLimit}).`
        : '';
    return `${listed}\n${result.messages.length} message(s), newest first.${more}`;
  });
}

async function showOneMessage(db: pg.Pool, out: Output, rest: string[]): Promise<void> {
  const id = required(rest[0], 'message id');
  if (!MESSAGE_ID.test(id))
    throw new UsageError(`message ids are UUIDs, as the 202 receipt and messages list show them (got ${JSON.stringify(id.slice(0, 100))})`);
  const pii = await loadCliPiiHasher(db);
  const message = await showMessage(db, id.toLowerCase(), pii.hasher);
  if (message === null) {
    throw new ProvisionError(
      `no message ${id}: it was never received, or it landed more than QUEUE_RETENTION_HOURS ago (72 h by default) and the queue pruned it`,
    );
  }
  const { payload, ...metadata } = message;
  const shown =
    payload === null
      ? { ...metadata, payload: null }
      : { ...metadata, payload: payload.payload, pii_hashed_fields: payload.hashed, pii_hash: pii.hasher === null ? null : pii.keySource };
  // Sender text (field names, tables, keys) is printed through out.print, which escapes every control character.
  out.print(shown, () => {
    const lines = [describeMessage(metadata), ''];
    lines.push(
      metadata.dead_letters.length === 0
        ? 'Dead letters: none'
        : `Dead letters:\n${table(metadata.dead_letters as never, ['id', 'error_code', 'attempts', 'dead_at', 'replayed_at', 'reason'])}`,
    );
    if (payload?.opaque != null) {
      const { bytes, sha256, note } = payload.opaque;
      lines.push('', `Payload: an opaque body of ${bytes} bytes, SHA-256 ${sha256}.`, note);
    } else if (payload !== null && pii.hasher !== null) {
      const fields = payload.hashed.length === 0 ? 'no personal data found' : `hashed: ${payload.hashed.join(', ')}`;
      lines.push('', `Payload (personal data replaced by ${pii.keySource}; ${fields}):`, payload.text);
    }
    return lines.join('\n');
  });
  // Refused, not left out silently: a script must not take the metadata alone for the whole answer.
  if (pii.hasher === null) throw new ProvisionError(pii.reason);
}

function describeMessage(m: MessageSummary): string {
  const fields: Array<[string, string | number | null]> = [
    ['message', m.message_id],
    ['tenant', m.tenant_id],
    ['state', m.state],
    ['received', m.received_at],
    ['landed', m.landed_at],
    ['next attempt', m.state === 'queued' && m.available_at > m.received_at ? m.available_at : null],
    [
      'endpoint',
      `${m.endpoint} (${m.payload_format})${m.target_table === null ? '' : ` → ${m.target_table}`}${m.item_key === null ? '' : `, item key field ${m.item_key}`}`,
    ],
    ['sent by', credentialCell(m)],
    ['provider', m.provider === null ? null : [m.provider.name, m.provider.event_type, m.provider.delivery_id].filter((p) => p !== null).join(' · ')],
    ['idempotency key', m.idempotency_key],
    ['accepted', countsText(m.accepted)],
    ['landed rows', m.landed === null ? null : countsText(m.landed)],
    ['attempts', `${m.attempts} (${m.failures} failed)`],
    ['payload bytes', m.payload_bytes],
    ['last error', m.last_error],
    ['re-drives', `${m.redrives}${m.redrive_pending ? ' (one pending)' : ''}`],
  ];
  return fields
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name.padEnd(17)}${value}`)
    .join('\n');
}

const countsText = (counts: TableCount[]) => (counts.length === 0 ? '-' : counts.map((t) => `${t.table}: ${t.rows} row(s)`).join(', '));

/** "orders 3→3" once landed, "orders 3" before. */
function tablesCell(m: MessageSummary): string {
  const landed = new Map((m.landed ?? []).map((t) => [t.table.toLowerCase(), t.rows]));
  return m.accepted.map((t) => `${t.table} ${t.rows}${m.landed === null ? '' : `→${landed.get(t.table.toLowerCase()) ?? 0}`}`).join(', ') || '-';
}

function credentialCell(m: MessageSummary): string {
  const { kind, id, name } = m.credential;
  switch (kind) {
    case 'connection':
      return `connection ${name ?? id}`;
    case 'source_key':
      return `source ${name ?? id}`;
    case 'metrics_key':
      return `metrics key ${id.slice(0, 8)}`;
  }
}
