// Pure: the offline field resolution (aliases, full coverage, typos, dictionary, per message in queue order, the
// column cap) and deterministic PII detection.
import { describe, expect, it } from 'vitest';
import { detectPii, luhn } from '../../../processor/schema/pii-detect.ts';
import levenshtein from 'js-levenshtein';
import { resolveFields } from '../../../processor/schema/resolve-fields.ts';
import { boundedDistance, typoCandidate } from '../../../processor/schema/typo-match.ts';
import type { InferredType } from '../../../processor/schema/column-types.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';

const columns: RegisteredColumn[] = [
  { logical: 'id', physical: 'id', type: 'bigint' },
  { logical: 'phone', physical: 'phone', type: 'varchar' },
  { logical: 'email', physical: 'email', type: 'varchar' },
  { logical: 'age', physical: 'age', type: 'bigint' },
  { logical: 'lat', physical: 'lat', type: 'double' },
];
const fields = (entries: Array<[string, InferredType | null]>) => new Map(entries);

describe('resolveFields: the rules for one payload', () => {
  it('maps a typo onto the unfilled column it misspells, with its distance', () => {
    const plan = resolveFields({
      columns,
      aliases: new Map(),
      fields: fields([
        ['id', 'bigint'],
        ['phnoe', 'varchar'],
        ['email', 'varchar'],
      ]),
    });
    expect(plan.create).toEqual([{ field: 'phnoe', column: 'phone', decidedBy: 'typo', evidence: { distance: 2 } }]);
    expect(plan.forModel).toEqual([]);
  });

  it('applies known aliases first', () => {
    const plan = resolveFields({ columns, aliases: new Map([['celular', 'phone']]), fields: fields([['celular', 'varchar']]) });
    expect([...plan.applied]).toEqual([['celular', 'phone']]);
    expect(plan).toMatchObject({ reason: 'nothing_new', create: [], forModel: [], pastCap: [] });
  });

  it('full coverage: every registered column present → the extra fields are new columns, no matching at all', () => {
    const plan = resolveFields({
      columns,
      aliases: new Map(),
      fields: fields([
        ['id', 'bigint'],
        ['phone', 'varchar'],
        ['email', 'varchar'],
        ['age', 'bigint'],
        ['lat', 'double'],
        ['phnoe', 'varchar'],
      ]),
    });
    expect(plan).toMatchObject({ reason: 'full_coverage', newColumns: ['phnoe'], create: [], forModel: [] });
  });

  it('never maps onto a column the payload fills itself', () => {
    const plan = resolveFields({
      columns,
      aliases: new Map(),
      fields: fields([
        ['id', 'bigint'],
        ['phone', 'varchar'],
        ['phnoe', 'varchar'],
      ]),
    });
    expect(plan.create).toEqual([]);
    expect(plan.forModel).toEqual(['phnoe']);
    expect(plan.candidates.map((c) => c.logical)).toEqual(['email']); // unfilled and able to hold text
  });

  it.each([
    ['ip', 'varchar', 'id', 'too short for distance 1'],
    ['lon', 'double', 'lat', 'too short for distance 2'],
    ['agee', 'varchar', 'age', 'a text value cannot go into a bigint column'],
  ] as const)('never merges %s (%s) into %s: %s', (field, type, _column, _why) => {
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([[field, type]]) });
    expect(plan.create).toEqual([]);
    expect(plan.forModel).toEqual([field]);
  });

  it('treats a field that differs only in case as the same column, and never proposes a pair an operator undid', () => {
    expect(resolveFields({ columns, aliases: new Map(), fields: fields([['Phone', 'varchar']]) }).create).toEqual([
      { field: 'Phone', column: 'phone', decidedBy: 'typo', evidence: { distance: 0 } },
    ]);
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([['phnoe', 'varchar']]), rejected: new Set(['phnoe\u0000phone']) });
    expect(plan.create).toEqual([]);
    expect(plan.forModel).toEqual(['phnoe']);
  });

  it('gives a column to one field of a payload only: two spellings of phone in one payload are not both aliased', () => {
    const plan = resolveFields({
      columns,
      aliases: new Map(),
      fields: fields([
        ['phnoe', 'varchar'],
        ['Phone', 'varchar'],
      ]),
    });
    expect(plan.create).toEqual([{ field: 'Phone', column: 'phone', decidedBy: 'typo', evidence: { distance: 0 } }]);
    expect(plan.forModel).toEqual(['phnoe']);
  });

  it('refuses a tie between two equally close columns', () => {
    const twins: RegisteredColumn[] = [
      { logical: 'code_a', physical: 'code_a', type: 'varchar' },
      { logical: 'code_b', physical: 'code_b', type: 'varchar' },
    ];
    expect(typoCandidate('code_c', 'varchar', twins)).toBeNull();
    expect(typoCandidate('code_aa', 'varchar', twins)).toEqual({ column: 'code_a', distance: 1 });
  });

  it('maps a dictionary synonym (celular → phone, correo → email) at no cost when 1 or 2 fields are new', () => {
    const plan = resolveFields({
      columns,
      aliases: new Map(),
      fields: fields([
        ['celular', 'varchar'],
        ['correo', 'varchar'],
      ]),
    });
    expect(plan.create).toEqual([
      { field: 'celular', column: 'phone', decidedBy: 'dictionary', evidence: { group: 'phone' } },
      { field: 'correo', column: 'email', decidedBy: 'dictionary', evidence: { group: 'email' } },
    ]);
  });

  it('sends every new field to the model when more than 2 are new; the dictionary is only its fallback', () => {
    const plan = resolveFields({
      columns,
      aliases: new Map(),
      fields: fields([
        ['celular', 'varchar'],
        ['birth_place', 'varchar'],
        ['hobby', 'varchar'],
        ['phnoe', 'varchar'],
      ]),
    });
    expect(plan.create).toEqual([]);
    expect(plan.forModel).toEqual(['birth_place', 'celular', 'hobby', 'phnoe']);
    expect(plan.dictionaryFallback).toEqual([{ field: 'celular', column: 'phone', decidedBy: 'dictionary', evidence: { group: 'phone' } }]);
  });
});

// Issue 10: against {id, name}, `NAME` was aliased to `name` alone but became a column `name_2` when another
// message of the same batch carried `name` — the payload rules were applied to the batch's union of fields. They
// apply to each message, in queue order, each seeing what the previous ones decided.
describe('the column cap bounds resolution', () => {
  const many = (count: number, prefix = 'f'): RegisteredColumn[] =>
    Array.from({ length: count }, (_, i) => ({ logical: `${prefix}${String(i).padStart(4, '0')}`, physical: `${prefix}${i}`, type: 'varchar' }));

  it('examines only as many new fields as the table has room for (by name); the rest are past the cap', () => {
    const plan = resolveFields({
      columns: many(998),
      aliases: new Map(),
      fields: fields([
        ['zz_c', 'varchar'],
        ['zz_a', 'varchar'],
        ['zz_b', 'varchar'],
        ['f0001', 'varchar'],
      ]),
    });
    expect(plan.forModel).toEqual(['zz_a', 'zz_b']);
    expect(plan.pastCap).toEqual(['zz_c']);
    expect(plan.create).toEqual([]);
  });

  it('at the cap, a new field gets no typo match either, but a known alias and an exact name still apply', () => {
    const plan = resolveFields({
      columns: many(1000),
      aliases: new Map([['F0001', 'f0001']]),
      fields: fields([
        ['f0002', 'varchar'],
        ['F0001', 'varchar'],
        ['f00003', 'varchar'],
      ]),
    });
    expect([...plan.applied]).toEqual([['F0001', 'f0001']]);
    expect(plan).toMatchObject({ create: [], forModel: [], pastCap: ['f00003'] });
  });

  it('resolves 50,000 new fields against a table of 500 columns quickly (typo matching is bounded by the cap)', () => {
    const incoming = new Map<string, InferredType>(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 'varchar'] as const));
    const started = performance.now();
    const plan = resolveFields({ columns: many(500, 'k'), aliases: new Map(), fields: incoming });
    expect(performance.now() - started).toBeLessThan(5_000); // ~0.3 s here; generous for a busy machine
    expect(plan.create.length + plan.forModel.length).toBe(500);
    expect(plan.pastCap).toHaveLength(49_500);
  });
});

describe('boundedDistance', () => {
  const words = ['', 'a', 'ab', 'phone', 'phnoe', 'Phone', 'telephone', 'name', 'nmae', 'names', 'kitten', 'sitting', 'abcdef', 'azced'];
  it('equals the Levenshtein distance when it is at most the bound, and is bound + 1 otherwise', () => {
    for (const a of words) {
      for (const b of words) {
        const exact = levenshtein(a, b);
        expect(boundedDistance(a, b, 2), `${a} / ${b}`).toBe(Math.min(exact, 3));
      }
    }
  });
});

describe('detectPii', () => {
  it.each([
    ['email', [], 'name'],
    ['customer_phone', [], 'name'],
    ['cpf', [], 'name'],
    ['ssn', [], 'name'],
    ['Data Nascimento', [], 'name'],
    ['contact', ['ana@example.com', 'bo@example.org'], 'values'],
    ['contact', ['+5581999990000', '+1 (415) 555-0100'], 'values'],
    ['token', ['4111 1111 1111 1111'], 'values'],
    ['token', ['4111 1111 1111 1112'], null],
    ['notes', ['hello', 'world', 'ana@example.com', 'x', 'y'], null],
    ['status', ['paid'], null],
    ['id', [1, 2], null],
  ] as const)('%s %j → %s', (name, values, expected) => expect(detectPii(name, values)).toBe(expected));

  it('checks card numbers with Luhn', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });
});
