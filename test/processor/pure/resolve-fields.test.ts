// Pure: the offline field resolution (aliases, full coverage, typos, dictionary) and deterministic PII detection.
import { describe, expect, it } from 'vitest';
import { detectPii, luhn } from '../../../processor/schema/pii-detect.ts';
import { resolveFields, typoCandidate } from '../../../processor/schema/resolve-fields.ts';
import type { InferredType } from '../../../processor/schema/column-types.ts';

const columns = [
  { logical: 'id', physical: 'id', type: 'bigint' },
  { logical: 'phone', physical: 'phone', type: 'varchar' },
  { logical: 'email', physical: 'email', type: 'varchar' },
  { logical: 'age', physical: 'age', type: 'bigint' },
  { logical: 'lat', physical: 'lat', type: 'double' },
];
const fields = (entries: Array<[string, InferredType | null]>) => new Map(entries);

describe('resolveFields', () => {
  it('maps a typo onto the unfilled column it misspells, with its distance', () => {
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([['id', 'bigint'], ['phnoe', 'varchar'], ['email', 'varchar']]) });
    expect(plan.create).toEqual([{ field: 'phnoe', column: 'phone', decidedBy: 'typo', evidence: { distance: 2 } }]);
    expect(plan.forModel).toEqual([]);
  });

  it('applies known aliases first', () => {
    const plan = resolveFields({ columns, aliases: new Map([['celular', 'phone']]), fields: fields([['celular', 'varchar']]) });
    expect([...plan.applied]).toEqual([['celular', 'phone']]);
    expect(plan.reason).toBe('nothing_new');
  });

  it('full coverage: every registered column present → the extra fields are new columns, no matching at all', () => {
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([['id', 'bigint'], ['phone', 'varchar'], ['email', 'varchar'], ['age', 'bigint'], ['lat', 'double'], ['phnoe', 'varchar']]) });
    expect(plan).toMatchObject({ reason: 'full_coverage', newColumns: ['phnoe'], create: [], forModel: [] });
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
    expect(resolveFields({ columns, aliases: new Map(), fields: fields([['Phone', 'varchar']]) }).create)
      .toEqual([{ field: 'Phone', column: 'phone', decidedBy: 'typo', evidence: { distance: 0 } }]);
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([['phnoe', 'varchar']]), rejected: new Set(['phnoe\u0000phone']) });
    expect(plan.create).toEqual([]);
    expect(plan.forModel).toEqual(['phnoe']);
  });

  it('refuses a tie between two equally close columns', () => {
    const twins = [{ logical: 'code_a', physical: 'code_a', type: 'varchar' }, { logical: 'code_b', physical: 'code_b', type: 'varchar' }];
    expect(typoCandidate('code_c', 'varchar', twins)).toBeNull();
    expect(typoCandidate('code_aa', 'varchar', twins)).toEqual({ column: 'code_a', distance: 1 });
  });

  it('maps a dictionary synonym (celular → phone, correo → email) at no cost when 1 or 2 fields are new', () => {
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([['celular', 'varchar'], ['correo', 'varchar']]) });
    expect(plan.create).toEqual([
      { field: 'celular', column: 'phone', decidedBy: 'dictionary', evidence: { group: 'phone' } },
      { field: 'correo', column: 'email', decidedBy: 'dictionary', evidence: { group: 'email' } },
    ]);
  });

  it('sends every new field to the model when more than 2 are new; the dictionary is only its fallback', () => {
    const plan = resolveFields({ columns, aliases: new Map(), fields: fields([['celular', 'varchar'], ['birth_place', 'varchar'], ['hobby', 'varchar']]) });
    expect(plan.create).toEqual([]);
    expect(plan.forModel).toEqual(['celular', 'birth_place', 'hobby']);
    expect(plan.dictionaryFallback).toEqual([{ field: 'celular', column: 'phone', decidedBy: 'dictionary', evidence: { group: 'phone' } }]);
  });
});

describe('detectPii', () => {
  it.each([
    ['email', [], 'name'], ['customer_phone', [], 'name'], ['cpf', [], 'name'], ['ssn', [], 'name'], ['Data Nascimento', [], 'name'],
    ['contact', ['ana@example.com', 'bo@example.org'], 'values'],
    ['contact', ['+5581999990000', '+1 (415) 555-0100'], 'values'],
    ['token', ['4111 1111 1111 1111'], 'values'],
    ['token', ['4111 1111 1111 1112'], null],
    ['notes', ['hello', 'world', 'ana@example.com', 'x', 'y'], null],
    ['status', ['paid'], null], ['id', [1, 2], null],
  ] as const)('%s %j → %s', (name, values, expected) => expect(detectPii(name, values)).toBe(expected));

  it('checks card numbers with Luhn', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });
});
