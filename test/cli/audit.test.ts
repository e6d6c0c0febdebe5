// The audit trail as an operator leaves it: each credential, replay and re-drive command writes one entry naming who
// (--requested-by, else the OS user), what and which tenant; no entry ever holds a token, key or signing secret;
// `boitata audit list` filters and orders them; the status page's replay (admin token) is recorded too.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpServer } from '../../processor/http-server.ts';
import { ProcessorMetrics } from '../../processor/metrics.ts';
import { runBoitata } from './run-boitata.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
const tenant = `audit-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
const ADMIN_TOKEN = `admin-${randomUUID()}`;
const env = { ...process.env, DATABASE_URL: databaseUrl, BOITATA_SECRETS_KEY: inject('secretsKey') };
const boitata = (...args: string[]) => runBoitata(args, env);
let dir = '';
let server: Server | undefined;

interface Entry {
  actor: string;
  via: string;
  action: string;
  tenant_id: string | null;
  details: Record<string, unknown>;
}

/** The tenant's entries, oldest first, as `audit list --json` prints them. */
async function entries(...filters: string[]): Promise<Entry[]> {
  const listed = await boitata('audit', 'list', '--tenant', tenant, '--limit', '1000', '--json', ...filters);
  expect(listed.stderr).toBe('');
  return (JSON.parse(listed.stdout) as Entry[]).reverse();
}

/** Every audit row's text: no secret may appear in any of it. */
async function wholeTrail(): Promise<string> {
  const { rows } = await db.query<{ text: string }>(`SELECT coalesce(string_agg(a::text, E'\\n'), '') AS text FROM boitata_audit a`);
  return rows[0]!.text;
}

async function ok(...args: string[]): Promise<string> {
  const result = await boitata(...args);
  if (result.code !== 0) throw new Error(`boitata ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** A queue row that died, with its open dead letter: what `dead-letters replay` picks up. */
async function deadLetter(connectionId: string): Promise<string> {
  const messageId = randomUUID();
  const {
    rows: [queue],
  } = await db.query<{ id: string }>(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt,
                                        idempotency_scope, status, processed_at, landed)
     VALUES ($1, $2, $3::uuid, 'push', 'array', 'events', '[{"id": 1}]', 1, $4, $3::uuid, 'dead', clock_timestamp() - interval '1 minute', NULL)
     RETURNING id::text`,
    [messageId, tenant, connectionId, JSON.stringify({ message_id: messageId, status: 'queued', tables: [{ table: 'events', rows: 1 }], rows: 1 })],
  );
  const {
    rows: [dead],
  } = await db.query<{ id: string }>(
    `INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts) VALUES ($1, $2, $3, 'x', 'a reason', 5) RETURNING id::text`,
    [queue!.id, messageId, tenant],
  );
  return dead!.id;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boitata-audit-'));
});

afterAll(async () => {
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  await db.end();
  await rm(dir, { recursive: true, force: true });
});

describe('the audit trail (boitata CLI)', () => {
  let connectionId = '';
  let token = '';
  const signingSecret = `gh-secret-${randomBytes(12).toString('hex')}`;
  const rotatedSecret = `gh-secret-${randomBytes(12).toString('hex')}`;
  const keySecrets: string[] = [];

  it('records tenant creation as the OS user when no --requested-by is given', async () => {
    await ok('tenants', 'add', tenant);
    const [created, ...others] = await entries();
    expect(others).toEqual([]);
    expect(created).toMatchObject({ via: 'cli', action: 'tenant.create', tenant_id: tenant, actor: `os:${userInfo().username}`, details: { name: tenant } });
  });

  it('records connection create, signing-secret rotation and revoke, with ids and settings only', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await writeFile(first, signingSecret);
    await writeFile(second, rotatedSecret);
    const added = JSON.parse(
      await ok(
        'connections',
        'add',
        '--tenant',
        tenant,
        '--name',
        'gh',
        '--verify',
        'github',
        '--signing-secret-file',
        first,
        '--requested-by',
        'ana@ops',
        '--json',
      ),
    ) as { id: string; token: string };
    connectionId = added.id;
    token = added.token;
    await ok('connections', 'rotate-secret', '--id', connectionId, '--signing-secret-file', second, '--overlap', '1h', '--requested-by', 'ana@ops');
    await ok('connections', 'update', connectionId, '--rate-limit', '77', '--requested-by', 'ana@ops');
    const recorded = (await entries('--action', 'connection')).concat(await entries('--action', 'signing_secret'));
    expect(recorded.map((e) => [e.action, e.actor, e.via, e.details['connection_id']])).toEqual([
      ['connection.create', 'ana@ops', 'cli', connectionId],
      ['connection.update', 'ana@ops', 'cli', connectionId],
      ['signing_secret.rotate', 'ana@ops', 'cli', connectionId],
    ]);
    expect(recorded[0]!.details).toMatchObject({ name: 'gh', verify_preset: 'github', signing_secret: 'added' });
    expect(recorded[1]!.details).toMatchObject({ rate_limit_per_minute: 77, changed: ['--rate-limit'], signing_secret: 'unchanged' });
    expect(recorded[2]!.details).toMatchObject({ overlap_seconds: 3600, previous: 1 });
    await ok('connections', 'revoke', connectionId, '--requested-by', 'bo@ops');
    expect((await entries('--action', 'connection.revoke')).map((e) => [e.actor, e.details])).toEqual([
      ['bo@ops', { connection_id: connectionId, name: 'gh' }],
    ]);
  });

  it('records key create, rotate and revoke without the keys', async () => {
    const created = JSON.parse(await ok('keys', 'add', '--tenant', tenant, '--kind', 'metrics', '--requested-by', 'cy@ops', '--json')) as {
      id: string;
      key: string;
    };
    const rotated = JSON.parse(await ok('keys', 'rotate', created.id, '--overlap', '10m', '--requested-by', 'cy@ops', '--json')) as { id: string; key: string };
    await ok('keys', 'revoke', rotated.id, '--requested-by', 'cy@ops');
    keySecrets.push(created.key, rotated.key);
    const recorded = await entries('--action', 'key');
    expect(recorded.map((e) => [e.action, e.details['key_id']])).toEqual([
      ['key.create', created.id],
      ['key.rotate', rotated.id],
      ['key.revoke', rotated.id],
    ]);
    expect(recorded[1]!.details).toMatchObject({ previous_key_id: created.id, overlap_seconds: 600, kind: 'metrics' });
  });

  it('records dead-letter replays (by id and by tenant) and a re-drive', async () => {
    const one = await deadLetter(connectionId);
    const two = await deadLetter(connectionId);
    await ok('dead-letters', 'replay', one, '--requested-by', 'di@ops');
    await ok('dead-letters', 'replay', '--tenant', tenant, '--requested-by', 'di@ops');
    // Put both back as landed, so the re-drive has messages to mark.
    await db.query(
      `UPDATE boitata_inbound_queue SET status = 'done', processed_at = clock_timestamp(), landed = '[{"table":"events","rows":1}]' WHERE tenant_id = $1`,
      [tenant],
    );
    await ok('messages', 'redrive', '--tenant', tenant, '--since', '1h', '--until', 'now', '--requested-by', 'di@ops');
    const replays = await entries('--action', 'dead_letter.replay');
    expect(replays.map((e) => e.details)).toEqual([{ dead_letter_ids: [one] }, { dead_letter_ids: [two], all_of_tenant: true }]);
    const [redrive] = await entries('--action', 'message.redrive');
    expect(redrive).toMatchObject({ actor: 'di@ops', tenant_id: tenant, details: { messages: 2, rows: 2, table: null } });
    // A dry run changes nothing, so it is not recorded.
    await ok('messages', 'redrive', '--tenant', tenant, '--since', '1h', '--until', 'now', '--dry-run');
    expect(await entries('--action', 'message.redrive')).toHaveLength(1);
  });

  it('records a replay through the status page with its requested_by, else as the admin token', async () => {
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      pool: db,
      metrics: new ProcessorMetrics(db),
      staleAfterMs: 60_000,
      adminToken: ADMIN_TOKEN,
      health: { sinceLastIteration: () => 0, lastError: () => null },
    });
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    const base = `http://127.0.0.1:${address.port}`;
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const named = await deadLetter(connectionId);
    const anonymous = await deadLetter(connectionId);
    const first = await fetch(`${base}/dead-letters/${named}/replay`, { method: 'POST', headers, body: JSON.stringify({ requested_by: 'ed@ops' }) });
    expect([first.status, await first.json()]).toEqual([200, { replayed: 1, id: named, status: 'pending' }]);
    expect((await fetch(`${base}/dead-letters/${anonymous}/replay`, { method: 'POST', headers })).status).toBe(200);
    const bad = await fetch(`${base}/dead-letters/${anonymous}/replay`, { method: 'POST', headers, body: '{"requested_by": 5}' });
    expect([bad.status, ((await bad.json()) as { error: { code: string } }).error.code]).toEqual([400, 'invalid_requested_by']);
    const recorded = (await entries('--action', 'dead_letter.replay')).slice(-2);
    expect(recorded.map((e) => [e.actor, e.via, e.details])).toEqual([
      ['ed@ops', 'admin_api', { dead_letter_ids: [named] }],
      ['status page (admin token)', 'admin_api', { dead_letter_ids: [anonymous] }],
    ]);
    const trail = await wholeTrail();
    expect(trail).not.toContain(ADMIN_TOKEN);
  });

  it('never holds a token, key or signing secret', async () => {
    const trail = await wholeTrail();
    expect(trail).toContain(connectionId);
    for (const secret of [token, signingSecret, rotatedSecret, ...keySecrets]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(trail).not.toContain(secret);
    }
  });

  it('lists newest first, filters by action prefix, time and limit, and refuses a bad filter', async () => {
    const all = await boitata('audit', 'list', '--tenant', tenant, '--json');
    const listed = JSON.parse(all.stdout) as Array<Entry & { at: string }>;
    expect(listed[0]!.action).toBe('dead_letter.replay');
    expect(listed.at(-1)!.action).toBe('tenant.create');
    const times = listed.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(JSON.parse((await boitata('audit', 'list', '--tenant', tenant, '--limit', '2', '--json')).stdout)).toHaveLength(2);
    expect(JSON.parse((await boitata('audit', 'list', '--tenant', tenant, '--since', '2099-01-01', '--json')).stdout)).toEqual([]);
    const text = await ok('audit', 'list', '--tenant', tenant, '--action', 'key.rotate');
    expect(text).toMatch(/key\.rotate/);
    expect(text).not.toMatch(/key\.create/);
    const refused = await boitata('audit', 'list', '--action', 'key; DROP TABLE');
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('--action is an action such as')]);
    expect((await boitata('audit', 'list', '--limit', '0')).code).toBe(2);
  });
});
