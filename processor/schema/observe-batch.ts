// A batch's fields for one table, observed once: each message's field types (in queue order) and every field's
// values and type across the batch. The evolution decision and the cache check both read this; nothing re-types.
import { unifyTypes, type InferredType } from './column-types.ts';
import { observedType } from './plan-schema-change.ts';
import type { MessageFields } from './table-schema.ts';

export interface ObservedField {
  /** the field's non-null values across the batch, in queue order */
  values: unknown[];
  /** the type they unify to (null: only nulls so far) */
  type: InferredType | null;
}

export interface ObservedBatch {
  /** each message's fields with the type of its own non-null values, in queue order */
  messages: Array<ReadonlyMap<string, InferredType | null>>;
  /** every field of the batch */
  fields: ReadonlyMap<string, ObservedField>;
}

export function observeBatch(messages: readonly MessageFields[]): ObservedBatch {
  const fields = new Map<string, ObservedField>();
  const typed = messages.map((message) => {
    const types = new Map<string, InferredType | null>();
    for (const [field, values] of message) {
      const type = observedType(values);
      types.set(field, type);
      const seen = fields.get(field);
      if (seen === undefined) fields.set(field, { values: [...values], type });
      else {
        for (const value of values) seen.values.push(value);
        // The batch's type of a field is its messages' types unified: each value is typed once.
        if (type !== null) seen.type = seen.type === null ? type : unifyTypes(seen.type, type);
      }
    }
    return types;
  });
  return { messages: typed, fields };
}
