// Turns one stored queue message back into (table, rows), following the format the edge recorded. Pure.
import { assertNever } from '../../shared/assert-never.ts';
import { isJsonObject, type JsonObject } from '../../shared/push-format.ts';
import { isValidTableName } from '../../shared/table-name.ts';
import { UnloadableMessageError, type StoredMessage } from '../queue/stored-message.ts';

export interface MessageTable {
  /** logical table name, lowercased: the warehouse folds identifiers to lower case */
  table: string;
  rows: JsonObject[];
}

/** A message the processor can never load: it goes to the dead letters with this reason. */
export function normalizeMessage(message: StoredMessage): MessageTable[] {
  const { payload, payloadFormat, targetTable } = message;
  switch (payloadFormat) {
    case 'array':
      return [{ table: tableName(targetTable), rows: rowsOf(payload, 'the payload') }];
    case 'envelope': {
      if (!isJsonObject(payload)) throw malformed('an envelope must be an object');
      const table = targetTable ?? (typeof payload['table'] === 'string' ? payload['table'] : null);
      return [{ table: tableName(table), rows: rowsOf(payload['rows'], '"rows"') }];
    }
    case 'multi_table': {
      if (!isJsonObject(payload)) throw malformed('a multi-table payload must be an object');
      return Object.entries(payload).map(([table, rows]) => ({ table: tableName(table), rows: rowsOf(rows, `"${table}"`) }));
    }
    case 'object':
      if (!isJsonObject(payload)) throw malformed('a single-row payload must be an object');
      return [{ table: tableName(targetTable), rows: [payload] }];
    default:
      return assertNever(payloadFormat);
  }
}

function tableName(table: string | null): string {
  if (table === null || !isValidTableName(table)) throw malformed(`invalid or missing table name ${JSON.stringify(table)}`);
  return table.toLowerCase();
}

function rowsOf(value: unknown, where: string): JsonObject[] {
  if (!Array.isArray(value) || value.length === 0) throw malformed(`${where} must be a non-empty array of rows`);
  for (const row of value) if (!isJsonObject(row)) throw malformed(`${where} holds a row that is not an object`);
  return value as JsonObject[];
}

function malformed(detail: string): UnloadableMessageError {
  return new UnloadableMessageError('malformed_message', `The stored message does not match its recorded format: ${detail}.`);
}
