// A warehouse that counts its writes per table (each insertRows/mergeRows/replaceRows call: one write, one commit on DuckDB).
import type { Warehouse } from '../../processor/warehouse/warehouse.ts';

export interface CountedWarehouse {
  warehouse: Warehouse;
  /** `schema.table` → writes so far */
  writes: Map<string, number>;
}

/** The same adapter, every method passed through; the row writes are counted by the table they write. */
export function countingWarehouse(inner: Warehouse): CountedWarehouse {
  const writes = new Map<string, number>();
  const warehouse = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property !== 'insertRows' && property !== 'mergeRows' && property !== 'replaceRows') return value.bind(target) as unknown;
      return (...args: Parameters<Warehouse['insertRows']>) => {
        const key = `${args[0].schema}.${args[0].table}`;
        writes.set(key, (writes.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { warehouse, writes };
}
