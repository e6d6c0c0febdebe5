// Erasure by data subject end to end, on DuckDB and Trino/Iceberg: a subject pushed through the real Worker into three
// tables (one through an alias, one only in the rescue column), a dead letter quoting the value and a message still
// pending; another tenant with the same e-mail. After the erasure: no row by hash anywhere, the others untouched, the
// pending message landing without the subject's row, no plaintext in the queue, dead letters, receipt or audit; a
// second run finds nothing; a dry run changes nothing; on Trino, time travel to before finds nothing.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../../database/with-transaction.ts';
import { createAdminRouter } from '../../../processor/admin/admin-router.ts';
import { failAbandonedErasures } from '../../../processor/governance/erasure-receipts.ts';
import { erasureRoutes } from '../../../processor/governance/erasure-routes.ts';
import { parseMatchTexts } from '../../../processor/governance/erasure-match.ts';
import { openErasure, planErasure, runErasure, type ErasureReport } from '../../../processor/governance/erasure-run.ts';
import { bumpVersion, insertAliases } from '../../../processor/schema/catalog-sql.ts';
import { db, describeEachWarehouse, duckDbWarehouse, newConnection, piiHash, push, silentLog, testHasher, webhook, type TestWarehouse } from './support.ts';

afterAll(() => db.end());

const ANA = 'ana.erasure@example.com';
const BOB = 'bob.kept@example.com';

async function addAlias(tenant: string, table: string, field: string, column: string): Promise<void> {
  await withTransaction(db, async (client) => {
    const evidence = { model: 'test', confidence: 0.9 };
    await insertAliases(client, tenant, table, [{ field, column, decidedBy: 'model', evidence }]);
    await bumpVersion(client, tenant, table, [{ kind: 'add_alias', alias: field, column, decided_by: 'model', evidence }], null);
  });
}

async function erase(wh: TestWarehouse, tenant: string, matches: string[], dryRun = false): Promise<ErasureReport> {
  const plan = await planErasure(db, testHasher, { tenantId: tenant, matches: parseMatchTexts(matches), dryRun, requestedBy: 'DPO ticket 42', via: 'cli' });
  const id = await openErasure(db, plan);
  const warehouse = wh.create();
  try {
    return await runErasure({ db, warehouse, hasher: testHasher }, plan, id);
  } finally {
    await warehouse.close();
  }
}

/** Everything of the tenant that an erasure may change, as text: warehouse rows, queue payloads and errors, dead letters. */
async function state(wh: TestWarehouse, tenant: string): Promise<string> {
  const tables: Record<string, unknown> = {};
  for (const table of ['signups', 'contacts', 'leads']) {
    tables[table] = await wh.query(`SELECT * FROM ${wh.table(tenant, table)} ORDER BY _boitata_message_id, _boitata_row_id`);
  }
  const queue = await db.query(`SELECT id, status, payload::text, last_error FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id`, [tenant]);
  const letters = await db.query(`SELECT id, reason FROM boitata_dead_letters WHERE tenant_id = $1 ORDER BY id`, [tenant]);
  return JSON.stringify({ tables, queue: queue.rows, letters: letters.rows }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

async function rowsByHash(wh: TestWarehouse, tenant: string, table: string, hash: string): Promise<number> {
  const [row] = await wh.query(`SELECT count(*) AS n FROM ${wh.table(tenant, table)} WHERE email = '${hash}' OR _boitata_rescue LIKE '%${hash}%'`);
  return Number(row!['n']);
}

describeEachWarehouse('erasure by data subject', (wh) => {
  it('erases a subject from three tables (alias, rescue), the queue and a dead letter, and nothing else', async () => {
    const conn = await newConnection();
    const other = await newConnection();
    const tenant = conn.tenant;
    const processor = wh.processor([tenant, other.tenant]);
    await push(
      conn,
      [
        { id: 1, email: ANA, plan: 'pro' },
        { id: 2, email: BOB, plan: 'free' },
      ],
      'signups',
    );
    await push(conn, [{ id: 1, email: BOB }], 'contacts');
    await push(conn, [{ id: 1, email: BOB }], 'leads');
    await webhook(conn, 'members', { member: 7, email: BOB }, { 'x-item-key': 'member' });
    await push(other, [{ id: 1, email: ANA }], 'signups');
    await processor.drain();
    // contacts: the subject only through the alias e_mail; leads: only in the rescue column (email already filled).
    await addAlias(tenant, 'contacts', 'e_mail', 'email');
    await addAlias(tenant, 'leads', 'e_mail', 'email');
    await push(
      conn,
      [
        { id: 2, e_mail: ANA },
        { id: 3, e_mail: BOB },
      ],
      'contacts',
    );
    await push(conn, [{ id: 2, email: 'team@shop.example', e_mail: ANA }], 'leads');
    // A dead letter quoting the value: an item key that does not fit its bigint key column.
    await webhook(conn, 'members', { member: ANA, email: ANA }, { 'x-item-key': 'member' });
    await processor.drain();
    const ana = piiHash(tenant, ANA);
    expect(await rowsByHash(wh, tenant, 'leads', ana)).toBe(1);
    const [lead] = await wh.query(`SELECT email FROM ${wh.table(tenant, 'leads')} WHERE id = 2`);
    expect(lead!['email']).toBe(piiHash(tenant, 'team@shop.example'));
    const letters = await db.query<{ reason: string }>(`SELECT reason FROM boitata_dead_letters WHERE tenant_id = $1`, [tenant]);
    expect(letters.rows.map((r) => r.reason).join()).toContain(ANA);
    // Still pending at the erasure: it lands afterwards, without the subject's row.
    await push(
      conn,
      [
        { id: 3, email: ANA },
        { id: 4, email: 'dan@example.com' },
      ],
      'signups',
    );

    const before = await state(wh, tenant);
    const dry = await erase(wh, tenant, [`email=${ANA}`], true);
    expect(await state(wh, tenant)).toBe(before);
    expect(dry.warehouse_rows).toBe(3);

    const snapshot =
      wh.kind === 'trino'
        ? String(
            (
              await wh.query(
                `SELECT CAST(snapshot_id AS varchar) AS snapshot_id FROM iceberg."tenant_${tenant}"."signups$snapshots" ORDER BY committed_at DESC LIMIT 1`,
              )
            )[0]!['snapshot_id'],
          )
        : null;
    const travel = (id: string) => `SELECT count(*) AS n FROM ${wh.table(tenant, 'signups')} FOR VERSION AS OF ${id} WHERE email = '${ana}'`;
    if (snapshot !== null) expect(Number((await wh.query(travel(snapshot)))[0]!['n'])).toBe(1);
    const report = await erase(wh, tenant, [`email=${ANA}`]);
    expect(report.status).toBe('done');
    expect(report.problems).toEqual([]);
    expect(report.purge.map((p) => [p.table, p.purged])).toEqual([
      ['contacts', true],
      ['leads', true],
      ['signups', true],
    ]);
    expect(Object.fromEntries(report.warehouse.map((t) => [t.table, t.rows]))).toEqual({ contacts: 1, leads: 1, members: 0, signups: 1 });
    expect(report.stores.queue_messages).toEqual({ pending: 1, processing: 0, done: 3, dead: 1 });
    expect(report.stores.dead_letters).toBe(1);
    expect(report.warehouse).toEqual(dry.warehouse);

    await processor.drain();
    for (const table of ['signups', 'contacts', 'leads']) expect(await rowsByHash(wh, tenant, table, ana)).toBe(0);
    const ids = async (table: string) => (await wh.query(`SELECT id FROM ${wh.table(tenant, table)} ORDER BY id`)).map((r) => Number(r['id']));
    expect(await ids('signups')).toEqual([2, 4]);
    expect(await ids('contacts')).toEqual([1, 3]);
    expect(await ids('leads')).toEqual([1]);
    expect(await rowsByHash(wh, other.tenant, 'signups', piiHash(other.tenant, ANA))).toBe(1);
    expect(await state(wh, tenant)).not.toContain(ANA);
    const kept = await db.query(`SELECT payload::text FROM boitata_inbound_queue WHERE tenant_id = $1`, [other.tenant]);
    expect(JSON.stringify(kept.rows)).toContain(ANA);

    const receipt = await db.query(`SELECT * FROM boitata_erasures WHERE tenant_id = $1`, [tenant]);
    const audit = await db.query(`SELECT * FROM boitata_audit WHERE tenant_id = $1 AND action = 'erasure'`, [tenant]);
    expect(receipt.rows).toHaveLength(2);
    expect(audit.rows).toHaveLength(2);
    expect(JSON.stringify([receipt.rows, audit.rows])).not.toContain(ANA);
    expect(JSON.stringify(receipt.rows)).toContain(ana);

    const again = await erase(wh, tenant, [`email=${ANA}`]);
    expect(again.warehouse_rows).toBe(0);
    expect(again.stores).toEqual({
      queue_messages: { pending: 0, processing: 0, done: 0, dead: 0 },
      queue_values: 0,
      queue_errors: 0,
      dead_letters: 0,
      alias_evidence: 0,
      schema_history: 0,
      model_answers: 0,
    });

    if (snapshot !== null) {
      // Time travel to before the erasure: the snapshot is expired (an error) or, if readable, holds no such row.
      const travelled = await wh
        .query(travel(snapshot))
        .then((rows) => Number(rows[0]!['n']))
        .catch(() => 0);
      expect(travelled).toBe(0);
    }
  });
});

describe('erasure on the admin API [DuckDB]', () => {
  const TOKEN = 'admin-token-for-erasure-tests-0123456789';
  const warehouse = duckDbWarehouse.create();
  const routes = erasureRoutes({ pool: db, warehouse, hasher: testHasher, matcher: null, log: silentLog });
  const router = createAdminRouter({ adminToken: TOKEN, routes });
  let server: Server;
  let base = '';
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  it('dry run answers the report; a real one 202 then the receipt; bad input a 4xx that never quotes the value', async () => {
    server = createServer((request, response) => void router(request, response, new URL(request.url ?? '/', 'http://localhost')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const conn = await newConnection();
      await push(
        conn,
        [
          { id: 1, email: ANA },
          { id: 2, email: BOB },
        ],
        'signups',
      );
      await duckDbWarehouse.processor([conn.tenant]).drain();
      const request = { tenant: conn.tenant, match: [{ column: 'email', value: ANA }], requested_by: 'DPO ticket 9' };

      const refused = [
        await call('POST', '/admin/erasures', { ...request, requested_by: undefined }),
        await call('POST', '/admin/erasures', { ...request, match: [{ column: 'email', value: '' }] }),
        await call('POST', '/admin/erasures', { ...request, match: [{ column: 'name', value: ANA }] }),
        await call('POST', '/admin/erasures', { ...request, tenant: `${conn.tenant}-nobody` }),
      ];
      expect(refused.map((r) => [r.status, r.body['error']])).toEqual([
        [400, 'requested_by_required'],
        [400, 'match_malformed'],
        [400, 'not_a_pii_column'],
        [404, 'unknown_tenant'],
      ]);
      for (const r of refused) expect(r.text).not.toContain(ANA);

      const dry = await call('POST', '/admin/erasures', { ...request, dry_run: true });
      expect(dry).toMatchObject({ status: 200, body: { dry_run: true, warehouse_rows: 1, status: 'done' } });
      expect(dry.text).not.toContain(ANA);

      const started = await call('POST', '/admin/erasures', request);
      expect(started).toMatchObject({ status: 202, body: { status: 'running', erasure_id: expect.any(String) } });
      const id = String(started.body['erasure_id']);
      let receipt = await call('GET', `/admin/erasures/${id}`);
      for (let i = 0; i < 200 && receipt.body['status'] === 'running'; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        receipt = await call('GET', `/admin/erasures/${id}`);
      }
      expect(receipt.body).toMatchObject({ status: 'done', via: 'admin_api', requested_by: 'DPO ticket 9', dry_run: false, report: { warehouse_rows: 1 } });
      expect(receipt.text).not.toContain(ANA);
      const left = await duckDbWarehouse.query(`SELECT id FROM ${duckDbWarehouse.table(conn.tenant, 'signups')} ORDER BY id`);
      expect(left.map((r) => Number(r['id']))).toEqual([2]);
      expect((await call('GET', `/admin/erasures/${randomUUID()}`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a processor's start closes as failed the admin erasures a stopped processor left running", async () => {
    const conn = await newConnection();
    const id = randomUUID();
    await db.query(`INSERT INTO boitata_erasures (id, tenant_id, requested_by, via, dry_run, match) VALUES ($1, $2, 'x', 'admin_api', false, '[]')`, [
      id,
      conn.tenant,
    ]);
    const cli = randomUUID();
    await db.query(`INSERT INTO boitata_erasures (id, tenant_id, requested_by, via, dry_run, match) VALUES ($1, $2, 'x', 'cli', false, '[]')`, [
      cli,
      conn.tenant,
    ]);
    expect(await failAbandonedErasures(db)).toBeGreaterThanOrEqual(1);
    const { rows } = await db.query<{ id: string; status: string; report: { problems?: string[] } }>(
      `SELECT id::text, status, report FROM boitata_erasures WHERE tenant_id = $1 ORDER BY via`,
      [conn.tenant],
    );
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      [id, 'failed'],
      [cli, 'running'],
    ]);
    expect(rows[0]!.report.problems?.[0]).toMatch(/processor stopped before this erasure finished/);
  });

  afterAll(() => warehouse.close());
});
