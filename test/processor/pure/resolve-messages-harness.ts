// The harness of resolve-messages.test.ts: a batch resolved at once vs its messages landed one by one, with the
// model as an oracle that answers only what it is asked.
import { resolveMessages, type MessagesResolution } from '../../../processor/schema/resolve-fields.ts';
import type { InferredType } from '../../../processor/schema/column-types.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';

export const fields = (entries: Array<[string, InferredType | null]>) => new Map(entries);

export type Message = Array<[string, InferredType | null]>;
export const people: RegisteredColumn[] = [
  { logical: 'id', physical: 'id', type: 'bigint' },
  { logical: 'name', physical: 'name', type: 'varchar' },
  { logical: 'phone', physical: 'phone', type: 'varchar' },
];
// What a table ends up with: the columns it gained and where each aliased field lands.
export type Outcome = { newColumns: Record<string, string>; aliases: Record<string, string>; pastCap: string[] };
export const outcome = (plan: MessagesResolution): Outcome => ({
  newColumns: Object.fromEntries(plan.newColumns),
  aliases: Object.fromEntries(plan.create.map((d) => [d.field, `${d.column} (${d.decidedBy})`])),
  pastCap: plan.pastCap,
});
export const merge = (into: Outcome, next: Outcome): Outcome => ({
  newColumns: { ...into.newColumns, ...next.newColumns },
  aliases: { ...into.aliases, ...next.aliases },
  pastCap: [...into.pastCap, ...next.pastCap],
});
// The model as an oracle: it answers only what it is asked, among the columns it is offered.
export const ask = (oracle: Record<string, string> | 'down' | undefined, plan: MessagesResolution) => {
  if (oracle === undefined) return {};
  const offered = new Set(plan.question.candidates.map((c) => c.logical));
  if (oracle === 'down') return { model: 'unavailable' as const, offered };
  const model = new Map(
    plan.question.fields.flatMap((field) =>
      oracle[field] !== undefined && offered.has(oracle[field])
        ? [[field, { field, column: oracle[field], decidedBy: 'model' as const, evidence: {} }] as const]
        : [],
    ),
  );
  return { model, offered };
};
export const inOneBatch = (table: typeof people, messages: Message[], oracle?: Record<string, string> | 'down') => {
  const input = { columns: table, aliases: new Map<string, string>(), messages: messages.map(fields) };
  const first = resolveMessages(input);
  return outcome(oracle === undefined ? first : resolveMessages({ ...input, ...ask(oracle, first) }));
};
// Landing each message alone, in queue order: the schema grows between them.
export const oneByOne = (table: typeof people, messages: Message[], oracle?: Record<string, string> | 'down') => {
  let registered = [...table];
  let known = new Map<string, string>();
  let total: Outcome = { newColumns: {}, aliases: {}, pastCap: [] };
  for (const message of messages) {
    const input = { columns: registered, aliases: known, messages: [fields(message)] };
    const first = resolveMessages(input);
    const plan = oracle === undefined ? first : resolveMessages({ ...input, ...ask(oracle, first) });
    registered = [...registered, ...[...plan.newColumns].map(([logical, type]) => ({ logical, physical: logical, type }))];
    known = new Map([...known, ...plan.create.map((d) => [d.field, d.column] as const)]);
    total = merge(total, outcome(plan));
  }
  return total;
};
