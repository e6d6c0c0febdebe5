// `boitata messages list|show` as an operator runs them, against the real database: queue rows written as the edge
// writes them, some landed by the real processor (which flags the PII columns), filters, bounds, exit codes, and
// the payload shown with personal data replaced by the processor's own hashes.
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBoitata, type CliResult } from './run-boitata.ts';
import { addApiKey } from '../../cli/api-keys.ts';
import { UsageError } from '../../cli/arguments.ts';
import { addConnection } from '../../cli/connections.ts';
import { loadCliPiiHasher } from '../../cli/pii-hash-key.ts';
import { addTenant } from '../../cli/tenants.ts';
import { PiiHasher } from '../../processor/schema/pii-hasher.ts';
import { landWithProcessor } from '../processor/status/land-with-processor.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
// The key land-with-processor.ts gives the processor: the CLI given the same one prints the warehouse's hashes.
const PII_KEY = 'status-test-pii-hash-key-0123';
const hasher = new PiiHasher('hmac', Buffer.from(PII_KEY, 'utf8'));
const tenant = `msg-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
const PII = {
  landed: 'ana.souza@example.com',
  queued: 'bia.lima@example.com',
  phone: '+5511987654321',
  alias: 'ring me after lunch',
  dead: 'caio@example.com',
};

async function boitata(args: string[], env: Record<string, string | undefined> = { PII_HASH_KEY: PII_KEY }): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, PII_HASH_KEY: undefined, PII_HASH_MODE: undefined, ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  return runBoitata(args, childEnv);
}

const ids = { landed1: '', landed2: '', queued: '', event: '', dead: '', old: '' };
let connectionId = '';
let sourceKeyId = '';

interface Enqueue {
  /** the test's tenant unless given */
  tenant?: string;
  credential: { connection: string } | { apiKey: string };
  endpoint?: string;
  format?: string;
  table: string | null;
  payload: string;
  rows: number;
  receipt?: unknown;
  key?: string;
  status?: string;
  receivedAgo?: string;
  lastError?: string;
}

async function enqueue(message: Enqueue): Promise<string> {
  const messageId = randomUUID();
  const connection = 'connection' in message.credential ? message.credential.connection : null;
  const apiKey = 'apiKey' in message.credential ? message.credential.apiKey : null;
  const receipt = message.receipt ?? {
    message_id: messageId,
    status: 'queued',
    tables: message.table === null ? [] : [{ table: message.table, rows: message.rows }],
    rows: message.rows,
  };
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, api_key_id, endpoint, payload_format, target_table, payload, row_count, receipt,
                                        idempotency_scope, idempotency_key, request_sha256, status, received_at, last_error)
     VALUES ($1, $2, $3::uuid, $4::uuid, $5, $6, $7, $8, $9, $10, coalesce($3::uuid, $4::uuid), $11::text, CASE WHEN $11::text IS NULL THEN NULL ELSE '\\x00'::bytea END, $12,
             clock_timestamp() - $13::interval, $14)`,
    [
      messageId,
      message.tenant ?? tenant,
      connection,
      apiKey,
      message.endpoint ?? 'push',
      message.format ?? 'array',
      message.table,
      message.payload,
      message.rows,
      JSON.stringify(receipt),
      message.key ?? null,
      message.status ?? 'pending',
      message.receivedAgo ?? '0',
      message.lastError ?? null,
    ],
  );
  return messageId;
}

beforeAll(async () => {
  await addTenant(db, { id: tenant, name: 'Messages CLI' });
  const { connection } = await addConnection(db, { tenant, name: 'shop', table: 'orders' });
  connectionId = connection.id;
  sourceKeyId = (await addApiKey(db, { tenant, kind: 'source', sourceId: 'web-app' })).key.id;
  const shop = { connection: connectionId };
  ids.landed1 = await enqueue({ credential: shop, table: 'orders', payload: JSON.stringify([{ id: 1, email: PII.landed, note: 'first' }]), rows: 1 });
  ids.landed2 = await enqueue({
    credential: shop,
    table: 'orders',
    payload: JSON.stringify([
      { id: 2, email: PII.landed, note: 'second' },
      { id: 3, note: 'x' },
    ]),
    rows: 2,
  });
  // The real processor lands them: it flags `email` PII (by its name) and records what landed.
  await landWithProcessor(db, tenant);
  // Received three days ago (and still queued): outside --since 1d.
  ids.old = await enqueue({ credential: shop, table: 'orders', payload: '[{"id": 0, "note": "old"}]', rows: 1, receivedAgo: '3 days' });
  // An alias onto the PII column, as the typo rule or the model would leave it: its values are personal data too.
  await db.query(
    `INSERT INTO boitata_aliases (tenant_id, table_name, alias, column_name, decided_by, evidence) VALUES ($1, 'orders', 'contato', 'email', 'model', '{}')`,
    [tenant],
  );
  ids.queued = await enqueue({
    credential: shop,
    table: 'orders',
    key: 'order-42',
    payload: `[{"id": 4, "email": "${PII.queued}", "contato": "${PII.alias}", "note": "plain words", "customer": {"mobile_number": "${PII.phone}"}, "big": 9007199254740993}]`,
    rows: 1,
  });
  ids.event = await enqueue({
    credential: { apiKey: sourceKeyId },
    endpoint: 'event',
    format: 'object',
    table: 'events',
    payload: JSON.stringify({ source_id: 'web-app', event_type: 'signup', payload: { plan: 'pro' } }),
    rows: 1,
    receipt: { accepted: true, event_id: 'evt_1', status: 'stored', message_id: 'x' },
    key: 'event_id:evt_1',
  });
  ids.dead = await enqueue({
    credential: shop,
    table: 'orders',
    payload: JSON.stringify([{ id: 'not-a-number', email: PII.dead }]),
    rows: 1,
    status: 'dead',
    lastError: `Cannot cast '${PII.dead}' to bigint`,
  });
  await db.query(
    `INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
     SELECT id, message_id, tenant_id, 'warehouse_rejected', $2, 3 FROM boitata_inbound_queue WHERE message_id = $1`,
    [ids.dead, `orders: Cannot cast '${PII.dead}' to bigint`],
  );
}, 120_000);

afterAll(() => db.end());

interface Listed {
  messages: Array<{
    message_id: string;
    state: string;
    received_at: string;
    accepted: unknown;
    landed: unknown;
    credential: { kind: string; name: string | null };
    last_error: string | null;
  }>;
  more: boolean;
  limit: number;
}

const list = async (...flags: string[]) => {
  const result = await boitata(['messages', 'list', '--tenant', tenant, '--json', ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Listed;
};
const idsOf = (listed: Listed) => listed.messages.map((m) => m.message_id);

describe('boitata messages list', () => {
  it('lists the tenant’s messages newest first with their state, tables and rows accepted and landed, and no payload value', async () => {
    const all = await list();
    expect(idsOf(all)).toEqual([ids.dead, ids.event, ids.queued, ids.landed2, ids.landed1, ids.old]);
    expect(all.messages.map((m) => m.state)).toEqual(['dead', 'queued', 'queued', 'landed', 'landed', 'queued']);
    const landed2 = all.messages[3]!;
    expect(landed2.accepted).toEqual([{ table: 'orders', rows: 2 }]);
    expect(landed2.landed).toEqual([{ table: 'orders', rows: 2 }]);
    expect(all.messages[1]!).toMatchObject({ accepted: [{ table: 'events', rows: 1 }], landed: null, credential: { kind: 'source_key', name: 'web-app' } });
    expect(all.messages[0]!.last_error).toBe("Cannot cast '‹redacted›' to bigint");
    expect(all.more).toBe(false);

    const text = await boitata(['messages', 'list', '--tenant', tenant]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^received_at\s+message_id\s+state\s+endpoint\s+tables\s+attempts\s+idempotency_key\s+credential\s+last_error/);
    expect(text.stdout).toContain('orders 2→2');
    expect(text.stdout).toContain('connection shop');
    expect(text.stdout).toMatch(/6 message\(s\), newest first\.\n$/);
    for (const value of Object.values(PII)) expect(text.stdout + JSON.stringify(all)).not.toContain(value);
  });

  it('filters by state, table, time, idempotency key and source', async () => {
    expect(idsOf(await list('--status', 'landed'))).toEqual([ids.landed2, ids.landed1]);
    expect(idsOf(await list('--status', 'queued,dead'))).toEqual([ids.dead, ids.event, ids.queued, ids.old]);
    expect(idsOf(await list('--table', 'EVENTS'))).toEqual([ids.event]);
    expect(idsOf(await list('--table', 'orders', '--since', '1d'))).toEqual([ids.dead, ids.queued, ids.landed2, ids.landed1]);
    expect(idsOf(await list('--until', '2d'))).toEqual([ids.old]);
    expect(idsOf(await list('--idempotency-key', 'order-42'))).toEqual([ids.queued]);
    expect(idsOf(await list('--source', 'web-app'))).toEqual([ids.event]);
    expect(idsOf(await list('--source', 'shop', '--status', 'landed'))).toEqual([ids.landed2, ids.landed1]);
    expect(idsOf(await list('--source', connectionId, '--status', 'dead'))).toEqual([ids.dead]);
  });

  it('stops at --limit and says how to go on: --until the last one shown continues exactly after it', async () => {
    const first = await boitata(['messages', 'list', '--tenant', tenant, '--limit', '2']);
    const until = /add --until (\S+) for older ones/.exec(first.stdout)?.[1];
    expect(until, first.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(first.stdout).toContain('2 message(s), newest first.');
    const next = await list('--limit', '2', '--until', until!);
    expect(idsOf(next)).toEqual([ids.queued, ids.landed2]);
    expect(next.more).toBe(true);
  });

  it('refuses bad flags with exit code 2 and says what to write; an unknown tenant is exit code 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--status', 'lost'], /--status: status "lost": use queued, processing, landed, dead/],
      [['--limit', '1001'], /--limit: limit "1001": use a whole number from 1 to 1000/],
      [['--since', 'yesterday'], /--since: .*30m, 2h, 1d/],
      [['--since', '1h', '--until', '2h'], /--until: until .* is not after since/],
    ];
    for (const [flags, message] of cases) {
      const result = await boitata(['messages', 'list', '--tenant', tenant, ...flags]);
      expect([result.code, result.stdout], flags.join(' ')).toEqual([2, '']);
      expect(result.stderr).toMatch(message);
    }
    expect(await boitata(['messages', 'list'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--tenant is required') });
    expect(await boitata(['messages', 'list', '--tenant', `${tenant}-nope`])).toMatchObject({ code: 1, stderr: expect.stringContaining('no tenant') });
    expect(await boitata(['messages', 'frob'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "messages frob"') });
  });
});

interface Shown {
  message_id: string;
  state: string;
  payload: unknown;
  pii_hashed_fields: string[];
  pii_hash: string;
  dead_letters: Array<{ error_code: string; reason: string }>;
}

describe('boitata messages show', () => {
  it('shows the payload with personal data replaced by the processor’s hashes: PII columns, aliases onto them, PII-shaped values', async () => {
    const result = await boitata(['messages', 'show', ids.queued, '--json']);
    expect(result.code, result.stderr).toBe(0);
    for (const value of Object.values(PII)) expect(result.stdout).not.toContain(value);
    // Integers beyond 2^53 keep their digits.
    expect(result.stdout).toContain('"big": 9007199254740993');
    const shown = JSON.parse(result.stdout) as Shown;
    const hash = (value: string) => hasher.hash(tenant, value);
    expect(shown.payload).toEqual([
      { id: 4, email: hash(PII.queued), contato: hash(PII.alias), note: 'plain words', customer: { mobile_number: hash(PII.phone) }, big: 9007199254740992 },
    ]);
    expect(shown.pii_hashed_fields).toEqual(['orders.contato', 'orders.customer.mobile_number', 'orders.email']);
    expect(shown.pii_hash).toBe('HMAC-SHA-256 with PII_HASH_KEY');
    expect(shown).toMatchObject({ message_id: ids.queued, state: 'queued', idempotency_key: 'order-42', dead_letters: [] });

    const text = await boitata(['messages', 'show', ids.landed2]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^state\s+landed$/m);
    expect(text.stdout).toMatch(/^landed rows\s+orders: 2 row\(s\)$/m);
    expect(text.stdout).toContain(`"email": "${hash(PII.landed)}"`);
    expect(text.stdout).toContain('"note": "second"');
    expect(text.stdout).not.toContain(PII.landed);
  });

  it('shows a dead message’s dead letters with the reason redacted', async () => {
    const shown = JSON.parse((await boitata(['messages', 'show', ids.dead, '--json'])).stdout) as Shown;
    expect(shown.state).toBe('dead');
    expect(shown.dead_letters).toMatchObject([{ error_code: 'warehouse_rejected', reason: "orders: Cannot cast '‹redacted›' to bigint" }]);
    expect(JSON.stringify(shown)).not.toContain(PII.dead);
  });

  it('without PII_HASH_KEY hashes with the processor’s development key, and refuses the payload when there is none', async () => {
    await db.query(`INSERT INTO boitata_settings (name, value) VALUES ('pii_hash_key', $1) ON CONFLICT DO NOTHING`, [
      Buffer.from('generated-in-test-0123').toString('base64'),
    ]);
    const stored = (await db.query<{ value: string }>(`SELECT value FROM boitata_settings WHERE name = 'pii_hash_key'`)).rows[0]!.value;
    const shown = JSON.parse((await boitata(['messages', 'show', ids.queued, '--json'], {})).stdout) as Shown;
    expect((shown.payload as Array<{ email: string }>)[0]!.email).toBe(new PiiHasher('hmac', Buffer.from(stored, 'base64')).hash(tenant, PII.queued));
    expect(shown.pii_hash).toContain('development key');

    // No key at all: seen inside a transaction that is rolled back, so the shared database keeps its key.
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM boitata_settings WHERE name = 'pii_hash_key'`);
      expect(await loadCliPiiHasher(client, {})).toEqual({ hasher: null, reason: expect.stringContaining('Set PII_HASH_KEY') });
      await expect(loadCliPiiHasher(client, { PII_HASH_MODE: 'md5' })).rejects.toThrow(UsageError);
      expect((await loadCliPiiHasher(client, { PII_HASH_MODE: 'sha256' })).hasher).not.toBeNull();
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    const shortKey = await boitata(['messages', 'show', ids.queued], { PII_HASH_KEY: 'short' });
    expect([shortKey.code, shortKey.stdout]).toEqual([2, '']);
    expect(shortKey.stderr).toContain('PII_HASH_KEY must be at least 16 characters');
  });

  it('answers exit code 1 for an unknown message and 2 for an id that is not one', async () => {
    const unknown = await boitata(['messages', 'show', randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no message [0-9a-f-]{36}: it was never received, or .*QUEUE_RETENTION_HOURS/);
    const bad = await boitata(['messages', 'show', '42']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('message ids are UUIDs');
    expect((await boitata(['messages', 'show'])).stderr).toContain('message id is required');
  });
});

// A tenant of its own, so the lists above keep their counts: a table the processor registered (PII columns phone,
// last_name, contact), then messages it has not landed — a queued one whose fields the processor would map onto
// those columns, a verified delivery the edge stored as base64, and one whose sender-written names carry terminal
// escape sequences.
describe('boitata messages show: what it must never print', () => {
  const other = `${tenant}-b`;
  const body = Buffer.from('{"email": "dora@example.com", "cpf": "123.456.789-09"}\u0000 not JSON', 'utf8');
  const encoded = body.toString('base64');
  // ESC ] 0 ; … BEL sets a terminal's title; CSI (ESC [ or the C1 0x9B) starts any other sequence.
  const TITLE = '\u001b]0;owned\u0007';
  const shown = { queued: '', opaque: '', escapes: '' };

  beforeAll(async () => {
    await addTenant(db, { id: other });
    const { connection } = await addConnection(db, { tenant: other, name: 'crm', table: 'people' });
    const crm = { connection: connection.id };
    const enqueueFor = (message: Enqueue) => enqueue({ ...message, tenant: other });
    await enqueueFor({
      credential: crm,
      table: 'people',
      payload: JSON.stringify([{ id: 1, phone: '+5511987654321', last_name: 'Souza', contact: 'reach@example.com' }]),
      rows: 1,
    });
    await landWithProcessor(db, other);
    const flags = await db.query(`SELECT logical_name, pii FROM boitata_columns WHERE tenant_id = $1 AND table_name = 'people' ORDER BY 1`, [other]);
    expect(flags.rows).toEqual([
      { logical_name: 'contact', pii: true },
      { logical_name: 'id', pii: false },
      { logical_name: 'last_name', pii: true },
      { logical_name: 'phone', pii: true },
    ]);
    shown.queued = await enqueueFor({
      credential: crm,
      table: 'people',
      payload: JSON.stringify([{ id: 2, tel: '11 98765 4321', family_name: 'Lima', Contact: 'ask at the front desk' }]),
      rows: 1,
    });
    shown.opaque = await enqueueFor({
      credential: crm,
      endpoint: 'webhook',
      format: 'object',
      table: 'people',
      payload: JSON.stringify({ unreadable_body_base64: encoded }),
      rows: 1,
      receipt: { message_id: 'x', status: 'dead_lettered', tables: [], rows: 0, error: { code: 'invalid_payload', message: 'not JSON' } },
      status: 'dead',
    });
    shown.escapes = await enqueueFor({
      credential: crm,
      table: 'people',
      key: `key${TITLE}`,
      payload: JSON.stringify([{ id: 3, [`email${TITLE}`]: 'eve@example.com', 'note\u009b31m': 'x' }]),
      rows: 1,
    });
    await db.query(`UPDATE boitata_inbound_queue SET item_key = $2 WHERE message_id = $1`, [shown.escapes, `sku${TITLE}`]);
  }, 120_000);

  it('hashes a field the processor would map onto a PII column by the dictionary or the typo rule', async () => {
    const result = await boitata(['messages', 'show', shown.queued, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const message = JSON.parse(result.stdout) as Shown;
    const hash = (value: string) => hasher.hash(other, value);
    expect(message.payload).toEqual([{ id: 2, tel: hash('11 98765 4321'), family_name: hash('Lima'), Contact: hash('ask at the front desk') }]);
    expect(message.pii_hashed_fields).toEqual(['people.Contact', 'people.family_name', 'people.tel']);
    for (const value of ['98765', 'Lima', 'front desk']) expect(result.stdout).not.toContain(value);
  });

  it('never prints a body the edge stored as base64: its size and SHA-256, and why', async () => {
    const sha256 = createHash('sha256').update(body).digest('hex');
    const json = await boitata(['messages', 'show', shown.opaque, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as Shown).payload).toEqual({
      opaque_body: { bytes: body.byteLength, sha256, note: expect.stringContaining('not JSON Postgres could store') },
    });
    const text = await boitata(['messages', 'show', shown.opaque]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Payload: an opaque body of ${body.byteLength} bytes, SHA-256 ${sha256}.`);
    for (const output of [json.stdout, text.stdout]) {
      for (const secret of [encoded, encoded.slice(0, 16), 'dora@example.com', '123.456.789-09']) expect(output).not.toContain(secret);
    }
  });

  it('prints no control character a sender wrote: field names, item key field, idempotency key, as \\u escapes', async () => {
    const text = await boitata(['messages', 'show', shown.escapes]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text.stdout).toContain('item key field sku\\u001b]0;owned\\u0007');
    expect(text.stdout).toMatch(/^idempotency key\s+key\\u001b\]0;owned\\u0007$/m);
    expect(text.stdout).toContain('hashed: people.email\\u001b]0;owned\\u0007');
    expect(text.stdout).toContain('"note\\u009b31m": "x"');
    const list = await boitata(['messages', 'list', '--tenant', other]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(list.stdout).toContain('key\\u001b]0;owned\\u0007');
    // --json stays valid JSON with the same values; DEL and C1, which JSON.stringify leaves raw, are escaped too.
    const json = await boitata(['messages', 'show', shown.escapes, '--json']);
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect((JSON.parse(json.stdout) as { item_key: string }).item_key).toBe(`sku${TITLE}`);
  });

  it('refuses a year Postgres cannot read and a control character with exit code 2, saying what to fix', async () => {
    const year = await boitata(['messages', 'list', '--tenant', other, '--since', '0000-01-01']);
    expect([year.code, year.stdout]).toEqual([2, '']);
    expect(year.stderr).toContain('--since: since "0000-01-01": the year must be from 0001 to 9999');
    expect(year.stderr).not.toMatch(/\n\s+at /);
    const control = await boitata(['messages', 'list', '--tenant', other, '--idempotency-key', `key${TITLE}`]);
    expect([control.code, control.stdout]).toEqual([2, '']);
    expect(control.stderr).toContain('--idempotency-key: idempotency key holds a control character (U+001B at character 4): remove it');
    expect(control.stderr).not.toContain('\u001b');
  });
});
