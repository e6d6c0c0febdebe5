// Pure: the schema decision under each contract — `freeze` and `quarantine` add no column and widen nothing on a table
// the registry knows (the refused changes are in the plan, as data); aliases and PII flags still apply; a table new
// to the registry is still created from its first batch.
import { describe, expect, it } from 'vitest';
import { decideEvolution, type EvolutionPlan, type TableState } from '../../../processor/schema/decide-evolution.ts';
import { observeBatch } from '../../../processor/schema/observe-batch.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';
import { columnType } from '../../../processor/schema/type-table.ts';
import type { SchemaContract } from '../../../processor/governance/policies.ts';

const col = (logical: string, type: string, pii?: boolean): RegisteredColumn => ({
  logical,
  physical: logical,
  type: columnType(type),
  ...(pii === undefined ? {} : { pii }),
});
const registered = (columns: RegisteredColumn[]): TableState => ({
  registered: columns,
  aliases: new Map(),
  rejected: new Set(),
  live: new Map(columns.map((c) => [c.physical, c.type])),
});
const batch = (...messages: Array<Record<string, unknown>>) =>
  observeBatch(messages.map((m) => new Map(Object.entries(m).map(([field, value]) => [field, value === null ? [] : [value]]))));

const customers = [col('id', 'bigint'), col('phone', 'varchar', true), col('contact', 'varchar'), col('qty', 'integer')];
const nothingChanges = { exists: true, columns: [], widened: [], jobs: [] };

const cases: Array<{ name: string; contract: SchemaContract; state: TableState; messages: Array<Record<string, unknown>>; expected: Partial<EvolutionPlan> }> =
  [
    {
      name: 'freeze: a new field gets no column; the column evolve would add is refused, the version does not move',
      contract: 'freeze',
      state: registered(customers),
      messages: [{ id: 1, phone: 'x', contact: 'y', qty: 1, coupon: 'SAVE10' }],
      expected: {
        ...nothingChanges,
        contract: 'freeze',
        warehouse: [{ kind: 'ensure_metadata', present: new Set(['id', 'phone', 'contact', 'qty']), provenance: false }],
        refused: [{ kind: 'add_column', logical: 'coupon', physical: 'coupon', type: 'varchar' }],
        history: null,
      },
    },
    {
      name: 'freeze: a widening is refused (integer stays integer)',
      contract: 'freeze',
      state: registered(customers),
      messages: [{ id: 1, qty: 5_000_000_000 }],
      expected: {
        ...nothingChanges,
        refused: [{ kind: 'widen_column', logical: 'qty', physical: 'qty', from: 'integer', to: 'bigint' }],
        history: null,
      },
    },
    {
      name: 'freeze: a typo still maps onto the column it misspells (an alias, recorded), nothing refused',
      contract: 'freeze',
      state: registered(customers),
      messages: [{ id: 1, phnoe: '+5581999990000' }],
      expected: {
        ...nothingChanges,
        aliases: [{ field: 'phnoe', column: 'phone', decidedBy: 'typo', evidence: { distance: 2 } }],
        history: [{ kind: 'add_alias', alias: 'phnoe', column: 'phone', decided_by: 'typo', evidence: { distance: 2 } }],
        refused: [],
      },
    },
    {
      name: 'freeze: a field aliased onto a non-PII column flags it as PII (its rows hashed by a job)',
      contract: 'freeze',
      state: registered(customers),
      messages: [{ id: 1, contcat: 'ana@example.com' }],
      expected: {
        exists: true,
        columns: [],
        lateFlags: [{ column: 'contact', source: 'values' }],
        jobs: [{ kind: 'hash_pii_column', column: 'contact', pass: 1 }],
      },
    },
    {
      name: 'freeze: an alias onto a column only this batch would create is not made (no such column)',
      contract: 'freeze',
      state: registered([col('id', 'bigint')]),
      // Under evolve the first message makes `contact` a column and the second's `contcat` an alias onto it.
      messages: [
        { id: 1, contact: 'call me' },
        { id: 2, contcat: 'ana@example.com' },
      ],
      expected: {
        ...nothingChanges,
        aliases: [],
        lateFlags: [],
        refused: [{ kind: 'add_column', logical: 'contact', physical: 'contact', type: 'varchar' }],
        history: null,
      },
    },
    {
      name: 'freeze: a table new to the registry is still created from its first batch (auto-bootstrap)',
      contract: 'freeze',
      state: { registered: null, aliases: new Map(), rejected: new Set(), live: null },
      messages: [{ id: 1, note: 'hi' }],
      expected: {
        exists: false,
        contract: 'freeze',
        columns: [
          { kind: 'add_column', logical: 'id', physical: 'id', type: 'bigint', origin: 'payload', piiSource: null },
          { kind: 'add_column', logical: 'note', physical: 'note', type: 'varchar', origin: 'payload', piiSource: null },
        ] as never,
        refused: [],
      },
    },
    {
      name: 'freeze: a table the warehouse has but the registry does not is adopted, with its new fields',
      contract: 'freeze',
      state: { registered: null, aliases: new Map(), rejected: new Set(), live: new Map([['id', columnType('bigint')]]) },
      messages: [{ id: 1, note: 'hi' }],
      expected: {
        exists: false,
        columns: [
          { logical: 'id', physical: 'id', type: 'bigint', origin: 'adopted', piiSource: null },
          { kind: 'add_column', logical: 'note', physical: 'note', type: 'varchar', origin: 'payload', piiSource: null },
        ] as never,
        refused: [],
      },
    },
    {
      name: 'quarantine: the same refusals as freeze (the loader sends the rows to the quarantine instead)',
      contract: 'quarantine',
      state: registered(customers),
      messages: [{ id: 1, coupon: 'SAVE10', qty: 5_000_000_000 }],
      expected: {
        ...nothingChanges,
        contract: 'quarantine',
        refused: [
          { kind: 'widen_column', logical: 'qty', physical: 'qty', from: 'integer', to: 'bigint' },
          { kind: 'add_column', logical: 'coupon', physical: 'coupon', type: 'varchar' },
        ],
      },
    },
    {
      name: 'evolve: the column is added and the widening made, nothing refused',
      contract: 'evolve',
      state: registered(customers),
      messages: [{ id: 1, coupon: 'SAVE10', qty: 5_000_000_000 }],
      expected: {
        contract: 'evolve',
        columns: [expect.objectContaining({ logical: 'coupon', type: 'varchar' })] as never,
        widened: [{ logical: 'qty', to: 'bigint' }],
        refused: [],
      },
    },
  ];

describe('decideEvolution under a contract', () => {
  it.each(cases)('$name', ({ contract, state, messages, expected }) => {
    expect(decideEvolution({ state, batch: batch(...messages), provenance: false, contract })).toMatchObject(expected);
  });

  it('no contract given: evolve, as before contracts existed', () => {
    const plan = decideEvolution({ state: registered(customers), batch: batch({ id: 1, coupon: 'x' }), provenance: false });
    expect(plan).toMatchObject({ contract: 'evolve', refused: [], columns: [expect.objectContaining({ logical: 'coupon' })] });
  });

  it('freeze: no warehouse step changes the table', () => {
    const plan = decideEvolution({ state: registered(customers), batch: batch({ coupon: 'x', qty: 5_000_000_000 }), provenance: false, contract: 'freeze' });
    expect(plan.warehouse.filter((step) => step.kind !== 'ensure_metadata')).toEqual([]);
  });
});
