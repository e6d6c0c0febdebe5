// Pure: the dry run of a payload — (push body, table state, the model's situation) → the EvolutionPlan the processor
// would execute, and what each row would become: aliases and who decides them, new columns with their types,
// widenings, PII flags, rescued values (personal data only as hashes), refusals with what to fix.
import { describe, expect, it } from 'vitest';
import { PlanInputError, readPlanPayload } from '../../../processor/governance/plan-payload.ts';
import { renderPlanReport } from '../../../processor/governance/plan-render.ts';
import { buildPlanReport, planReportJson, type ModelSituation, type PlanReport } from '../../../processor/governance/plan-report.ts';
import { resolvePolicy, type SchemaContract } from '../../../processor/governance/policies.ts';
import type { TableState } from '../../../processor/schema/decide-evolution.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';
import { columnType } from '../../../processor/schema/type-table.ts';

const hasher = new PiiHasher('hmac', Buffer.from('plan-test-pii-key-0123456789', 'utf8'));
const col = (logical: string, type: string, pii = false): RegisteredColumn => ({ logical, physical: logical, type: columnType(type), pii });
const customers = [col('id', 'bigint'), col('customer_name', 'varchar'), col('phone', 'varchar'), col('age', 'bigint'), col('qty', 'integer')];
const registered = (columns: RegisteredColumn[] = customers): TableState => ({
  registered: columns,
  aliases: new Map(),
  rejected: new Set(),
  live: new Map(columns.map((c) => [c.physical, c.type])),
});
const ref = { catalog: 'c', schema: 'tenant_t', table: 'customers' };

function plan(
  body: unknown,
  state: TableState = registered(),
  model: ModelSituation = { kind: 'no_question' },
  contract: SchemaContract | null = null,
): PlanReport {
  const policy = resolvePolicy({ contract, retention_seconds: null }, null);
  return buildPlanReport({ payload: readPlanPayload('t', 'customers', body), state, policy, model, ref, hasher });
}

describe('plan of a drifting payload', () => {
  const phone = '+5581999990000';
  const report = plan([{ id: 1, custmer_name: 'Ana', telefone: phone, age: 'forty', qty: 3_000_000_000 }]);

  it('a misspelt field becomes an alias decided by the typo rule, a synonym one decided by the dictionary', () => {
    expect(report.plan.aliases).toEqual([
      { field: 'custmer_name', column: 'customer_name', decidedBy: 'typo', evidence: { distance: 1 } },
      { field: 'telefone', column: 'phone', decidedBy: 'dictionary', evidence: { group: 'phone' } },
    ]);
    expect(report.model.status).toBe('no_question');
  });

  it('a value past its integer column widens it; a PII field aliased onto a column flags it', () => {
    expect(report.plan.widened).toEqual([{ logical: 'qty', to: 'bigint' }]);
    expect(report.plan.lateFlags).toEqual([{ column: 'phone', source: 'name' }]);
    expect(report.plan.jobs).toContainEqual({ kind: 'hash_pii_column', column: 'phone', pass: 1 });
    expect(report.plan.columns).toEqual([]);
  });

  it('a value that does not fit its column is listed as rescued, with the reason', () => {
    expect(report.rescued).toEqual([{ row: 0, field: 'age', value: 'forty', reason: expect.stringContaining('bigint') }]);
    expect(report.row_outcomes).toEqual([{ row: 0, outcome: 'land_with_rescue' }]);
  });

  it('writes nothing, and never shows the personal value in plaintext', () => {
    expect(report.wrote).toEqual([]);
    const text = renderPlanReport(report);
    expect(text).toContain('custmer_name → customer_name  decided by typo (distance 1)');
    expect(text).toContain('telefone → phone  decided by dictionary (group phone)');
    expect(text).toContain('qty → bigint');
    expect(text).toContain('nothing was written');
    expect(JSON.stringify(planReportJson(report))).not.toContain(phone);
    expect(text).not.toContain(phone);
  });
});

describe('plan of new fields', () => {
  it('every column present: extra fields become new columns with their types, a PII one as hashed text', () => {
    const report = plan([{ id: 2, customer_name: 'Bia', phone: 'x', age: 3, qty: 1, amount: 9.5, email: 'bia@example.com', tags: [1, 2] }]);
    expect(report.plan.columns.map((c) => [c.logical, c.type, c.piiSource])).toEqual([
      ['amount', 'double', null],
      ['email', 'varchar', 'name'],
      ['tags', 'varchar', null],
    ]);
    expect(report.plan.warehouse.filter((s) => s.kind === 'change')).toHaveLength(3);
    expect(renderPlanReport(report)).toContain('email  varchar  PII (by its name): values hashed');
    expect(report.rescued).toEqual([]);
  });

  it('a personal value that cannot go to its column is rescued as its hash only', () => {
    const report = plan([{ id: 3, age: 'ana@example.com' }]);
    expect(report.rescued).toEqual([{ row: 0, field: 'age', value: hasher.hash('t', 'ana@example.com'), reason: expect.any(String) }]);
    expect(JSON.stringify(planReportJson(report))).not.toContain('ana@example.com');
  });

  it('a table new to both: created with the payload columns', () => {
    const report = plan({ rows: [{ a: 1 }, { a: 2.5, b: true }] }, { registered: null, aliases: new Map(), rejected: new Set(), live: null });
    expect(report.format).toBe('envelope');
    expect(report.table_registered).toBe(false);
    expect(report.plan.warehouse[0]).toMatchObject({ kind: 'create_table' });
    expect(report.plan.columns.map((c) => [c.logical, c.type])).toEqual([
      ['a', 'double'],
      ['b', 'boolean'],
    ]);
  });
});

describe('the fields for the model', () => {
  // Three new fields, not every column present: the batch's question for the model.
  const body = [{ id: 4, nome_cliente: 'Caio', fone: 'x', anos: 7 }];
  const fields = [
    { name: 'anos', type: 'bigint' },
    { name: 'fone', type: 'varchar' },
    { name: 'nome_cliente', type: 'varchar' },
  ];

  it('not asked: the fields and the columns offered are listed, shown as new columns', () => {
    const report = plan(body, registered(), { kind: 'not_asked', model: 'm' });
    expect(report.model.status).toBe('not_asked');
    expect([...report.model.fields].sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual(fields);
    expect(report.model.candidates.sort()).toEqual(['age', 'customer_name', 'phone', 'qty']);
    expect(report.plan.columns.map((c) => c.logical).sort()).toEqual(['anos', 'fone', 'nome_cliente']);
  });

  it("the model's cached answer is shown and applied", () => {
    const decision = { field: 'nome_cliente', column: 'customer_name', decidedBy: 'model' as const, evidence: { model: 'm', confidence: 0.95 } };
    const report = plan(body, registered(), {
      kind: 'cached',
      model: 'm',
      answers: [
        { field: 'nome_cliente', column: 'customer_name', confidence: 0.95 },
        { field: 'anos', column: null, confidence: 0.9 },
      ],
      decisions: [decision],
    });
    expect(report.plan.aliases).toEqual([decision]);
    expect(report.plan.columns.map((c) => c.logical).sort()).toEqual(['anos', 'fone']);
    expect(renderPlanReport(report)).toContain('nome_cliente → customer_name  confidence 0.95');
  });

  it('unavailable: the dictionary decides what it can', () => {
    const report = plan([{ id: 5, celular: 'x', foo: 1, bar: 2 }], registered(), {
      kind: 'unavailable',
      reason: 'no model configured (AI_MODEL)',
      asked: false,
    });
    expect(report.plan.aliases).toEqual([{ field: 'celular', column: 'phone', decidedBy: 'dictionary', evidence: { group: 'phone' } }]);
  });
});

describe("the table's contract", () => {
  const body = [
    { id: 6, customer_name: 'Dan', phone: 'x', age: 1, qty: 1, coupon: 'SAVE10' },
    { id: 7, customer_name: 'Eva', phone: 'y', age: 2, qty: 2 },
  ];

  it('freeze: no new column; the value is rescued with a reason naming the contract', () => {
    const report = plan(body, registered(), { kind: 'no_question' }, 'freeze');
    expect(report.contract).toBe('freeze');
    expect(report.contract_from).toBe('table');
    expect(report.plan.columns).toEqual([]);
    expect(report.plan.refused).toEqual([{ kind: 'add_column', logical: 'coupon', physical: 'coupon', type: 'varchar' }]);
    expect(report.rescued).toEqual([{ row: 0, field: 'coupon', value: 'SAVE10', reason: 'contract freeze: no column for this field' }]);
    expect(renderPlanReport(report)).toContain('Refused by the freeze contract (their values go to _boitata_rescue)');
  });

  it('quarantine: the drifting row goes to the quarantine, the other lands', () => {
    const report = plan(body, registered(), { kind: 'no_question' }, 'quarantine');
    expect(report.row_outcomes).toEqual([
      { row: 0, outcome: 'quarantine' },
      { row: 1, outcome: 'land' },
    ]);
    expect(report.quarantined).toEqual([
      { row: 0, reason: 'contract quarantine: field "coupon" has no column', problems: [{ kind: 'no_column', field: 'coupon' }] },
    ]);
    expect(renderPlanReport(report)).toContain('1 would go to the quarantine');
  });
});

describe('refusals say what to fix', () => {
  const refusals: Array<[string, unknown, string, RegExp]> = [
    ['a table name the edge refuses', [{ a: 1 }], 'bad table!', /Invalid table name/],
    ['no rows', [], 'customers', /no rows/],
    ['an envelope naming another table', { table: 'orders', rows: [{ a: 1 }] }, 'customers', /names table "orders"/],
    ['a row that is not an object', [1], 'customers', /Every row must be a JSON object/],
  ];
  for (const [name, body, table, message] of refusals) {
    it(name, () => {
      expect(() => readPlanPayload('t', table, body)).toThrow(PlanInputError);
      expect(() => readPlanPayload('t', table, body)).toThrow(message);
    });
  }
});
