// The push format rules, table-driven: which format a body is read as, and which bodies are refused.
import { describe, expect, it } from 'vitest';
import { BoitataError } from '../../shared/errors.ts';
import { detectPushPayload } from '../../shared/push-format.ts';

describe('detectPushPayload', () => {
  const accepted: Array<[string, unknown, string | undefined, string | undefined, string, Array<[string, number]>]> = [
    ['flat array + explicit table', [{ a: 1 }, { a: 2 }], 't', undefined, 'array', [['t', 2]]],
    ['flat array + default table', [{ a: 1 }], undefined, 'd', 'array', [['d', 1]]],
    ['explicit table wins over default', [{ a: 1 }], 't', 'd', 'array', [['t', 1]]],
    ['envelope', { table: 'e', rows: [{ a: 1 }] }, undefined, undefined, 'envelope', [['e', 1]]],
    ['envelope without table + explicit', { rows: [{ a: 1 }] }, 't', undefined, 'envelope', [['t', 1]]],
    ['envelope without table + default', { rows: [{ a: 1 }] }, undefined, 'd', 'envelope', [['d', 1]]],
    [
      'multi-table',
      { a: [{ x: 1 }], b: [{ y: 1 }, { y: 2 }] },
      undefined,
      undefined,
      'multi_table',
      [
        ['a', 1],
        ['b', 2],
      ],
    ],
    ['multi-table even with a default table', { a: [{ x: 1 }] }, undefined, 'd', 'multi_table', [['a', 1]]],
    ['object + explicit table', { id: 1, tags: ['x'] }, 't', undefined, 'object', [['t', 1]]],
    ['object + default table', { id: 1, name: 'n' }, undefined, 'd', 'object', [['d', 1]]],
  ];
  for (const [name, body, explicit, fallback, format, tables] of accepted) {
    it(`reads ${name} as ${format}`, () => {
      const detected = detectPushPayload(body, explicit, fallback);
      expect(detected.format).toBe(format);
      expect(detected.tables.map((t) => [t.table, t.rows.length])).toEqual(tables);
    });
  }

  const refused: Array<[string, unknown, string | undefined, string]> = [
    ['flat array without table', [{ a: 1 }], undefined, 'ambiguous_payload'],
    ['object with mixed values and no table', { id: 1, tags: [] }, undefined, 'ambiguous_payload'],
    ['empty object', {}, undefined, 'empty_payload'],
    ['empty array', [], 't', 'empty_payload'],
    ['string body', 'x', 't', 'invalid_payload'],
    ['null body', null, 't', 'invalid_payload'],
    ['array of arrays', [[1]], 't', 'invalid_payload'],
    ['bad explicit table', [{ a: 1 }], '1table', 'invalid_payload'],
    ['envelope with a non-string table', { table: 5, rows: [{ a: 1 }] }, undefined, 'invalid_payload'],
    ['multi-table with empty list', { a: [] }, undefined, 'empty_payload'],
  ];
  for (const [name, body, explicit, code] of refused) {
    it(`refuses ${name} with ${code}`, () => {
      let thrown: unknown;
      try {
        detectPushPayload(body, explicit);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BoitataError);
      expect((thrown as BoitataError).code).toBe(code);
      expect((thrown as BoitataError).status).toBe(400);
    });
  }
});
