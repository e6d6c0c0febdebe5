// The self-learning schema end to end: typos, the AI matcher (the real `openai` client against an
// OpenAI-compatible stand-in), new columns, PII hashed on ingestion and in place — in real Postgres, on DuckDB
// and on Trino/Iceberg.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ModelClient } from '../../../processor/ai/model-client.ts';
import { AiSchemaMatcher } from '../../../processor/ai/schema-matcher.ts';
import { JobWorker } from '../../../processor/enrichment/job-worker.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../../support/fake-openai.ts';
import { db, describeEachWarehouse, newConnection, piiHash, push, queueStatus, silentLog, testHasher, type TestWarehouse } from './support.ts';

let fake: FakeOpenAi;
let model: ModelClient;
const matcher = (threshold = 0.8) => new AiSchemaMatcher(db, model, { threshold, sendSamples: false, callsPerTenantPerDay: 100 });
const jobs = (wh: TestWarehouse, tenant: string) =>
  new JobWorker({
    pool: db,
    warehouse: wh.create(),
    model,
    hasher: testHasher,
    log: silentLog,
    tenants: [tenant],
    pollIntervalMs: 50,
    sweepAgainAfterSeconds: 0,
  });
async function workJobs(wh: TestWarehouse, tenant: string): Promise<void> {
  const worker = jobs(wh, tenant);
  while (await worker.runOnce());
}

beforeAll(async () => {
  fake = await startFakeOpenAi();
  model = new ModelClient({ baseUrl: fake.url, apiKey: 'test-key', model: 'fake-matcher-1', timeoutMs: 2000 });
});
afterAll(async () => {
  await fake.close();
  await db.end();
});

describeEachWarehouse('self-learning schema', (wh) => {
  const tableName = wh.table;
  const trinoQuery = wh.query;
  const testProcessor = wh.processor;
  const columnsOf = async (tenant: string, table: string) =>
    Object.keys(await wh.columnTypes(tenant, table))
      .filter((name) => !name.startsWith('_boitata_'))
      .sort();

  it('lands a typo (phnoe) in phone without asking the model, and keeps id and ip apart', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant], { matcher: matcher() });
    await push(conn, [{ id: 1, phone: '+5581999990001', city: 'Recife' }], 'contacts');
    await processor.drain();
    const before = fake.requests.length;
    await push(conn, [{ id: 2, phnoe: '+5581999990002', city: 'Olinda' }], 'contacts');
    // ip comes with phone filled: the only column it leaves unfilled (id) cannot hold text, so no model is asked.
    // (Resolution is per message: alone, `{ip, city}` would offer the unfilled phone to the model.)
    await push(conn, [{ ip: '10.0.0.7', phone: '+5581999990003', city: 'Natal' }], 'contacts');
    await processor.drain();

    expect(fake.requests.length).toBe(before);
    expect(await columnsOf(conn.tenant, 'contacts')).toEqual(['city', 'id', 'ip', 'phone']);
    expect(await trinoQuery(`SELECT id, phone, ip FROM ${tableName(conn.tenant, 'contacts')} ORDER BY city`)).toEqual([
      { id: null, phone: piiHash(conn.tenant, '+5581999990003'), ip: '10.0.0.7' },
      { id: 2, phone: piiHash(conn.tenant, '+5581999990002'), ip: null },
      { id: 1, phone: piiHash(conn.tenant, '+5581999990001'), ip: null },
    ]);
    const { rows } = await db.query('SELECT alias, column_name, decided_by, evidence FROM boitata_aliases WHERE tenant_id = $1', [conn.tenant]);
    expect(rows).toEqual([{ alias: 'phnoe', column_name: 'phone', decided_by: 'typo', evidence: { distance: 2 } }]);
  });

  it('asks the model when more than 2 fields are new: celular lands in phone, birth_place becomes a column; sends no sample values', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant], { matcher: matcher() });
    await push(conn, [{ id: 1, phone: '+5581999990001', email: 'ana@example.com', nickname: 'Ana' }], 'customers');
    await processor.drain();
    fake.matches.set('celular', { column: 'phone', confidence: 0.95 });
    fake.matches.set('apelido', { column: 'nickname', confidence: 0.5 }); // below the threshold: a new column
    const before = fake.requests.length;
    await push(conn, [{ id: 2, celular: '+5581999990002', birth_place: 'Olinda', apelido: 'Bia' }], 'customers');
    await processor.drain();

    const asked = fake.requests.slice(before).filter((r) => r.schema === 'schema_matches');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toEqual({
      model: 'fake-matcher-1',
      schema: 'schema_matches',
      question: {
        table: 'customers',
        columns: [
          { name: 'email', type: 'varchar' },
          { name: 'nickname', type: 'varchar' },
          { name: 'phone', type: 'varchar' },
        ],
        fields: [
          { name: 'apelido', type: 'varchar' },
          { name: 'birth_place', type: 'varchar' },
          { name: 'celular', type: 'varchar' },
        ],
      },
    });
    expect(JSON.stringify(asked[0])).not.toContain('Olinda');
    expect(await columnsOf(conn.tenant, 'customers')).toEqual(['apelido', 'birth_place', 'email', 'id', 'nickname', 'phone']);
    expect(await trinoQuery(`SELECT phone, birth_place, apelido FROM ${tableName(conn.tenant, 'customers')} WHERE id = 2`)).toEqual([
      { phone: piiHash(conn.tenant, '+5581999990002'), birth_place: 'Olinda', apelido: 'Bia' },
    ]);
    const { rows } = await db.query('SELECT alias, column_name, decided_by, evidence FROM boitata_aliases WHERE tenant_id = $1', [conn.tenant]);
    expect(rows).toEqual([{ alias: 'celular', column_name: 'phone', decided_by: 'model', evidence: { model: 'fake-matcher-1', confidence: 0.95 } }]);

    // The same question is never asked twice (another table with the same columns and fields is another question).
    const again = await matcher().decide(
      conn.tenant,
      'customers',
      [
        { name: 'celular', type: 'varchar', samples: [] },
        { name: 'birth_place', type: 'varchar', samples: [] },
        { name: 'apelido', type: 'varchar', samples: [] },
      ],
      [
        { logical: 'phone', physical: 'phone', type: 'varchar' },
        { logical: 'email', physical: 'email', type: 'varchar' },
        { logical: 'nickname', physical: 'nickname', type: 'varchar' },
      ],
    );
    expect(again.decisions.map((d) => d.column)).toEqual(['phone']);
    expect(fake.requests.slice(before).filter((r) => r.schema === 'schema_matches')).toHaveLength(1);
  });

  it('keeps ingesting when the model is down: the dictionary decides what it can, the rest become columns, nothing is lost', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant], { matcher: matcher() });
    await push(conn, [{ id: 1, phone: '+5581999990001', team: 'a' }], 'leads');
    await processor.drain();
    fake.mode = 'down';
    try {
      await push(conn, [{ id: 2, celular: '+5581999990002', shoe_size: 41, favourite: 'blue' }], 'leads');
      await processor.drain();
    } finally {
      fake.mode = 'ok';
    }
    expect(await queueStatus(conn.tenant)).toEqual({ done: 2 });
    expect(await trinoQuery(`SELECT phone, shoe_size, favourite FROM ${tableName(conn.tenant, 'leads')} WHERE id = 2`)).toEqual([
      { phone: piiHash(conn.tenant, '+5581999990002'), shoe_size: 41, favourite: 'blue' },
    ]);
    const { rows } = await db.query('SELECT alias, decided_by FROM boitata_aliases WHERE tenant_id = $1', [conn.tenant]);
    expect(rows).toEqual([{ alias: 'celular', decided_by: 'dictionary' }]);
  });

  it('hashes PII on ingestion (by name and by value shape) and, when the model flags a column later, hashes its rows in place', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant], { matcher: matcher() });
    await push(
      conn,
      [
        { id: 1, email: 'ana@example.com', contact: '+5581999990001', nickname: 'Aninha', plan: 'pro' },
        { id: 2, email: 'bia@example.com', contact: '+5581999990002', nickname: 'Bibi', plan: 'free' },
      ],
      'members',
    );
    await processor.drain();
    const table = tableName(conn.tenant, 'members');
    expect(await trinoQuery(`SELECT email, contact, nickname FROM ${table} ORDER BY id`)).toEqual([
      { email: piiHash(conn.tenant, 'ana@example.com'), contact: piiHash(conn.tenant, '+5581999990001'), nickname: 'Aninha' },
      { email: piiHash(conn.tenant, 'bia@example.com'), contact: piiHash(conn.tenant, '+5581999990002'), nickname: 'Bibi' },
    ]);

    fake.facts.set('nickname', { description: 'What the member likes to be called.', tags: ['person'], pii: true });
    fake.facts.set('plan', { description: 'The subscription plan.', tags: ['billing'], pii: false });
    await workJobs(wh, conn.tenant);
    await push(conn, [{ id: 3, email: 'cy@example.com', contact: '+5581999990003', nickname: 'Cy', plan: 'pro' }], 'members');
    await processor.drain();
    await workJobs(wh, conn.tenant);

    const rows = await trinoQuery(`SELECT id, nickname FROM ${table} ORDER BY id`);
    expect(rows).toEqual([1, 2, 3].map((id, i) => ({ id, nickname: piiHash(conn.tenant, ['Aninha', 'Bibi', 'Cy'][i]) })));
    const plaintext = await trinoQuery(
      `SELECT count(*) AS n FROM ${table} WHERE nickname IN ('Aninha', 'Bibi', 'Cy') OR email LIKE '%@%' OR contact LIKE '+%'`,
    );
    expect(plaintext).toEqual([{ n: 0 }]);
    const { rows: catalog } = await db.query(
      `SELECT logical_name, pii, pii_source, description, tags FROM boitata_columns WHERE tenant_id = $1 AND table_name = 'members' ORDER BY 1`,
      [conn.tenant],
    );
    expect(catalog).toEqual([
      { logical_name: 'contact', pii: true, pii_source: 'values', description: 'The contact of the record.', tags: [] },
      { logical_name: 'email', pii: true, pii_source: 'name', description: 'The email of the record.', tags: [] },
      { logical_name: 'id', pii: false, pii_source: null, description: 'The id of the record.', tags: [] },
      { logical_name: 'nickname', pii: true, pii_source: 'model', description: 'What the member likes to be called.', tags: ['person'] },
      { logical_name: 'plan', pii: false, pii_source: null, description: 'The subscription plan.', tags: ['billing'] },
    ]);
    expect(await wh.columnComment(conn.tenant, 'members', 'plan')).toBe('The subscription plan.');
    // The model's late flag moved the version and left its history row: every version has one.
    const { rows: history } = await db.query(
      `SELECT v.version, v.changes, t.schema_version FROM boitata_schema_versions v JOIN boitata_tables t USING (tenant_id, table_name)
        WHERE tenant_id = $1 AND table_name = 'members' ORDER BY v.version`,
      [conn.tenant],
    );
    expect(history.map((r) => r.changes)).toContainEqual([{ kind: 'flag_pii', column: 'nickname', source: 'model' }]);
    expect(history.map((r) => r.version)).toEqual(history.map((_, i) => i + 1));
    expect(history.at(-1)?.schema_version).toBe(history.length);
  });
});
