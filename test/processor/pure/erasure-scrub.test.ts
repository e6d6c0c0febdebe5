// The erasure's scrub of stored payloads and error text: every scalar whose keyed hash is a match hash becomes its
// marker (numbers hash as written), opaque bodies are replaced whole, quoted literals in error text are found by hash.
import { describe, expect, it } from 'vitest';
import { erasedMarker } from '../../../processor/governance/erased-marker.ts';
import { jsonEscaped, scrubPayload, scrubQuotedLiterals, type SubjectMatcher } from '../../../processor/governance/erasure-scrub.ts';
import { parsePayload, stringifyJson } from '../../../processor/normalize/parse-payload.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';

const hasher = new PiiHasher('hmac', Buffer.from('pure-test-key-0123456789', 'utf8'));
const matcherFor = (tenant: string, values: string[]): SubjectMatcher => {
  const hashOf = (value: unknown) => hasher.hash(tenant, value);
  return { hashOf, hashes: new Set(values.map(hashOf)), values };
};
const ana = matcherFor('t1', ['ana@example.com', '5581999990000']);
const mark = (value: unknown) => erasedMarker(hasher.hash('t1', value));

describe('scrubPayload', () => {
  const cases: Array<{ name: string; payload: unknown; expected: unknown; replaced: number }> = [
    { name: 'a top-level field', payload: { email: 'ana@example.com', id: 1 }, expected: { email: mark('ana@example.com'), id: 1 }, replaced: 1 },
    {
      name: 'nested objects and arrays, any field name',
      payload: { rows: [{ contact: { e_mail: 'ana@example.com' } }, { who: ['bob@example.com', 'ana@example.com'] }] },
      expected: { rows: [{ contact: { e_mail: mark('ana@example.com') } }, { who: ['bob@example.com', mark('ana@example.com')] }] },
      replaced: 2,
    },
    { name: 'a number hashes as written', payload: { phone: 5581999990000 }, expected: { phone: mark('5581999990000') }, replaced: 1 },
    { name: 'another spelling is another value', payload: { phone: '+55 81 99999-0000' }, expected: { phone: '+55 81 99999-0000' }, replaced: 0 },
    {
      name: 'a value inside a longer text is replaced there too',
      payload: { note: 'write to ana@example.com or Ana <ana@example.com>' },
      expected: { note: `write to ${mark('ana@example.com')} or Ana <${mark('ana@example.com')}>` },
      replaced: 2,
    },
    { name: 'an object key holding the value', payload: { 'ana@example.com': true }, expected: { [mark('ana@example.com')]: true }, replaced: 1 },
    { name: 'a marker is not erased twice', payload: { email: mark('ana@example.com') }, expected: { email: mark('ana@example.com') }, replaced: 0 },
  ];
  for (const { name, payload, expected, replaced } of cases) {
    it(name, () => {
      const result = scrubPayload(payload, ana);
      expect(result.value).toEqual(expected);
      expect(result.replaced).toBe(replaced);
    });
  }

  it('keeps integers beyond 2^53 exact through parse → scrub → stringify', () => {
    const text = '{"id":9007199254740993,"email":"ana@example.com"}';
    const result = scrubPayload(parsePayload(text), ana);
    expect(stringifyJson(result.value)).toBe(`{"id":9007199254740993,"email":"${mark('ana@example.com')}"}`);
  });

  it('hashes per tenant: the same value of another tenant is not matched', () => {
    expect(scrubPayload({ email: 'ana@example.com' }, matcherFor('t2', ['bob@example.com'])).replaced).toBe(0);
    // By hash alone (the values as sent are matched only inside the tenant's own rows: every scrub query names it).
    const otherTenantHashes = { ...ana, values: [], hashOf: (value: unknown) => hasher.hash('t2', value) };
    expect(scrubPayload({ email: 'ana@example.com' }, otherTenantHashes).replaced).toBe(0);
  });

  it('replaces an opaque body that contains the value, keeping it opaque', () => {
    const body = { unreadable_body_base64: Buffer.from('name=Ana&email=ana@example.com\u0000', 'utf8').toString('base64') };
    const result = scrubPayload(body, ana);
    expect(result.replaced).toBe(1);
    expect(Object.keys(result.value as object)).toEqual(['unreadable_body_base64']);
    const decoded = Buffer.from((result.value as { unreadable_body_base64: string }).unreadable_body_base64, 'base64').toString('utf8');
    expect(decoded).toBe(mark('ana@example.com'));
    expect(scrubPayload(result.value, ana).replaced).toBe(0);
  });

  it.each([
    ['URL-encoded (a form post)', 'email=ana%40example.com&x=1'],
    ['JSON-escaped', '{"note":"ana@example.com\\u0000"}'],
  ])('finds the value in an opaque body %s', (_name, body) => {
    const result = scrubPayload({ unreadable_body_base64: Buffer.from(body).toString('base64') }, ana);
    expect(result.replaced).toBe(1);
    expect(Buffer.from((result.value as { unreadable_body_base64: string }).unreadable_body_base64, 'base64').toString()).not.toContain('ana');
  });

  it('leaves an opaque body without the value as it is', () => {
    const body = { unreadable_body_base64: Buffer.from('name=Bob', 'utf8').toString('base64') };
    expect(scrubPayload(body, ana)).toEqual({ value: body, replaced: 0 });
  });
});

describe('scrubQuotedLiterals', () => {
  const cases: Array<{ name: string; text: string; expected: string; replaced: number }> = [
    {
      name: 'a double-quoted literal (the item-key dead letter)',
      text: 'members: The X-Item-Key field "member" of row 0 does not fit the key column (bigint); its value is "ana@example.com".',
      expected: `members: The X-Item-Key field "member" of row 0 does not fit the key column (bigint); its value is "${mark('ana@example.com')}".`,
      replaced: 1,
    },
    {
      name: 'a SQL literal with a doubled quote',
      text: "Cannot cast 'o''neil@example.com' to bigint",
      expected: "Cannot cast 'o''neil@example.com' to bigint",
      replaced: 0,
    },
    { name: 'a backquoted literal', text: 'bad value `5581999990000`', expected: `bad value \`${mark('5581999990000')}\``, replaced: 1 },
    {
      name: 'an unquoted occurrence is replaced too',
      text: 'value ana@example.com refused',
      expected: `value ${mark('ana@example.com')} refused`,
      replaced: 1,
    },
    { name: 'other literals stay', text: 'column "email" got "bob@example.com"', expected: 'column "email" got "bob@example.com"', replaced: 0 },
    { name: 'an unclosed quote', text: 'it said "ana', expected: 'it said "ana', replaced: 0 },
  ];
  for (const { name, text, expected, replaced } of cases) {
    it(name, () => {
      const result = scrubQuotedLiterals(text, ana);
      expect(result.value).toBe(expected);
      expect(result.replaced).toBe(replaced);
      expect(result.value).not.toContain('ana@example.com');
    });
  }

  it('finds a SQL literal by its unescaped content', () => {
    const oneil = matcherFor('t1', ["o'neil@example.com"]);
    expect(scrubQuotedLiterals("Cannot cast 'o''neil@example.com' to bigint", oneil).value).toBe(
      `Cannot cast '${erasedMarker(hasher.hash('t1', "o'neil@example.com"))}' to bigint`,
    );
  });

  it('jsonEscaped gives the form jsonb prints', () => {
    expect(jsonEscaped('a"b\\c\n')).toBe('a\\"b\\\\c\\n');
  });
});
