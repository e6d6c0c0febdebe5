// The dry run's input, pure: a push body read as the edge reads it (formats, table name, message caps) and as the
// processor reads its queue message (normalize, flatten, observe), for one tenant's table.
import { BoitataError } from '../../shared/errors.ts';
import { detectPushPayload, type PayloadFormat } from '../../shared/push-format.ts';
import { flattenRow, type FlatRow } from '../normalize/flatten-row.ts';
import { normalizeMessage } from '../normalize/normalize-message.ts';
import { UnloadableMessageError, type StoredMessage } from '../queue/stored-message.ts';
import { observeBatch, type ObservedBatch } from '../schema/observe-batch.ts';

/** A request the dry run refuses: what to fix (exit 2 in the CLI, 400 on the admin API). */
export class PlanInputError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PlanInputError';
    this.code = code;
  }
}

export interface PlannedPayload {
  /** the synthetic queue message the processor would claim (endpoint push, the table as the target) */
  message: StoredMessage;
  format: PayloadFormat;
  /** the table as the warehouse names it (lowercased) */
  table: string;
  rows: FlatRow[];
  batch: ObservedBatch;
}

/** The receipt time of the synthetic message: a fixed one, so a plan of the same payload is the same plan. */
const PLANNED_AT = '1970-01-01T00:00:00Z';

export function readPlanPayload(tenantId: string, table: string, body: unknown): PlannedPayload {
  let detected;
  try {
    detected = detectPushPayload(body, table);
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    const problems = error.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new PlanInputError(error.code, `the edge would refuse this payload: ${error.message}${problems === '' ? '' : ` (${problems})`}`);
  }
  const message: StoredMessage = {
    queueId: '0',
    messageId: '00000000-0000-0000-0000-000000000000',
    tenantId,
    endpoint: 'push',
    payloadFormat: detected.format,
    targetTable: table,
    itemKey: null,
    payload: body,
    receivedAt: PLANNED_AT,
    attempts: 1,
    failures: 0,
    redrive: false,
    erased: false,
    credential: 'plan:dry-run',
    sourceId: null,
    provenance: null,
  };
  let tables;
  try {
    tables = normalizeMessage(message);
  } catch (error) {
    if (!(error instanceof UnloadableMessageError)) throw error;
    throw new PlanInputError(error.code, `the processor could not load this payload: ${error.message}`);
  }
  // With an explicit table a push body is always one table's rows (detectPushPayload never reads it as multi-table).
  const only = tables[0]!;
  const rows = only.rows.map(flattenRow);
  return { message, format: detected.format, table: only.table, rows, batch: observeBatch([fieldsOf(rows)]) };
}

/** The message's fields with their non-null values, as the loader gathers them for the registry. */
function fieldsOf(rows: readonly FlatRow[]): Map<string, unknown[]> {
  const fields = new Map<string, unknown[]>();
  for (const row of rows) {
    for (const [field, value] of row.fields) {
      let values = fields.get(field);
      if (values === undefined) fields.set(field, (values = []));
      if (value !== null) values.push(value);
    }
  }
  return fields;
}
