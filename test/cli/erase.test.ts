// `boitata erase` and `boitata erasures list|show` as an operator runs them, on the processor's configuration (a DuckDB
// file landed by a real in-process processor, the processor's PII key): the errors an operator can make (exit 2, what
// to fix, the value never echoed), a dry run changing nothing, the erasure, its receipt, and a second run finding 0.
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { BatchLoader } from '../../processor/batch-loader.ts';
import { createLogger } from '../../processor/logger.ts';
import { Processor } from '../../processor/processor.ts';
import { QueueStore } from '../../processor/queue/queue-store.ts';
import { PiiHasher } from '../../processor/schema/pii-hasher.ts';
import { SchemaRegistry } from '../../processor/schema/schema-registry.ts';
import { DuckDbWarehouse } from '../../processor/warehouse/duckdb-warehouse.ts';
import { runBoitata } from './run-boitata.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
const tenant = `erase-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
const duckDbPath = join(tmpdir(), `boitata-erase-cli-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);
const PII_HASH_KEY = 'cli-erase-test-key-0123456789';
const hasher = new PiiHasher('hmac', Buffer.from(PII_HASH_KEY, 'utf8'));
const ANA = 'ana.cli@example.com';
const CAIO = 'caio.stdin@example.com';

const env = (() => {
  const { TRINO_URL: _trino, ...rest } = process.env;
  return { ...rest, DATABASE_URL: databaseUrl, DUCKDB_PATH: duckDbPath, TRINO_SCHEMA_PREFIX: 'tenant_', PII_HASH_KEY, PII_HASH_MODE: 'hmac' };
})();
const boitata = (...args: string[]) => runBoitata(args, env);
const boitataWithStdin = (stdin: string, ...args: string[]) => runBoitata(args, env, stdin);

async function enqueue(connection: string, table: string, payload: unknown): Promise<void> {
  const messageId = randomUUID();
  const rows = Array.isArray(payload) ? payload.length : 1;
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
     VALUES ($1, $2, $3::uuid, 'push', 'array', $4, $5, $6, $7, $3::uuid)`,
    [
      messageId,
      tenant,
      connection,
      table,
      JSON.stringify(payload),
      rows,
      JSON.stringify({ message_id: messageId, status: 'queued', tables: [{ table, rows }], rows }),
    ],
  );
}

beforeAll(async () => {
  await addTenant(db, { id: tenant });
  const { connection } = await addConnection(db, { tenant, name: 'shop' });
  await enqueue(connection.id, 'signups', [
    { id: 1, email: ANA },
    { id: 2, email: 'bob@example.com' },
    { id: 3, email: CAIO },
  ]);
  const warehouse = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: 'tenant_' });
  const registry = new SchemaRegistry({ pool: db, poolSize: 4, warehouse, matcher: null });
  const processor = new Processor({
    queue: new QueueStore(db, `cli-erase-${randomUUID().slice(0, 8)}`, 60, [tenant]),
    loader: new BatchLoader({ warehouse, registry, hasher }),
    log: createLogger('error', () => undefined),
    settings: { batchSize: 100, pollIntervalMs: 50, leaseSeconds: 60, maxAttempts: 3 },
  });
  await processor.drain();
  await warehouse.close();
}, 120_000);

afterAll(() => db.end());

describe('boitata erase', () => {
  it('refuses what it cannot run with exit 2, saying what to fix, never echoing the value', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['erase', '--tenant', tenant, '--match', `email=${ANA}`], /--requested-by is required/],
      [['erase', '--tenant', tenant, '--requested-by', 'ticket 1'], /--match column=value/],
      [['erase', '--tenant', tenant, '--match', 'email=', '--requested-by', 'ticket 1'], /\(email\) has no value after "="/],
      [['erase', '--tenant', tenant, '--match', ANA, '--requested-by', 'ticket 1'], /has no "="/],
      [['erase', '--tenant', `${tenant}-nobody`, '--match', `email=${ANA}`, '--requested-by', 'ticket 1'], /no tenant/],
      [['erase', '--tenant', tenant, '--match', `id=${ANA}`, '--requested-by', 'ticket 1'], /"id" is no PII column .* PII columns of .*: signups\.email/],
    ];
    for (const [args, message] of cases) {
      const result = await boitata(...args);
      expect(result, args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
      expect(result.stderr + result.stdout).not.toContain(ANA);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('dry run counts and changes nothing; the erasure deletes; a second run finds nothing; receipts hold no plaintext', async () => {
    const queueText = async () => JSON.stringify((await db.query(`SELECT payload FROM boitata_inbound_queue WHERE tenant_id = $1`, [tenant])).rows);
    const before = await queueText();
    const args = ['erase', '--tenant', tenant, '--match', `email=${ANA}`, '--requested-by', 'DPO ticket 7'];
    const dry = await boitata(...args, '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const dryReport = JSON.parse(dry.stdout) as { dry_run: boolean; warehouse_rows: number; stores: { queue_messages: Record<string, number> } };
    expect(dryReport).toMatchObject({ dry_run: true, warehouse_rows: 1, stores: { queue_messages: { done: 1 } } });
    expect(await queueText()).toBe(before);
    expect(dry.stdout).not.toContain(ANA);

    const real = await boitata(...args);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/Erased 1 warehouse row/);
    expect(real.stdout + real.stderr).not.toContain(ANA);
    expect(await queueText()).not.toContain(ANA);
    expect(await queueText()).toContain('bob@example.com');

    const again = await boitata(...args, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ warehouse_rows: 0, stores: { queue_values: 0, dead_letters: 0 } });

    const list = await boitata('erasures', 'list', '--tenant', tenant, '--json');
    const receipts = JSON.parse(list.stdout) as Array<{ id: string; dry_run: boolean; status: string; match: Array<{ column: string; hash: string }> }>;
    expect(receipts.map((r) => [r.dry_run, r.status])).toEqual([
      [false, 'done'],
      [false, 'done'],
      [true, 'done'],
    ]);
    expect(receipts[0]!.match).toEqual([{ column: 'email', hash: hasher.hash(tenant, ANA) }]);
    const show = await boitata('erasures', 'show', receipts[2]!.id);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('DPO ticket 7');
    expect(list.stdout + show.stdout).not.toContain(ANA);
    const missing = await boitata('erasures', 'show', randomUUID());
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no erasure') });
  });

  it('reads the value from standard input (--match column=-) or a file (--match-file F), never from the command line', async () => {
    const base = ['erase', '--tenant', tenant, '--requested-by', 'DPO ticket 8'];
    const file = join(tmpdir(), `boitata-erase-match-${randomUUID().slice(0, 8)}.txt`);
    const refusals: Array<[string | undefined, string[], RegExp]> = [
      [`${CAIO}\n`, ['--match', 'email=-', '--match', 'mail=-'], /only one --match column=- can read/],
      ['', ['--match', 'email=-'], /--match email=-: standard input is empty/],
      [`${CAIO}\n${ANA}\n`, ['--match', 'email=-'], /standard input holds more than one line/],
      [undefined, ['--match-file', `${file}.missing`], /--match-file: cannot read .*\.missing \(ENOENT\)/],
      [undefined, ['--match-file', file], /--match-file .* line 3 has no "="/],
    ];
    await writeFile(file, `email=${ANA}\n\n${CAIO}\n`);
    for (const [stdin, args, message] of refusals) {
      const result = stdin === undefined ? await boitata(...base, ...args) : await boitataWithStdin(stdin, ...base, ...args);
      expect(result, args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
      expect(result.stderr + result.stdout).not.toContain(CAIO);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }

    const piped = await boitataWithStdin(`${CAIO}\r\n`, ...base, '--match', 'email=-', '--dry-run', '--json');
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ dry_run: true, warehouse_rows: 1, match: [{ column: 'email', hash: hasher.hash(tenant, CAIO) }] });

    await writeFile(file, `email=${CAIO}\r\n\nemail=${CAIO.toUpperCase()}\n`);
    const real = await boitata(...base, '--match-file', file, '--json');
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      dry_run: false,
      warehouse_rows: 1,
      match: [
        { column: 'email', hash: hasher.hash(tenant, CAIO) },
        { column: 'email', hash: hasher.hash(tenant, CAIO.toUpperCase()) },
      ],
    });
    expect(real.stdout + real.stderr).not.toContain(CAIO);
    const again = await boitataWithStdin(CAIO, ...base, '--match', 'email=-', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ warehouse_rows: 0 });
    await rm(file, { force: true });
  });
});
