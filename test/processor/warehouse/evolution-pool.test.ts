// Schema evolutions and the processor's Postgres pool: an evolution holds a client for its transaction while its
// matcher asks the same pool for another. Six tables drifting at once with a slow model used to take every client
// and wait for a second one until the pool's connect timeout failed them all; evolutions are now bounded by the pool.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelClient } from '../../../processor/ai/model-client.ts';
import { AiSchemaMatcher } from '../../../processor/ai/schema-matcher.ts';
import { evolutionsAtOnce } from '../../../processor/schema/evolution-limit.ts';
import { SchemaRegistry } from '../../../processor/schema/schema-registry.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../../support/fake-openai.ts';
import { databaseUrl, db, newTenant, SCHEMA_PREFIX } from './support.ts';

const POOL_SIZE = 4;
const MODEL_TIMEOUT_MS = 1_000;
const path = join(tmpdir(), `boitata-evolutions-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);
let fake: FakeOpenAi;
// The processor's pool as small as it was (4), with a short connect timeout so a starved client fails fast.
const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE, connectionTimeoutMillis: 3_000 });
const warehouse = new DuckDbWarehouse({ path, schemaPrefix: SCHEMA_PREFIX });

beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  await warehouse.close();
  await pool.end();
  await db.end();
  await fake.close();
  rmSync(path, { force: true });
});

const fields = (entries: Record<string, unknown>) => new Map(Object.entries(entries).map(([name, value]) => [name, [value]]));

describe('schema evolutions and the pool', () => {
  it('six tables drifting at once with a model that times out all evolve: none starves for a client', async () => {
    const model = new ModelClient({ baseUrl: fake.url, apiKey: 'test-key', model: 'fake-slow', timeoutMs: MODEL_TIMEOUT_MS });
    const matcher = new AiSchemaMatcher(pool, model, { threshold: 0.8, sendSamples: false, callsPerTenantPerDay: 1_000 });
    const registry = new SchemaRegistry({ pool, poolSize: POOL_SIZE, warehouse, matcher });
    const tenant = await newTenant();
    const tables = Array.from({ length: 6 }, (_, i) => `drift_${i}`);
    for (const table of tables) {
      await registry.prepare(tenant, table, [fields({ id: 1, phone: '+5581999990001', email: 'ana@example.com', nickname: 'Ana' })], randomUUID());
    }

    fake.mode = 'slow'; // answers after 10 s: every question waits for the model's timeout
    const asked = fake.requests.length;
    const started = Date.now();
    const drifted = fields({ id: 2, celular: '+5581999990002', birth_place: 'Olinda', apelido: 'Bia' });
    const outcomes = await Promise.allSettled(tables.map((table) => registry.prepare(tenant, table, [drifted], randomUUID())));
    const seconds = (Date.now() - started) / 1000;

    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message)] : []));
    expect(failures).toEqual([]);
    expect(fake.requests.length - asked).toBe(6); // each table asked the model once
    for (const outcome of outcomes) {
      const schema = (outcome as PromiseFulfilledResult<Awaited<ReturnType<SchemaRegistry['prepare']>>>).value;
      // celular → phone by the dictionary; the model could not say what apelido and birth_place are: new columns.
      expect([...schema.columns.keys()].sort()).toEqual(['apelido', 'birth_place', 'email', 'id', 'nickname', 'phone']);
    }
    // One evolution at a time for a pool of 4 (two clients each, two kept for the queue): six model timeouts in a row.
    expect(evolutionsAtOnce(POOL_SIZE)).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual((6 * MODEL_TIMEOUT_MS) / 1000 - 0.5);
  });

  it('the pool keeps clients for the queue while evolutions run', () => {
    expect([4, 6, 10, 16].map(evolutionsAtOnce)).toEqual([1, 2, 4, 7]);
  });
});
