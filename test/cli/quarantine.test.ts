// `boitata quarantine list|redrive` as an operator runs them, against the real database and a DuckDB warehouse file:
// a quarantine as the processor's QuarantineWriter leaves it (three messages: one landed, one still queued, one the
// queue pruned), listed without a row's values, a dry run, the re-drive (the landed one re-queued and its rows
// removed, the others left and said why), the audit entry, and the errors. The landing is
// test/processor/warehouse/quarantine-redrive.test.ts's.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBoitata } from './run-boitata.ts';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { QuarantineWriter } from '../../processor/governance/quarantine-writer.ts';
import { QUARANTINE_COLUMNS } from '../../processor/governance/quarantine-table.ts';
import { canonicalTimestamp, TIMESTAMP_TZ, VARCHAR } from '../../processor/schema/column-types.ts';
import { DuckDbWarehouse } from '../../processor/warehouse/duckdb-warehouse.ts';
import type { LoadRow } from '../../processor/warehouse/warehouse.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `quar-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
const duckDbPath = join(tmpdir(), `boitata-cli-quarantine-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);

// The processor's configuration for the DuckDB file: no Trino.
const env = (() => {
  const { TRINO_URL: _trino, ...rest } = process.env;
  return { ...rest, DATABASE_URL: databaseUrl, DUCKDB_PATH: duckDbPath };
})();
const boitata = (...args: string[]) => runBoitata(args, env);

const messages = { landed: randomUUID(), queued: randomUUID(), pruned: randomUUID() };
const REASON = 'contract quarantine: field "coupon" has no column';

function quarantined(messageId: string, rowId: number, reason: string, minutesAgo: number): LoadRow {
  const at = canonicalTimestamp(new Date(Date.now() - minutesAgo * 60_000).toISOString());
  return {
    messageId,
    rowId,
    receivedAt: at,
    tenantId: tenant,
    endpoint: 'push',
    sequence: '1',
    rescue: null,
    credential: `connection:${randomUUID()}`,
    sourceId: null,
    provenance: null,
    cells: new Map([
      [QUARANTINE_COLUMNS.reason, { type: VARCHAR, text: reason }],
      [QUARANTINE_COLUMNS.row, { type: VARCHAR, text: JSON.stringify({ id: rowId, coupon: 'SECRET-COUPON' }) }],
      [QUARANTINE_COLUMNS.quarantinedAt, { type: TIMESTAMP_TZ, text: at }],
    ]),
  };
}

async function enqueue(connection: string, messageId: string, status: 'done' | 'pending'): Promise<void> {
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt,
                                        idempotency_scope, status, processed_at)
     VALUES ($1, $2, $3::uuid, 'push', 'array', 'orders', $4, 2, $5, $3::uuid, $6, CASE WHEN $6 = 'done' THEN clock_timestamp() END)`,
    [messageId, tenant, connection, JSON.stringify([{ id: 1 }, { id: 2 }]), JSON.stringify({ message_id: messageId, status: 'queued', rows: 2 }), status],
  );
}

const queue = async () =>
  (await db.query('SELECT message_id::text, status, redrive FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id', [tenant])).rows;

const quarantineRows = async () => {
  const reader = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: 'tenant_', readOnly: true });
  try {
    const { rows } = await reader.query(`SELECT _boitata_message_id FROM "tenant_${tenant}"."_boitata_quarantine_orders" ORDER BY 1`);
    return rows.map(([id]) => id);
  } finally {
    await reader.close();
  }
};

beforeAll(async () => {
  await addTenant(db, { id: tenant });
  const { connection } = await addConnection(db, { tenant, name: 'shop' });
  await enqueue(connection.id, messages.landed, 'done');
  await enqueue(connection.id, messages.queued, 'pending');
  const warehouse = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: 'tenant_' });
  await new QuarantineWriter(warehouse).write(tenant, 'orders', [
    quarantined(messages.landed, 0, REASON, 30),
    quarantined(messages.landed, 1, 'contract quarantine: field "qty": column qty is integer, value needs bigint', 30),
    quarantined(messages.queued, 0, REASON, 20),
    quarantined(messages.pruned, 0, REASON, 10),
  ]);
  await warehouse.close();
}, 120_000);

afterAll(async () => {
  await db.end();
  for (const file of [duckDbPath, `${duckDbPath}.wal`]) rmSync(file, { force: true });
});

describe('boitata quarantine', () => {
  it('refuses what it cannot run with exit code 2, saying what to fix', async () => {
    const cases: Array<[string[], string]> = [
      [['quarantine', 'redrive', '--tenant', tenant], '--table is required'],
      [['quarantine', 'list', '--tenant', `${tenant}-nobody`], `no tenant "${tenant}-nobody"`],
      [['quarantine', 'list', '--tenant', tenant, '--table', '_boitata_quarantine_orders'], 'name the table, not its quarantine'],
      [['quarantine', 'purge', '--tenant', tenant], 'unknown command "quarantine purge"'],
    ];
    for (const [args, message] of cases) {
      const result = await boitata(...args);
      expect(result, args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    }
    const badConfig = await runBoitata(['quarantine', 'list', '--tenant', tenant], { ...env, TRINO_URL: 'not a url' });
    expect(badConfig).toMatchObject({ code: 2, stderr: expect.stringContaining('TRINO_URL') });
    expect(badConfig.stderr).not.toMatch(/\n\s+at /);
  });

  it('lists per table the rows, messages, oldest and newest, and the reasons by count — never a value', async () => {
    const list = await boitata('quarantine', 'list', '--tenant', tenant);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/orders\s+4\s+3\s+\d{4}-/);
    expect(list.stdout).toContain(`       3  ${REASON}`);
    expect(list.stdout).toContain('       1  contract quarantine: field "qty": column qty is integer, value needs bigint');
    expect(list.stdout).not.toContain('SECRET-COUPON');
    const json = JSON.parse((await boitata('quarantine', 'list', '--tenant', tenant, '--table', 'ORDERS', '--json')).stdout);
    expect(json).toEqual({
      tenant,
      quarantines: [
        {
          table: 'orders',
          quarantine_table: '_boitata_quarantine_orders',
          rows: 4,
          messages: 3,
          oldest: expect.stringMatching(/Z$/),
          newest: expect.stringMatching(/Z$/),
          reasons: [
            { reason: REASON, rows: 3 },
            { reason: 'contract quarantine: field "qty": column qty is integer, value needs bigint', rows: 1 },
          ],
        },
      ],
    });
    expect(json.quarantines[0].oldest < json.quarantines[0].newest).toBe(true);
    const none = await boitata('quarantine', 'list', '--tenant', tenant, '--table', 'refunds');
    expect(none.stdout).toContain(`No quarantine for table refunds of tenant ${tenant}`);
  });

  it('re-drives the messages the queue holds and removes their rows; a queued one and a pruned one stay, said why', async () => {
    const before = await queue();
    const dry = await boitata('quarantine', 'redrive', '--tenant', tenant, '--table', 'orders', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Quarantine of table orders (tenant');
    expect(dry.stdout).toContain('4 row(s) of 3 message(s)');
    expect(dry.stdout).toContain('Would re-drive 2 row(s) of 1 message(s). Dry run: nothing changed.');
    expect(dry.stdout).toContain('1 row(s) of 1 message(s) still queued or being landed');
    expect(dry.stdout).toContain('1 row(s) of 1 message(s) no longer in the queue');
    expect(await queue()).toEqual(before);
    expect(await quarantineRows()).toHaveLength(4);

    const run = await boitata('quarantine', 'redrive', '--tenant', tenant, '--table', 'orders', '--requested-by', 'ops ticket 7', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dry_run: false,
      quarantined: { messages: 3, rows: 4 },
      redriven: { messages: 1, rows: 2 },
      in_flight: { messages: 1, rows: 1 },
      pruned: { messages: 1, rows: 1 },
      removed_rows: 2,
    });
    expect(await queue()).toEqual([
      { message_id: messages.landed, status: 'pending', redrive: true },
      { message_id: messages.queued, status: 'pending', redrive: false },
    ]);
    expect(await quarantineRows()).toEqual([messages.queued, messages.pruned].sort());
    const { rows: audit } = await db.query('SELECT actor, via, action, details FROM boitata_audit WHERE tenant_id = $1', [tenant]);
    expect(audit).toEqual([
      {
        actor: 'ops ticket 7',
        via: 'cli',
        action: 'quarantine.redrive',
        details: expect.objectContaining({ table: 'orders', redriven: { messages: 1, rows: 2 }, pruned: { messages: 1, rows: 1 } }),
      },
    ]);
  });
});
