// The push and webhook bodies as zod contracts: what the edge checks a body's shape with (shared/push-format.ts,
// the webhook route) and what the OpenAPI document shows. Which shape a push body is read as is a rule of its own
// (PUSH_FORMAT_RULES): it depends on the request's table, so no one schema can decide it.
import { z } from 'zod';
import { MAX_FIELDS_PER_ROW, MAX_ROWS_PER_MESSAGE, MAX_TABLES_PER_MESSAGE } from '../ingest-limits.ts';
import { TABLE_NAME_PATTERN, TABLE_NAME_RULE } from '../table-name.ts';
import { describeType } from './json-value.ts';

const count = (n: number) => n.toLocaleString('en-US');

export const tableNameSchema = z
  .string()
  .regex(TABLE_NAME_PATTERN, TABLE_NAME_RULE)
  .describe(`${TABLE_NAME_RULE[0]!.toUpperCase()}${TABLE_NAME_RULE.slice(1)}.`);

/**
 * One row. `z.object({})` accepts every object without copying its fields: a loose object or a record copies every
 * field of every row, 2-5 times the CPU on a 1 MiB body (measured in Node). Only the verdict is used, never the output.
 */
export const rowSchema = z
  .object({}, { error: (issue) => `a row must be an object, got ${describeType(issue.input)}` })
  .describe(
    `One row: a JSON object with at least one field. Nested objects are kept whole and flattened by the processor (\`a.b\`); ` +
      `at most ${count(MAX_FIELDS_PER_ROW)} fields once flattened (an array or \`{}\` counts one).`,
  );

/**
 * No `.max()`: the row cap is the message caps' (shared/message-caps.ts), which count every table of a message together
 * and answer with their own code; and zod checks an array's length before its items, so a cap here would hide them.
 */
export const rowsSchema = z
  .array(rowSchema)
  .min(1, 'the array is empty')
  .describe(`Rows: a non-empty array of objects; at most ${count(MAX_ROWS_PER_MESSAGE)} rows in one message, every table counted.`);

export const envelopeSchema = z
  .strictObject({
    table: tableNameSchema.optional().describe("The table; absent, the request's ?table= / x-target-table, else the connection's default table."),
    rows: rowsSchema,
  })
  .describe('An envelope: "rows" and optionally "table", nothing else.');

export const multiTableSchema = z
  .record(tableNameSchema, rowsSchema)
  .describe(`A multi-table payload: every key a table name, every value its rows; at most ${MAX_TABLES_PER_MESSAGE} tables.`);

/** The push detection rules, in the order shared/push-format.ts applies them; the OpenAPI document prints them. */
export const PUSH_FORMAT_RULES = [
  'How a push body is read, in this order:',
  '1. A JSON **array** is a flat array of rows. Its table is `?table=` or `x-target-table` (both given and different: 400 `ambiguous_payload`), ' +
    "else the connection's default table, else 400 `ambiguous_payload`.",
  '2. An **object with a `rows` array** is an envelope, which holds only `table` and `rows`. Its table is its `table` field, or the explicit table, ' +
    'or the default table; a `table` and an explicit table that differ: 400 `ambiguous_payload`.',
  '3. Otherwise, with an **explicit table** (`?table=` or `x-target-table`), the object is **one row** of that table, even if its values are arrays.',
  `4. Otherwise, an object whose **every value is an array** is a **multi-table** payload keyed by table names (at most ${MAX_TABLES_PER_MESSAGE}: 400 \`too_many_tables\`).`,
  "5. Otherwise, the connection's default table, if it has one, receives the object as one row.",
  '6. Anything else is 400 `ambiguous_payload` saying which rule it missed. `{}`, `[]`, a table with no rows and a row with no fields are ' +
    '400 `empty_payload`; a row that is not an object is 400 `invalid_payload`; each names its `path`.',
  `Every format: at most ${count(MAX_ROWS_PER_MESSAGE)} rows per message, every table counted (400 \`too_many_rows\`), and ` +
    `${count(MAX_FIELDS_PER_ROW)} fields per row once flattened (400 \`too_many_fields\`).`,
].join('\n');

export const pushBodySchema = z.union([rowsSchema, envelopeSchema, multiTableSchema, rowSchema]).describe(PUSH_FORMAT_RULES);

export const webhookBodySchema = z
  .union([rowSchema, rowsSchema])
  .describe("One JSON object (one row) or a non-empty array of objects; the path's stream is the table.");

export const ITEM_KEY_RULE = 'a field name: 1-256 characters, no spaces';

/** X-Item-Key: the field rows are upserted on downstream. */
export const itemKeyHeaderSchema = z.string().regex(/^[^\s]{1,256}$/, ITEM_KEY_RULE);

/** The value every row must carry in its X-Item-Key field. */
export const itemKeyValueSchema = z.union([z.string(), z.number()]);
