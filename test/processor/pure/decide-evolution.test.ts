// Pure: the schema decision as tables of (table state, batch) → EvolutionPlan — DDL, columns, widenings, aliases,
// PII, jobs and the history entry, all as data.
import { describe, expect, it } from 'vitest';
import { decideEvolution, modelQuestion, type EvolutionPlan, type TableState } from '../../../processor/schema/decide-evolution.ts';
import { observeBatch } from '../../../processor/schema/observe-batch.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';
import { columnType } from '../../../processor/schema/type-table.ts';

const col = (logical: string, type: string, pii?: boolean): RegisteredColumn => ({
  logical,
  physical: logical,
  type: columnType(type),
  ...(pii === undefined ? {} : { pii }),
});
const registered = (columns: RegisteredColumn[], extra: Partial<TableState> = {}): TableState => ({
  registered: columns,
  aliases: new Map(),
  rejected: new Set(),
  live: new Map(columns.map((c) => [c.physical, c.type])),
  ...extra,
});
/** Messages as JSON-ish objects: each becomes its fields with their non-null values. */
const batch = (...messages: Array<Record<string, unknown>>) =>
  observeBatch(messages.map((m) => new Map(Object.entries(m).map(([field, value]) => [field, value === null ? [] : [value]]))));

const customers = [col('id', 'bigint'), col('phone', 'varchar', true), col('email', 'varchar', true), col('age', 'bigint')];

interface Case {
  name: string;
  state: TableState;
  messages: Array<Record<string, unknown>>;
  provenance?: boolean;
  expected: Partial<EvolutionPlan>;
}

const cases: Case[] = [
  {
    name: 'a table new to both: created with its columns, registered at the first version, enriched in the background',
    state: { registered: null, aliases: new Map(), rejected: new Set(), live: null },
    messages: [{ id: 1, note: 'hi' }],
    expected: {
      exists: false,
      warehouse: [
        {
          kind: 'create_table',
          columns: [
            { kind: 'add_column', logical: 'id', physical: 'id', type: 'bigint' },
            { kind: 'add_column', logical: 'note', physical: 'note', type: 'varchar' },
          ] as never,
          provenance: false,
        },
      ],
      columns: [
        { kind: 'add_column', logical: 'id', physical: 'id', type: 'bigint', origin: 'payload', piiSource: null },
        { kind: 'add_column', logical: 'note', physical: 'note', type: 'varchar', origin: 'payload', piiSource: null },
      ] as never,
      jobs: [{ kind: 'enrich_columns', columns: ['id', 'note'] }],
      history: [
        { kind: 'add_column', logical: 'id', physical: 'id', type: 'bigint' },
        { kind: 'add_column', logical: 'note', physical: 'note', type: 'varchar' },
      ],
    },
  },
  {
    name: 'nothing new: only the metadata columns are ensured, the version does not move',
    state: registered(customers),
    messages: [{ id: 1, age: 30 }],
    expected: { exists: true, columns: [], widened: [], aliases: [], lateFlags: [], jobs: [], history: null },
  },
  {
    name: 'a typo maps onto the unfilled column it misspells: an alias with its evidence, no DDL',
    state: registered(customers),
    messages: [{ id: 1, phnoe: '+5581999990000' }],
    expected: {
      columns: [],
      aliases: [{ field: 'phnoe', column: 'phone', decidedBy: 'typo', evidence: { distance: 2 } }],
      history: [{ kind: 'add_alias', alias: 'phnoe', column: 'phone', decided_by: 'typo', evidence: { distance: 2 } }],
      lateFlags: [],
    },
  },
  {
    name: 'a personal-data field aliased onto a column not yet flagged flags it late, and a job hashes its rows',
    state: registered([col('id', 'bigint'), col('contact', 'varchar', false), col('age', 'bigint')]),
    messages: [{ id: 1, contcat: 'ana@example.com' }],
    expected: {
      aliases: [{ field: 'contcat', column: 'contact', decidedBy: 'typo', evidence: { distance: 2 } }],
      lateFlags: [{ column: 'contact', source: 'values' }],
      jobs: [{ kind: 'hash_pii_column', column: 'contact', pass: 1 }],
      history: [
        { kind: 'add_alias', alias: 'contcat', column: 'contact', decided_by: 'typo', evidence: { distance: 2 } },
        { kind: 'flag_pii', column: 'contact', source: 'values' },
      ],
    },
  },
  {
    name: 'a new column of personal data is text from its first row (it holds hashes)',
    state: registered([col('id', 'bigint')]),
    messages: [{ id: 1, cell_number: 5581999990000 }],
    expected: {
      columns: [{ kind: 'add_column', logical: 'cell_number', physical: 'cell_number', type: 'varchar', origin: 'payload', piiSource: 'name' }] as never,
      warehouse: [
        { kind: 'ensure_metadata', present: new Set(['id']), provenance: false },
        { kind: 'change', change: { kind: 'add_column', logical: 'cell_number', physical: 'cell_number', type: 'varchar' } },
      ],
    },
  },
  {
    name: 'an integer column widens to bigint (Iceberg allows it); the registry records the new type',
    state: registered([col('id', 'bigint'), col('small', 'integer')]),
    messages: [{ id: 1, small: 2 ** 40 }],
    expected: {
      widened: [{ logical: 'small', to: 'bigint' }],
      history: [{ kind: 'widen_column', logical: 'small', physical: 'small', from: 'integer', to: 'bigint' }],
      warehouse: [
        { kind: 'ensure_metadata', present: new Set(['id', 'small']), provenance: false },
        { kind: 'change', change: { kind: 'widen_column', logical: 'small', physical: 'small', from: 'integer', to: 'bigint' } },
      ],
    },
  },
  {
    name: 'a table created outside Boitatá: its columns are adopted (a personal-data name is flagged), then the new field added',
    state: {
      registered: null,
      aliases: new Map(),
      rejected: new Set(),
      live: new Map(
        [
          ['id', 'bigint'],
          ['phone', 'varchar'],
          ['_boitata_message_id', 'varchar'],
        ].map(([n, t]) => [n!, columnType(t!)]),
      ),
    },
    messages: [{ id: 1, phone: '+5581999990000', id2: 3 }],
    expected: {
      exists: false,
      columns: [
        { logical: 'id', physical: 'id', type: 'bigint', origin: 'adopted', piiSource: null },
        { logical: 'phone', physical: 'phone', type: 'varchar', origin: 'adopted', piiSource: null },
        { kind: 'add_column', logical: 'id2', physical: 'id2', type: 'bigint', origin: 'payload', piiSource: null },
      ] as never,
      lateFlags: [{ column: 'phone', source: 'name' }],
      jobs: [
        { kind: 'hash_pii_column', column: 'phone', pass: 1 },
        { kind: 'enrich_columns', columns: ['id', 'phone', 'id2'] },
      ],
      history: [
        {
          kind: 'adopt_columns',
          columns: [
            { logical: 'id', physical: 'id', type: 'bigint' },
            { logical: 'phone', physical: 'phone', type: 'varchar' },
          ],
        },
        { kind: 'add_column', logical: 'id2', physical: 'id2', type: 'bigint' },
        { kind: 'flag_pii', column: 'phone', source: 'name' },
      ],
    },
  },
  {
    name: 'a column whose DDL ran before a crash: registered with the warehouse type, no DDL again, the version does not move',
    state: registered([col('id', 'bigint')], {
      live: new Map([
        ['id', columnType('bigint')],
        ['score', columnType('double')],
      ]),
    }),
    messages: [{ id: 1, score: 7 }],
    expected: {
      columns: [{ logical: 'score', physical: 'score', type: 'double', origin: 'payload', piiSource: null }] as never,
      warehouse: [{ kind: 'ensure_metadata', present: new Set(['id', 'score']), provenance: false }],
      jobs: [{ kind: 'enrich_columns', columns: ['score'] }],
      history: null,
    },
  },
  {
    name: 'a registered table dropped from the warehouse by hand is recreated with every known column',
    state: registered([col('id', 'bigint')], { live: null }),
    messages: [{ id: 1 }],
    expected: {
      warehouse: [{ kind: 'create_table', columns: [col('id', 'bigint')], provenance: false }],
      columns: [],
      history: null,
    },
  },
  {
    name: 'a provider delivery gives the table its provenance columns; a table that has them keeps them',
    state: registered([col('id', 'bigint')]),
    messages: [{ id: 1 }],
    provenance: true,
    expected: { provenance: true, warehouse: [{ kind: 'ensure_metadata', present: new Set(['id']), provenance: true }] },
  },
  {
    name: 'an operator-undone alias is never proposed again: the field becomes its own column',
    state: registered(customers, { rejected: new Set(['phnoe\u0000phone']) }),
    messages: [{ id: 1, phnoe: 'x' }],
    expected: {
      aliases: [],
      columns: [{ kind: 'add_column', logical: 'phnoe', physical: 'phnoe', type: 'varchar', origin: 'payload', piiSource: null }] as never,
    },
  },
];

describe('decideEvolution: (state, batch) → plan', () => {
  it.each(cases)('$name', ({ state, messages, provenance, expected }) => {
    const plan = decideEvolution({ state, batch: batch(...messages), provenance: provenance ?? false });
    expect(plan).toMatchObject(expected);
  });

  it('a field aliased onto a column the same batch creates counts towards its type and its PII', () => {
    // The first message makes `contact` a column (full coverage), the second misspells it with an email.
    const plan = decideEvolution({
      state: registered([col('id', 'bigint')]),
      batch: batch({ id: 1, contact: 'call me' }, { id: 2, contcat: 'ana@example.com' }),
      provenance: false,
    });
    expect(plan.aliases).toEqual([{ field: 'contcat', column: 'contact', decidedBy: 'typo', evidence: { distance: 2 } }]);
    expect(plan.columns).toEqual([expect.objectContaining({ logical: 'contact', type: 'varchar', piiSource: 'values' })]);
  });

  it('two fields meeting on one new column: its type holds both (bigint and double → double)', () => {
    const plan = decideEvolution({
      state: registered([col('id', 'bigint'), col('name', 'varchar')]),
      batch: batch({ id: 1, name: 'a', amount: 1 }, { id: 2, amuont: 2.5 }),
      provenance: false,
    });
    expect(plan.aliases.map((a) => [a.field, a.column])).toEqual([['amuont', 'amount']]);
    expect(plan.columns).toEqual([expect.objectContaining({ logical: 'amount', type: 'double' })]);
  });
});

describe('the model: asked before the lock, its word checked under it', () => {
  const state = registered([col('id', 'bigint'), col('customer_name', 'varchar'), col('telefone', 'varchar'), col('total', 'double')]);
  const drifted = batch({ id: 1, client_name: 'Ana', amount_paid: 9.5, celular: '+5581999990000' });

  it('the question holds the fields no offline rule placed, with samples, and the unfilled columns that fit them', () => {
    const question = modelQuestion(state, drifted);
    expect(question?.fields).toEqual([
      { name: 'amount_paid', type: 'double', samples: [9.5] },
      { name: 'celular', type: 'varchar', samples: ['+5581999990000'] },
      { name: 'client_name', type: 'varchar', samples: ['Ana'] },
    ]);
    expect(question?.candidates.map((c) => c.logical)).toEqual(['customer_name', 'telefone', 'total']);
    expect(modelQuestion(state, batch({ id: 1, customer_name: 'Ana', telefone: 'x', total: 1 }))).toBeNull();
  });

  it("takes the model's confident answers where they fit; the rest become columns", () => {
    const answer = new Map([
      ['client_name', { field: 'client_name', column: 'customer_name', decidedBy: 'model' as const, evidence: { confidence: 0.97 } }],
      ['celular', { field: 'celular', column: 'total', decidedBy: 'model' as const, evidence: { confidence: 0.9 } }], // text onto a double: refused
    ]);
    const plan = decideEvolution({ state, batch: drifted, provenance: false, model: { answer, offered: new Set(['customer_name', 'telefone', 'total']) } });
    expect(plan.aliases).toEqual([{ field: 'client_name', column: 'customer_name', decidedBy: 'model', evidence: { confidence: 0.97 } }]);
    expect(plan.columns.map((c) => c.logical)).toEqual(['amount_paid', 'celular']);
  });

  it('a model that cannot answer: the dictionary decides what it can, the other fields become columns', () => {
    const plan = decideEvolution({ state, batch: drifted, provenance: false, model: { answer: 'unavailable', offered: new Set() } });
    expect(plan.aliases.map((a) => [a.field, a.column, a.decidedBy])).toEqual([['celular', 'telefone', 'dictionary']]);
    expect(plan.columns.map((c) => c.logical)).toEqual(['amount_paid', 'client_name']);
  });
});
