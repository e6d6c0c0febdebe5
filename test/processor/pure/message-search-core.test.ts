// Pure: the message search's filters read from text (flags, a query string), and a payload masked for operators.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMessageSearch, parseTimeBound, type MessageSearchInput } from '../../../processor/queue/message-filter.ts';
import { maskPiiPayload, type RegisteredTables } from '../../../processor/schema/mask-pii-payload.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';
import type { ColumnType } from '../../../processor/schema/type-table.ts';

const NOW = new Date('2026-06-12T12:00:00.000Z');

describe('parseTimeBound', () => {
  it.each([
    ['90', '2026-06-12T11:58:30.000Z'],
    ['30m', '2026-06-12T11:30:00.000Z'],
    ['2h', '2026-06-12T10:00:00.000Z'],
    ['1d', '2026-06-11T12:00:00.000Z'],
    ['1w', '2026-06-05T12:00:00.000Z'],
    ['2026-06-01', '2026-06-01T00:00:00Z'],
    ['2026-06-12T10:00:00.123456Z', '2026-06-12T10:00:00.123456Z'],
    ['2026-06-12T10:00:00-03:00', '2026-06-12T10:00:00-03:00'],
    ['2026-06-12T10:00', null],
    ['yesterday', null],
    ['2026-02-30', null],
    ['-2h', null],
    ['999999999d', null],
    // Postgres has no year 0000 (it would answer "date/time field value out of range"); 0001–9999 are fine.
    ['0000-01-01', null],
    ['0000-06-12T10:00:00Z', null],
    ['0001-01-01', '0001-01-01T00:00:00Z'],
    ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
  ])('%s → %s', (text, expected) => expect(parseTimeBound(text, NOW)).toBe(expected));
});

describe('parseMessageSearch', () => {
  const parse = (input: MessageSearchInput, max?: number) => parseMessageSearch({ tenant: 'acme', ...input }, NOW, max);

  it('reads every filter, maps states onto the queue, lowercases the table, defaults the limit to 50', () => {
    expect(parse({ status: 'landed, QUEUED', table: 'Orders', since: '2h', until: '2026-06-12T11:00:00Z', idempotencyKey: ' k1 ', source: 'shop' })).toEqual({
      ok: true,
      search: {
        tenant: 'acme',
        statuses: ['done', 'pending'],
        table: 'orders',
        since: '2026-06-12T10:00:00.000Z',
        until: '2026-06-12T11:00:00Z',
        idempotencyKey: 'k1',
        source: 'shop',
        limit: 50,
        before: null,
      },
    });
    // Blank values are not given (an empty form field).
    expect(parse({ status: '', table: ' ', limit: '' })).toMatchObject({ ok: true, search: { statuses: null, table: null, limit: 50 } });
  });

  it.each<[MessageSearchInput, number | undefined, string, RegExp]>([
    [{ tenant: '' }, undefined, 'tenant', /a tenant is required/],
    [{ status: 'landed,lost' }, undefined, 'status', /status "lost": use queued, processing, landed, dead/],
    [{ limit: '0' }, undefined, 'limit', /from 1 to 1000/],
    [{ limit: '1001' }, undefined, 'limit', /from 1 to 1000/],
    [{ limit: '101' }, 100, 'limit', /from 1 to 100$/],
    [{ limit: '1e3' }, undefined, 'limit', /whole number/],
    [{ since: 'last week' }, undefined, 'since', /duration back from now/],
    [{ since: '1h', until: '2h' }, undefined, 'until', /is not after since/],
    [{ before: 'abc' }, undefined, 'before', /use a message id/],
    [{ idempotencyKey: 'k'.repeat(301) }, undefined, 'idempotencyKey', /idempotency key is longer than 300/],
    [{ since: '0000-01-01T00:00:00Z' }, undefined, 'since', /since "0000-01-01T00:00:00Z": the year must be from 0001 to 9999/],
    [{ until: '0000-12-31' }, undefined, 'until', /the year must be from 0001 to 9999/],
    // Postgres refuses a NUL in text; no control character belongs in a filter (nor echoed to a terminal).
    [{ tenant: 'a\u0000b' }, undefined, 'tenant', /^tenant holds a control character \(U\+0000 at character 2\): remove it$/],
    [{ idempotencyKey: 'a\u0000b' }, undefined, 'idempotencyKey', /^idempotency key holds a control character \(U\+0000/],
    [{ source: 'shop\u001b]0;owned\u0007' }, undefined, 'source', /U\+001B at character 5/],
    [{ table: 'orders\u0085' }, undefined, 'table', /U\+0085/],
    [{ status: 'dead\u009b' }, undefined, 'status', /U\+009B/],
  ])('refuses %j naming the field', (input, max, field, message) => {
    const parsed = parse(input, max);
    expect(parsed).toMatchObject({ ok: false, field });
    expect(parsed.ok ? '' : parsed.message).toMatch(message);
  });
});

const column = (logical: string, type: ColumnType = 'varchar', pii = false): RegisteredColumn => ({
  logical,
  physical: logical.replaceAll('.', '__'),
  type,
  pii,
});

describe('maskPiiPayload', () => {
  const hash = (value: unknown) => `#${typeof value === 'string' ? value : JSON.stringify(value)}`;
  // email and doc.number are PII columns; contato an alias onto email.
  const pii: RegisteredTables = new Map([
    [
      'orders',
      { columns: [column('id', 'bigint'), column('email', 'varchar', true), column('doc.number', 'varchar', true)], aliases: new Map([['contato', 'email']]) },
    ],
  ]);

  it('hashes PII columns (own name or alias, flattened), PII names and PII-shaped values; keeps the rest', () => {
    const payload = [
      {
        id: 1,
        email: 'a@example.com',
        contato: 'call after lunch',
        doc: { number: 12345, kind: 'rg' },
        note: 'reach me at b@example.com',
        phone_number: 5511987654321,
        reference: '+5511987654321',
        tags: ['c@example.com', 'vip'],
        contacts: [{ first_name: 'Ana', role: 'buyer' }],
        extra: {},
        missing: null,
      },
    ];
    expect(maskPiiPayload({ payload, payloadFormat: 'array', targetTable: 'Orders' }, pii, hash)).toEqual({
      payload: [
        {
          id: 1,
          email: '#a@example.com',
          contato: '#call after lunch',
          doc: { number: '#12345', kind: 'rg' },
          note: 'reach me at b@example.com',
          phone_number: '#5511987654321',
          reference: '#+5511987654321',
          tags: ['#c@example.com', 'vip'],
          contacts: [{ first_name: '#Ana', role: 'buyer' }],
          extra: {},
          missing: null,
        },
      ],
      hashed: ['?.contacts[].first_name', '?.tags[]', 'orders.contato', 'orders.doc.number', 'orders.email', 'orders.phone_number', 'orders.reference'],
      opaque: null,
    });
  });

  it('follows the format: an envelope’s table, a multi-table body’s tables, a single object; a body that does not match is still masked', () => {
    expect(maskPiiPayload({ payload: { table: 'orders', rows: [{ contato: 'x' }] }, payloadFormat: 'envelope', targetTable: null }, pii, hash).payload).toEqual(
      {
        table: 'orders',
        rows: [{ contato: '#x' }],
      },
    );
    expect(
      maskPiiPayload({ payload: { ORDERS: [{ contato: 'x' }], leads: [{ contato: 'y' }] }, payloadFormat: 'multi_table', targetTable: null }, pii, hash)
        .payload,
    ).toEqual({ ORDERS: [{ contato: '#x' }], leads: [{ contato: 'y' }] });
    const proto = maskPiiPayload(
      { payload: JSON.parse('{"contato": "x", "__proto__": {"email": "p"}}'), payloadFormat: 'object', targetTable: 'orders' },
      pii,
      hash,
    );
    expect(JSON.stringify(proto.payload)).toBe('{"contato":"#x","__proto__":{"email":"#p"}}');
    expect(maskPiiPayload({ payload: ['a@example.com', { cpf: '123' }], payloadFormat: 'envelope', targetTable: null }, pii, hash).payload).toEqual([
      '#a@example.com',
      { cpf: '#123' },
    ]);
  });

  it('never shows a body the edge stored as base64 (not JSON Postgres could store): only its size and SHA-256', () => {
    const body = Buffer.from('{"email": "ana@example.com", "cpf": "123.456.789-09"}\u0000', 'utf8');
    const encoded = body.toString('base64');
    const masked = maskPiiPayload({ payload: { unreadable_body_base64: encoded }, payloadFormat: 'object', targetTable: 'stripe_events' }, pii, hash);
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(masked.opaque).toEqual({ bytes: body.byteLength, sha256, note: expect.stringContaining('not JSON Postgres could store') });
    expect(masked.payload).toEqual({ opaque_body: masked.opaque });
    expect(masked.hashed).toEqual([]);
    const shown = JSON.stringify(masked);
    for (const secret of [encoded, encoded.slice(0, 12), 'ana@example.com', '123.456.789-09']) expect(shown).not.toContain(secret);
    // Only that exact shape: a field of that name beside others is a sender's field, masked as any other.
    expect(
      maskPiiPayload({ payload: { unreadable_body_base64: 'x', email: 'e' }, payloadFormat: 'object', targetTable: 'orders' }, pii, hash).opaque,
    ).toBeNull();
  });
});

describe('maskPiiPayload: fields the processor would place on a PII column (typo, dictionary), resolved offline', () => {
  const hash = (value: unknown) => `#${String(value)}`;
  // phone, last_name and contact are PII columns; note and city are not.
  const tables: RegisteredTables = new Map([
    [
      'people',
      {
        columns: [
          column('id', 'bigint'),
          column('phone', 'varchar', true),
          column('last_name', 'varchar', true),
          column('contact', 'varchar', true),
          column('note'),
          column('city'),
        ],
        aliases: new Map(),
      },
    ],
  ]);
  const mask = (row: Record<string, unknown>) => maskPiiPayload({ payload: [row], payloadFormat: 'array', targetTable: 'people' }, tables, hash);

  // Values that neither their field's name nor their shape marks as personal data: only the resolution can.
  it.each<[string, Record<string, unknown>, string[]]>([
    ['tel → phone (dictionary)', { id: 1, tel: '11 98765 4321' }, ['people.tel']],
    ['family_name → last_name (dictionary)', { id: 1, family_name: 'Souza' }, ['people.family_name']],
    ['Contact → contact (typo: case only)', { id: 1, Contact: 'Ana at the front desk' }, ['people.Contact']],
    [
      'all three in one message (the model’s question: the dictionary, and each alone)',
      { id: 1, tel: '11 98765 4321', family_name: 'Souza', Contact: 'Ana' },
      ['people.Contact', 'people.family_name', 'people.tel'],
    ],
    ['contatc → contact (typo: distance 2)', { id: 1, contatc: 'Ana' }, ['people.contatc']],
    ['town → city: not PII', { id: 1, town: 'Recife' }, []],
    ['nota → note: not PII', { id: 1, nota: 'fragile' }, []],
    // phone is filled by the message itself: tel gets a column of its own, which is not PII (the processor does the same).
    ['tel beside phone: its own column', { id: 1, phone: '11 1234 5678', tel: 'ask for Bia' }, ['people.phone']],
  ])('%s', (_name, row, hashed) => {
    const masked = mask(row);
    expect(masked.hashed).toEqual(hashed);
    const fields = new Set(hashed.map((name) => name.slice('people.'.length)));
    expect(masked.payload).toEqual([Object.fromEntries(Object.entries(row).map(([field, value]) => [field, fields.has(field) ? hash(value) : value]))]);
  });
});
