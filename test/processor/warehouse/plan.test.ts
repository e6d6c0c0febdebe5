// `boitata plan` / POST /admin/plan on both warehouses: a first payload lands through the real pipeline (edge, queue,
// processor), then a drifting one is planned — typo and dictionary aliases, the model's question, a rescued value —
// and nothing changes: the catalog tables, the model's answer cache and usage, the jobs, the warehouse table and its
// rows are the same before and after. The admin API answers the same plan; --ask-model asks once and caches.
import type { Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminRoutes } from '../../../processor/admin/admin-routes.ts';
import { ModelClient } from '../../../processor/ai/model-client.ts';
import { AiSchemaMatcher } from '../../../processor/ai/schema-matcher.ts';
import { planReportJson } from '../../../processor/governance/plan-report.ts';
import { planPayload } from '../../../processor/governance/plan-run.ts';
import { startHttpServer } from '../../../processor/http-server.ts';
import { ProcessorMetrics } from '../../../processor/metrics.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../../support/fake-openai.ts';
import { db, describeEachWarehouse, newConnection, push, silentLog, testHasher, type TestWarehouse } from './support.ts';

const ADMIN_TOKEN = 'plan-test-admin-token-0123456789';
const CATALOG_TABLES = [
  'boitata_tables',
  'boitata_columns',
  'boitata_aliases',
  'boitata_schema_versions',
  'boitata_model_answers',
  'boitata_model_usage',
  'boitata_jobs',
  'boitata_policies',
];

let fake: FakeOpenAi;
const servers: Server[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  fake.matches.set('nome_cliente', { column: 'customer_name', confidence: 0.95 });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await fake.close();
  await db.end();
});

const matcher = () =>
  new AiSchemaMatcher(db, new ModelClient({ baseUrl: fake.url, apiKey: 'test-key', model: 'fake-matcher-plan', timeoutMs: 2000 }), {
    threshold: 0.8,
    sendSamples: false,
    callsPerTenantPerDay: 100,
  });

/** Every catalog row of the tenant (as JSON, sorted) and the warehouse table's columns, rows and the tenant's tables. */
async function snapshot(wh: TestWarehouse, tenant: string, table: string) {
  const catalog: Record<string, string[]> = {};
  for (const name of CATALOG_TABLES) {
    const { rows } = await db.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${name} t WHERE tenant_id = $1`, [tenant]);
    catalog[name] = rows.map((r) => JSON.stringify(r.row)).sort();
  }
  const [count] = await wh.query(`SELECT count(*) AS n FROM ${wh.table(tenant, table)}`);
  return { catalog, columns: await wh.columnTypes(tenant, table), rows: Number(count!['n']), tables: await wh.tables(tenant) };
}

async function serve(wh: TestWarehouse): Promise<string> {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    pool: db,
    metrics: new ProcessorMetrics(db),
    staleAfterMs: 60_000,
    adminToken: ADMIN_TOKEN,
    piiHasher: testHasher,
    health: { sinceLastIteration: () => 0, lastError: () => null },
    adminRoutes: adminRoutes({ pool: db, warehouse: wh.create(), hasher: testHasher, matcher: matcher(), log: silentLog }),
  });
  servers.push(server);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

async function postPlan(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/admin/plan`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describeEachWarehouse('boitata plan: a dry run of a payload', (wh) => {
  it('plans a drifting payload, the admin API answers the same plan, and nothing changes anywhere', async () => {
    const conn = await newConnection();
    const processor = wh.processor([conn.tenant]);
    await push(conn, [{ id: 1, customer_name: 'Ana', phone: '+5581999990001', age: 30, score: 5 }], 'customers');
    await processor.drain();
    const before = await snapshot(wh, conn.tenant, 'customers');
    expect(before.rows).toBe(1);
    const deps = { pool: db, warehouse: wh.create(), hasher: testHasher, matcher: matcher() };
    const requests = fake.requests.length;

    // Two new fields: the typo rule and the dictionary decide, no model; a value that does not fit is rescued.
    const drifting = [{ id: 2, custmer_name: 'Bia', telefone: '+5581999990002', age: 'forty', score: 6 }];
    const report = await planPayload(deps, { tenant: conn.tenant, table: 'customers', payload: drifting, askModel: false });
    expect(report.table_registered && report.table_in_warehouse).toBe(true);
    expect(report.plan.aliases.map((a) => [a.field, a.column, a.decidedBy])).toEqual([
      ['custmer_name', 'customer_name', 'typo'],
      ['telefone', 'phone', 'dictionary'],
    ]);
    expect(report.plan.columns).toEqual([]);
    expect(report.rescued).toEqual([{ row: 0, field: 'age', value: 'forty', reason: expect.any(String) }]);
    expect(JSON.stringify(planReportJson(report))).not.toContain('+5581999990002');

    // Three new fields: the model's question, not asked (no cached answer): they show as new columns.
    const manyNew = [{ id: 3, nome_cliente: 'Caio', fone: 'x', anos: 7 }];
    const question = await planPayload(deps, { tenant: conn.tenant, table: 'customers', payload: manyNew, askModel: false });
    expect(question.model.status).toBe('not_asked');
    expect(question.model.fields.map((f) => f.name).sort()).toEqual(['anos', 'fone', 'nome_cliente']);
    expect(question.plan.columns.map((c) => c.logical).sort()).toEqual(['anos', 'fone', 'nome_cliente']);
    expect(fake.requests.length).toBe(requests);

    // The admin API: the same plan, and its refusals with what to fix.
    const url = await serve(wh);
    const answered = await postPlan(url, { requested_by: 'plan test', tenant: conn.tenant, table: 'customers', payload: drifting });
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual(planReportJson(report));
    const refusals: Array<[unknown, string]> = [
      [{ tenant: conn.tenant, table: 'customers', payload: drifting }, 'requested_by_required'],
      [{ requested_by: 'x', tenant: 'no-such-tenant', table: 'customers', payload: drifting }, 'unknown_tenant'],
      [{ requested_by: 'x', tenant: conn.tenant, table: 'bad table!', payload: drifting }, 'invalid_payload'],
      [{ requested_by: 'x', tenant: conn.tenant, table: 'customers' }, 'invalid_request'],
    ];
    for (const [body, code] of refusals) {
      const refused = await postPlan(url, body);
      expect([refused.status, refused.body['error']]).toEqual([400, code]);
      expect(String(refused.body['message'])).not.toMatch(/\n\s+at /);
    }

    expect(await snapshot(wh, conn.tenant, 'customers')).toEqual(before);

    // --ask-model: asks once (and caches, as the processor would); the next plan finds the cached answer.
    const asked = await planPayload(deps, { tenant: conn.tenant, table: 'customers', payload: manyNew, askModel: true });
    expect(fake.requests.length).toBe(requests + 1);
    expect(asked.model.status).toBe('asked');
    expect(asked.wrote).toHaveLength(1);
    expect(asked.plan.aliases.map((a) => [a.field, a.column, a.decidedBy])).toEqual([['nome_cliente', 'customer_name', 'model']]);
    const cached = await planPayload(deps, { tenant: conn.tenant, table: 'customers', payload: manyNew, askModel: false });
    expect(cached.model.status).toBe('cached');
    expect(cached.plan.aliases).toEqual(asked.plan.aliases);
    expect(fake.requests.length).toBe(requests + 1);
    const after = await snapshot(wh, conn.tenant, 'customers');
    expect({ ...after.catalog, boitata_model_answers: [], boitata_model_usage: [] }).toEqual({
      ...before.catalog,
      boitata_model_answers: [],
      boitata_model_usage: [],
    });
    expect(after.rows).toBe(before.rows);
  });
});
