// The erasure's request: --match texts and the admin API's match array read and checked (never quoting a value), and
// the tenant's tables resolved to the PII columns a name reaches — by its own name or an alias.
import { describe, expect, it } from 'vitest';
import { parseMatchJson, parseMatchTexts, resolveErasureTargets, type CatalogTable } from '../../../processor/governance/erasure-match.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';

const col = (logical: string, pii = false): RegisteredColumn => ({ logical, physical: logical.replaceAll('.', '_'), type: 'varchar', pii });
const tableOf = (table: string, columns: RegisteredColumn[], aliases: Record<string, string> = {}): CatalogTable => ({
  table,
  columns: new Map(columns.map((c) => [c.logical, c])),
  aliases: new Map(Object.entries(aliases)),
});

describe('parseMatchTexts', () => {
  it('splits at the first "=" and keeps the value exactly as sent', () => {
    expect(parseMatchTexts(['email=ana@example.com', 'phone=+55 81 99999-0000', 'note=a=b'])).toEqual([
      { column: 'email', value: 'ana@example.com' },
      { column: 'phone', value: '+55 81 99999-0000' },
      { column: 'note', value: 'a=b' },
    ]);
  });

  it('reads --match-file lines after the --match texts: line endings and empty lines are not values, spaces are', () => {
    const file = { name: 'subject.txt', text: 'email=ana@example.com\r\n\nphone= +55 81 \n' };
    expect(parseMatchTexts(['cpf=123'], file)).toEqual([
      { column: 'cpf', value: '123' },
      { column: 'email', value: 'ana@example.com' },
      { column: 'phone', value: ' +55 81 ' },
    ]);
    expect(parseMatchTexts(undefined, file)).toHaveLength(2);
    expect(() => parseMatchTexts(undefined, { name: 'subject.txt', text: 'email=x\n\nana@example.com\n' })).toThrow(
      /^--match-file subject\.txt line 3 has no "="/,
    );
    expect(() => parseMatchTexts([], { name: 'empty.txt', text: '\n\n' })).toThrow(/empty\.txt holds no column=value line/);
    expect(() => parseMatchTexts([], { name: 'f', text: 'email=\n' })).toThrow(/--match-file f line 1 \(email\) has no value/);
  });

  const refused: Array<[string[] | undefined, RegExp]> = [
    [undefined, /--match column=value/],
    [[], /--match column=value/],
    [['email'], /has no "="/],
    [['email='], /\(email\) has no value after "="/],
    [['=ana@example.com'], /no column name/],
  ];
  for (const [texts, message] of refused) {
    it(`refuses ${JSON.stringify(texts)} saying what to fix, without the value`, () => {
      expect(() => parseMatchTexts(texts)).toThrow(message);
      try {
        parseMatchTexts(texts);
      } catch (error) {
        expect((error as Error).message).not.toContain('ana@example.com');
      }
    });
  }
});

describe('parseMatchJson', () => {
  it('reads [{column, value}]', () => {
    expect(parseMatchJson([{ column: 'email', value: 'ana@example.com' }])).toEqual([{ column: 'email', value: 'ana@example.com' }]);
  });
  it('refuses a non-string value, without quoting it', () => {
    expect(() => parseMatchJson([{ column: 'phone', value: 5581999990000 }])).toThrow(/match\[0\] must be/);
    expect(() => parseMatchJson({ column: 'email' })).toThrow(/non-empty array/);
  });
});

describe('resolveErasureTargets', () => {
  const signups = tableOf('signups', [col('id'), col('email', true)]);
  const contacts = tableOf('contacts', [col('id'), col('email', true), col('name')], { e_mail: 'email', mail: 'name' });
  const orders = tableOf('orders', [col('id'), col('email')]);

  it('searches every table; PII columns where a name reaches them, by its own name or an alias', () => {
    const result = resolveErasureTargets([signups, contacts, orders], ['email', 'e_mail']);
    expect(result).toEqual({
      ok: true,
      tables: [
        {
          table: 'contacts',
          columns: ['email'],
          reachedBy: [
            { name: 'email', column: 'email', via: 'column' },
            { name: 'e_mail', column: 'email', via: 'alias' },
          ],
        },
        { table: 'orders', columns: [], reachedBy: [] },
        { table: 'signups', columns: ['email'], reachedBy: [{ name: 'email', column: 'email', via: 'column' }] },
      ],
      notSearched: [{ table: 'orders', name: 'email', column: 'email', reason: 'not a PII column: it holds values as sent, not their hashes' }],
    });
  });

  it('a name that reaches only a non-PII column (an alias onto one) is refused', () => {
    const result = resolveErasureTargets([signups, contacts], ['email', 'mail']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.unknown).toEqual(['mail']);
  });

  it('refuses a name that is no PII column anywhere, listing the PII columns', () => {
    expect(resolveErasureTargets([signups, contacts, orders], ['phone'])).toEqual({
      ok: false,
      unknown: ['phone'],
      piiColumns: [
        { table: 'contacts', column: 'email' },
        { table: 'signups', column: 'email' },
      ],
    });
  });
});
