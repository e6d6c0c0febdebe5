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
import { failAbandonedErasures, startHeartbeat } from '../../../processor/governance/erasure-receipts.ts';
import { erasureRoutes } from '../../../processor/governance/erasure-routes.ts';
import { parseMatchTexts } from '../../../processor/governance/erasure-match.ts';
import { openErasure, planErasure, runErasure, type ErasureReport } from '../../../processor/governance/erasure-run.ts';
import { setPolicy } from '../../../processor/governance/policies.ts';
import { quarantineTableName } from '../../../processor/governance/quarantine-table.ts';
import { bumpVersion, insertAliases } from '../../../processor/schema/catalog-sql.ts';
import { db, describeEachWarehouse, duckDbWarehouse, newConnection, piiHash, push, silentLog, testHasher, webhook, type TestWarehouse } from './support.ts';
import { WarehouseError, type HashMatch } from '../../../processor/warehouse/warehouse.ts';

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

describeEachWarehouse('erasure in quarantine tables', (wh) => {
  it("deletes the subject's quarantined rows (their flattened JSON quotes the hash), counts and purges them, keeps the others", async () => {
    const conn = await newConnection();
    const tenant = conn.tenant;
    const processor = wh.processor([tenant]);
    await push(conn, [{ id: 1, email: BOB }], 'members');
    await processor.drain();
    await setPolicy(db, tenant, 'members', { contract: 'quarantine' }, 'erasure test');
    await push(
      conn,
      [
        { id: 2, email: ANA, coupon: 'SAVE10' }, // a new field: quarantined whole, the e-mail hashed
        { id: 3, email: BOB, coupon: 'SAVE20' }, // quarantined, another subject
        { id: 4, email: ANA }, // fits: lands in the table
      ],
      'members',
    );
    await processor.drain();
    const quarantine = quarantineTableName('members');
    const ana = piiHash(tenant, ANA);
    const quarantined = async () =>
      (await wh.query(`SELECT _boitata_row FROM ${wh.table(tenant, quarantine)} ORDER BY _boitata_row_id`)).map((r) => String(r['_boitata_row']));
    expect((await quarantined()).filter((row) => row.includes(`"${ana}"`))).toHaveLength(1);

    const dry = await erase(wh, tenant, [`email=${ANA}`], true);
    expect(dry.warehouse).toEqual([
      { table: 'members', columns: ['email'], rows: 1 },
      { table: quarantine, columns: ['_boitata_row'], rows: 1 },
    ]);
    expect(dry.warehouse_rows).toBe(2);
    expect(await quarantined()).toHaveLength(2);

    const report = await erase(wh, tenant, [`email=${ANA}`]);
    expect(report).toMatchObject({ status: 'done', problems: [], warehouse_rows: 2, warehouse: dry.warehouse });
    expect(report.purge.map((p) => [p.table, p.purged])).toEqual([
      ['members', true],
      [quarantine, true],
    ]);
    const left = await quarantined();
    expect(left).toHaveLength(1);
    expect(JSON.parse(left[0]!)).toMatchObject({ id: 3, email: piiHash(tenant, BOB) });
    expect(await wh.query(`SELECT id FROM ${wh.table(tenant, 'members')} ORDER BY id`)).toEqual([{ id: 1 }]);
    expect((await erase(wh, tenant, [`email=${ANA}`])).warehouse).toEqual([{ table: 'members', columns: ['email'], rows: 0 }]);
  });
});

describeEachWarehouse('erasure with a table the warehouse refuses', (wh) => {
  it('reports the refused table (as a format-v1 Iceberg table is), still erases the others, and ends failed', async () => {
    const conn = await newConnection();
    const tenant = conn.tenant;
    await push(conn, [{ id: 1, email: ANA }], 'alpha');
    await push(conn, [{ id: 2, email: ANA }], 'beta');
    await wh.processor([tenant]).drain();
    const plan = await planErasure(db, testHasher, {
      tenantId: tenant,
      matches: parseMatchTexts([`email=${ANA}`]),
      dryRun: false,
      requestedBy: 'DPO',
      via: 'cli',
    });
    const id = await openErasure(db, plan);
    const real = wh.create();
    // The real adapter, except that it refuses row-level deletes on `alpha` as Trino refuses them on a format-v1 table.
    const refusing = new Proxy(real, {
      get(target, name) {
        if (name === 'deleteMatching') {
          return (ref: { table: string }, match: HashMatch) =>
            ref.table === 'alpha'
              ? Promise.reject(new WarehouseError('permanent', 'iceberg_format_v1', 'alpha is Iceberg format v1: row-level deletes need format version 2'))
              : target.deleteMatching(ref as never, match);
        }
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    try {
      const report = await runErasure({ db, warehouse: refusing, hasher: testHasher }, plan, id);
      expect(report.status).toBe('failed');
      expect(report.problems).toEqual([expect.stringMatching(/^alpha: not erased: .*format version 2/)]);
      expect(report.warehouse.map((t) => [t.table, t.rows])).toEqual([
        ['alpha', 0],
        ['beta', 1],
      ]);
    } finally {
      await real.close();
    }
    expect(await rowsByHash(wh, tenant, 'beta', piiHash(tenant, ANA))).toBe(0);
    expect(await rowsByHash(wh, tenant, 'alpha', piiHash(tenant, ANA))).toBe(1);
    const { rows } = await db.query<{ status: string }>('SELECT status FROM boitata_erasures WHERE id = $1', [id]);
    expect(rows[0]!.status).toBe('failed');
  });
});

describeEachWarehouse('erasure markers', (wh) => {
  it("a sender's own text that looks like an erasure marker is data: its row lands (only payloads an erasure rewrote skip marker rows)", async () => {
    const conn = await newConnection();
    await push(
      conn,
      [
        { id: 1, note: `boitata:erased:${'a'.repeat(64)}` },
        { id: 2, note: 'x' },
      ],
      'notes',
    );
    await wh.processor([conn.tenant]).drain();
    expect(await wh.query(`SELECT id FROM ${wh.table(conn.tenant, 'notes')} ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe('erasure on the admin API [DuckDB]', () => {
  const TOKEN = 'admin-token-for-erasure-tests-0123456789';
  const warehouse = duckDbWarehouse.create();
  const routes = erasureRoutes({ pool: db, warehouse, hasher: testHasher, matcher: null, log: silentLog, processorId: 'erasure-test-processor' });
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
      expect(receipt.body).toMatchObject({
        status: 'done',
        via: 'admin_api',
        requested_by: 'DPO ticket 9',
        dry_run: false,
        report: { warehouse_rows: 1 },
        processor_id: 'erasure-test-processor',
      });
      expect(receipt.text).not.toContain(ANA);
      const left = await duckDbWarehouse.query(`SELECT id FROM ${duckDbWarehouse.table(conn.tenant, 'signups')} ORDER BY id`);
      expect(left.map((r) => Number(r['id']))).toEqual([2]);
      expect((await call('GET', `/admin/erasures/${randomUUID()}`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a processor's start fails only the admin erasures no live processor runs: its own earlier ones and stale ones", async () => {
    const conn = await newConnection();
    const me = `processor-${randomUUID()}`;
    const receipt = async (name: string, via: 'admin_api' | 'cli', owner: string | null, heartbeatSecondsAgo: number) => {
      const id = randomUUID();
      await db.query(
        `INSERT INTO boitata_erasures (id, tenant_id, requested_by, via, dry_run, match, processor_id, heartbeat_at, started_at)
         VALUES ($1, $2, $3, $4, false, '[]', $5, now() - make_interval(secs => $6), now() - interval '1 hour')`,
        [id, conn.tenant, name, via, owner, heartbeatSecondsAgo],
      );
    };
    await receipt('another live processor', 'admin_api', `processor-${randomUUID()}`, 5);
    await receipt('a processor silent for 3 minutes', 'admin_api', `processor-${randomUUID()}`, 180);
    await receipt('this processor before its restart', 'admin_api', me, 5);
    await receipt('the CLI', 'cli', null, 600);
    expect(await failAbandonedErasures(db, me)).toBeGreaterThanOrEqual(2);
    const { rows } = await db.query<{ requested_by: string; status: string; report: { problems?: string[] } }>(
      `SELECT requested_by, status, report FROM boitata_erasures WHERE tenant_id = $1 ORDER BY requested_by`,
      [conn.tenant],
    );
    expect(rows.map((r) => [r.requested_by, r.status])).toEqual([
      ['a processor silent for 3 minutes', 'failed'],
      ['another live processor', 'running'],
      ['the CLI', 'running'],
      ['this processor before its restart', 'failed'],
    ]);
    expect(rows[0]!.report.problems?.[0]).toMatch(/processor running this erasure stopped before it finished/);
  });

  it('an admin erasure names its processor and refreshes its heartbeat while it runs', async () => {
    const conn = await newConnection();
    await push(conn, [{ id: 1, email: ANA }], 'signups');
    await duckDbWarehouse.processor([conn.tenant]).drain();
    const plan = await planErasure(db, testHasher, {
      tenantId: conn.tenant,
      matches: parseMatchTexts([`email=${ANA}`]),
      dryRun: true,
      requestedBy: 'heartbeat test',
      via: 'admin_api',
    });
    const id = await openErasure(db, plan, 'processor-heartbeat-test');
    const read = async () =>
      (
        await db.query<{ processor_id: string; heartbeat_at: Date; status: string }>(
          `SELECT processor_id, heartbeat_at, status FROM boitata_erasures WHERE id = $1`,
          [id],
        )
      ).rows[0]!;
    const opened = await read();
    expect(opened.processor_id).toBe('processor-heartbeat-test');
    // The heartbeat alone (what runErasure starts), then a whole run with a short beat.
    const stop = startHeartbeat(db, id, 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();
    const beaten = await read();
    expect(beaten.heartbeat_at.getTime()).toBeGreaterThan(opened.heartbeat_at.getTime());
    await db.query(`UPDATE boitata_erasures SET heartbeat_at = now() - interval '10 minutes' WHERE id = $1`, [id]);
    const warehouse = duckDbWarehouse.create();
    try {
      expect(await runErasure({ db, warehouse, hasher: testHasher, heartbeatMs: 1 }, plan, id)).toMatchObject({ status: 'done' });
    } finally {
      await warehouse.close();
    }
    expect((await read()).heartbeat_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  afterAll(() => warehouse.close());
});
