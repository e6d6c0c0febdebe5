// The push body contracts (shared/contracts/push-body.ts) as detectPushPayload uses them: each refusal word for word
// (the same as before the contracts, when the checks were written by hand), and every body it accepts is one the
// OpenAPI document's PushBody schema accepts.
import { describe, expect, it } from 'vitest';
import { pushBodySchema, webhookBodySchema } from '../../shared/contracts/push-body.ts';
import { BoitataError } from '../../shared/errors.ts';
import { detectPushPayload } from '../../shared/push-format.ts';

function refusal(body: unknown, explicitTable?: string): { code: string; message: string; problems: unknown } {
  try {
    detectPushPayload(body, explicitTable);
  } catch (error) {
    if (error instanceof BoitataError) return { code: error.code, message: error.message, problems: error.problems };
    throw error;
  }
  throw new Error('accepted');
}

const notObject = (path: string, type: string) => ({ path, message: `a row must be an object, got ${type}` });

describe('detectPushPayload refusals, from the contracts', () => {
  const cases: Array<[string, unknown, string | undefined, { code: string; message: string; problems: unknown }]> = [
    [
      'rows that are not objects, each by path',
      [null, 'x', [], { a: 1 }],
      't',
      {
        code: 'invalid_payload',
        message: 'Every row must be a JSON object.',
        problems: [notObject('[0]', 'null'), notObject('[1]', 'a string'), notObject('[2]', 'an array')],
      },
    ],
    [
      'an empty flat array',
      [],
      't',
      { code: 'empty_payload', message: 'There are no rows to ingest.', problems: [{ path: '$', message: 'the array is empty' }] },
    ],
    [
      'an envelope with fields beside "table" and "rows"',
      { table: 5, rows: [1], x: 1, y: 2 },
      undefined,
      {
        code: 'ambiguous_payload',
        message: 'An envelope holds only "table" and "rows".',
        problems: [
          { path: 'x', message: 'unexpected field beside "rows"' },
          { path: 'y', message: 'unexpected field beside "rows"' },
        ],
      },
    ],
    [
      'an envelope table that is not a string',
      { table: null, rows: [] },
      undefined,
      { code: 'invalid_payload', message: 'The envelope table must be a string.', problems: [{ path: 'table', message: 'expected a string, got null' }] },
    ],
    [
      'an envelope table that is not a table name, before its rows',
      { table: '1bad', rows: [] },
      undefined,
      { code: 'invalid_payload', message: 'Invalid table name "1bad".', problems: [{ path: 'table', message: expect.stringContaining('1-128 characters') }] },
    ],
    [
      'an envelope without rows',
      { table: 'e', rows: [] },
      undefined,
      { code: 'empty_payload', message: 'There are no rows to ingest.', problems: [{ path: 'rows', message: 'the array is empty' }] },
    ],
    [
      'an envelope row that is not an object',
      { rows: [{ a: 1 }, 7] },
      't',
      { code: 'invalid_payload', message: 'Every row must be a JSON object.', problems: [notObject('rows[1]', 'a number')] },
    ],
    [
      'multi-table keys that are not table names, all of them',
      { '1bad': [{}], ok: [], 'b c': [1] },
      undefined,
      {
        code: 'invalid_payload',
        message: 'A multi-table payload is keyed by table names.',
        problems: [
          { path: '["1bad"]', message: expect.stringContaining('1-128 characters') },
          { path: '["b c"]', message: expect.stringContaining('1-128 characters') },
        ],
      },
    ],
    [
      'the first multi-table table with a problem',
      { a: [{ x: 1 }, 3], b: [] },
      undefined,
      { code: 'invalid_payload', message: 'Every row must be a JSON object.', problems: [notObject('a[1]', 'a number')] },
    ],
    [
      'an empty multi-table table',
      { a: [], b: [5] },
      undefined,
      { code: 'empty_payload', message: 'There are no rows to ingest.', problems: [{ path: 'a', message: 'the array is empty' }] },
    ],
  ];
  for (const [name, body, table, expected] of cases) {
    it(name, () => expect(refusal(body, table)).toEqual(expected));
  }

  it('reports at most 20 rows that are not objects', () => {
    expect(
      refusal(
        Array.from({ length: 25 }, () => 7),
        't',
      ).problems,
    ).toHaveLength(20);
  });
});

describe('what detectPushPayload accepts, the PushBody schema of the document accepts', () => {
  const bodies: unknown[] = [
    [{ a: 1 }],
    { rows: [{ a: 1 }] },
    { table: 'e', rows: [{ a: 1 }, { b: [] }] },
    { a: [{ x: 1 }], b: [{ y: 2 }] },
    { id: 1, tags: ['x'] },
    { id: 1, name: 'n' },
    { a: [1] },
    { rows: 'not rows' },
  ];
  for (const body of bodies) {
    it(JSON.stringify(body), () => {
      const accepted = [() => detectPushPayload(body, 't'), () => detectPushPayload(body, undefined, 'd'), () => detectPushPayload(body, undefined)].some(
        (read) => {
          try {
            read();
            return true;
          } catch {
            return false;
          }
        },
      );
      expect(accepted).toBe(true);
      expect(pushBodySchema.safeParse(body).success).toBe(true);
    });
  }

  it('the webhook body is one object or a non-empty array of objects', () => {
    expect([{ a: 1 }, [{ a: 1 }], [], 5, [1]].map((body) => webhookBodySchema.safeParse(body).success)).toEqual([true, true, false, false, false]);
  });
});
