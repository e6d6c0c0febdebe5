// Lands one claimed batch: normalize, evolve each table, write each table once (INSERT or MERGE), exactly once. Rows
// a table's `quarantine` contract keeps out go to its quarantine (governance/quarantine-writer.ts) in the same pass.
import { flattenRow } from './normalize/flatten-row.ts';
import { normalizeMessage } from './normalize/normalize-message.ts';
import { UnloadableMessageError, type StoredMessage } from './queue/stored-message.ts';
import { stringifyJson } from './normalize/parse-payload.ts';
import { MAX_TABLES_PER_MESSAGE } from '../shared/ingest-limits.ts';
import type { ColumnType } from './schema/column-types.ts';
import { lastWritePerKey } from './schema/load-row.ts';
import { shapeRow } from './schema/contract-shape-row.ts';
import { QuarantineWriter } from './governance/quarantine-writer.ts';
import { quarantineTableName } from './governance/quarantine-table.ts';
import type { SchemaRegistry, StageHook } from './schema/schema-registry.ts';
import { WarehouseError, type LoadRow, type Warehouse } from './warehouse/warehouse.ts';
import type { JsonObject } from '../shared/push-format.ts';
import type { TableReceipt } from '../shared/queue-message.ts';
import type { PiiHasher } from './schema/pii-hasher.ts';
import { isErasedRow } from './governance/erased-marker.ts';

interface TableEntry {
  message: StoredMessage;
  rows: JsonObject[];
  /** the row id of rows[0] within its message and table: a large message is written in slices */
  rowOffset: number;
}

/**
 * Rows prepared and written at once per table: a message larger than this (an older edge admitted 349,524 rows
 * in 1 MiB) is written in slices, so the rows being shaped at any moment stay bounded whatever a message holds.
 */
export const ROWS_PER_WRITE = 10_000;

interface TableGroup {
  tenantId: string;
  table: string;
  entries: TableEntry[];
  /** queue id → the row ids its `quarantine` contract sent to the table's quarantine (shared by the group's slices) */
  quarantined: Map<string, Set<number>>;
}

export interface BatchOutcome {
  /** queue ids whose every row is in the warehouse */
  done: string[];
  /** what each done message landed, table by table (the queue's `landed`, shown to its sender) */
  landed: Map<string, TableReceipt[]>;
  dead: Array<{ queueId: string; code: string; reason: string }>;
  rows: number;
  tables: number;
}

export class BatchLoader {
  private readonly warehouse: Warehouse;
  private readonly registry: SchemaRegistry;
  private readonly hook: StageHook;
  private readonly tableConcurrency: number;
  private readonly tableTails = new Map<string, Promise<void>>();

  private readonly hasher: PiiHasher;
  private readonly quarantine: QuarantineWriter;

  constructor(options: { warehouse: Warehouse; registry: SchemaRegistry; hasher: PiiHasher; hook?: StageHook; tableConcurrency?: number }) {
    this.hasher = options.hasher;
    this.quarantine = new QuarantineWriter(options.warehouse);
    this.tableConcurrency = options.tableConcurrency ?? 3;
    this.warehouse = options.warehouse;
    this.registry = options.registry;
    this.hook = options.hook ?? (async () => undefined);
  }

  /**
   * Throws a transient WarehouseError (or a database error) when the batch should be retried as a whole;
   * rows already committed by then are found by the exactly-once check of the retry.
   */
  async load(messages: readonly StoredMessage[], beforeWrite: () => Promise<void> = async () => undefined): Promise<BatchOutcome> {
    const dead = new Map<string, { code: string; reason: string }>();
    const groups = new Map<string, TableGroup>();
    let oversized = false;
    for (const message of messages) {
      try {
        const tables = normalizeMessage(message);
        oversized ||= tables.length > MAX_TABLES_PER_MESSAGE;
        for (const { table, rows } of tables) {
          const key = `${message.tenantId}\u0000${table}`;
          let group = groups.get(key);
          if (group === undefined) groups.set(key, (group = { tenantId: message.tenantId, table, entries: [], quarantined: new Map() }));
          for (let offset = 0; offset < rows.length; offset += ROWS_PER_WRITE) {
            group.entries.push({ message, rows: rows.slice(offset, offset + ROWS_PER_WRITE), rowOffset: offset });
          }
        }
      } catch (error) {
        if (!(error instanceof UnloadableMessageError)) throw error;
        dead.set(message.queueId, { code: error.code, reason: error.message });
      }
    }

    // Tables are written concurrently (each is its own Iceberg commit): while Trino runs one statement,
    // the next table's rows are prepared and sent.
    let rows = 0;
    const pending = [...groups.values()];
    let failed = false;
    const worker = async () => {
      for (let group = pending.shift(); group !== undefined && !failed; group = pending.shift()) {
        const live = group.entries.filter((entry) => !dead.has(entry.message.queueId));
        try {
          const written = await this.tableLock(`${group.tenantId}\u0000${group.table}`, () => this.loadTable({ ...group, entries: live }, dead, beforeWrite));
          rows += written; // not `rows += await …`: that would read `rows` before the await and lose the other tables' counts
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    // Every write in flight ends before the batch is given back: a write still running after the messages
    // went back to the queue could commit after another processor's exactly-once check.
    // A message naming more tables than the edge now admits (an older edge's 2,000-table push) is written one table
    // at a time: each table is its own commits (and DDL), and three at once would crowd the warehouse every tenant shares.
    const concurrency = oversized ? 1 : this.tableConcurrency;
    const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    await this.hook('written');
    const done = messages.filter((m) => !dead.has(m.queueId)).map((m) => m.queueId);
    return {
      done,
      landed: landedTables(done, groups.values()),
      dead: [...dead].map(([queueId, d]) => ({ queueId, ...d })),
      rows,
      tables: groups.size,
    };
  }

  /**
   * Writes to one table, one batch at a time, in claim order: two commits to the same Iceberg table at once
   * conflict, and an upsert must not overtake an older one.
   */
  private tableLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tableTails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tableTails.set(key, tail);
    void tail.then(() => {
      if (this.tableTails.get(key) === tail) this.tableTails.delete(key);
    });
    return result;
  }

  /** A table's rows, ROWS_PER_WRITE at a time. */
  private async loadTable(group: TableGroup, dead: Map<string, { code: string; reason: string }>, beforeWrite: () => Promise<void>): Promise<number> {
    let written = 0;
    for (const slice of slices(group.entries)) {
      const live = slice.filter((entry) => !dead.has(entry.message.queueId));
      if (live.length > 0) written += await this.loadSlice({ ...group, entries: live }, dead, beforeWrite);
    }
    return written;
  }

  // Writes a table's rows in one go; when the warehouse refuses the statement for a reason that is about
  // the data, each message is tried alone so one bad message goes to the dead letters and the rest land.
  private async loadSlice(group: TableGroup, dead: Map<string, { code: string; reason: string }>, beforeWrite: () => Promise<void>): Promise<number> {
    try {
      return await this.writeEntries(group, group.entries, false, beforeWrite);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      this.registry.forget(group.tenantId, group.table);
      if (group.entries.length === 1) {
        dead.set(group.entries[0]!.message.queueId, deadReason(group.table, error));
        return 0;
      }
      // Some chunks of the failed write may have committed: each message alone is checked against the table.
      let written = 0;
      for (const entry of group.entries) {
        try {
          written += await this.writeEntries(group, [entry], true, beforeWrite);
        } catch (single) {
          if (!isPermanent(single)) throw single;
          dead.set(entry.message.queueId, deadReason(group.table, single));
        }
      }
      return written;
    }
  }

  private async writeEntries(
    group: TableGroup,
    entries: readonly TableEntry[],
    afterPartialFailure: boolean,
    beforeWrite: () => Promise<void>,
  ): Promise<number> {
    const flat = entries.map((entry) => ({ entry, rows: entry.rows.map(flattenRow) }));
    // Each message's fields apart (its payload), in queue order: the registry resolves them message by message,
    // so where a field lands never depends on what else shares the batch.
    const byMessage = new Map<string, Map<string, unknown[]>>();
    for (const { entry, rows } of flat) {
      let incoming = byMessage.get(entry.message.queueId);
      if (incoming === undefined) byMessage.set(entry.message.queueId, (incoming = new Map()));
      for (const row of rows) {
        for (const [field, value] of row.fields) {
          let values = incoming.get(field);
          if (values === undefined) incoming.set(field, (values = []));
          if (value !== null) values.push(value);
        }
      }
    }
    const schema = await this.registry.prepare(group.tenantId, group.table, [...byMessage.values()], entries[0]!.message.messageId, {
      provenance: entries.some((entry) => entry.message.provenance !== null),
    });

    // Exactly once: a message claimed before (its lease expired, or a batch was retried) may have rows in
    // the table already; those rows are not written again. (An upsert is idempotent by itself, and so is a re-drive:
    // its rows replace their earlier versions by (message id, row id), however often it is written.)
    const redelivered = entries.filter(
      (entry) => (afterPartialFailure || entry.message.attempts > 1) && entry.message.itemKey === null && !entry.message.redrive,
    );
    const landed =
      redelivered.length > 0
        ? await this.warehouse.landedRows(
            schema.ref,
            redelivered.map((entry) => entry.message.messageId),
          )
        : new Set<string>();

    const inserts: LoadRow[] = [];
    const replaces: LoadRow[] = [];
    const quarantined: Array<{ queueId: string; row: LoadRow }> = [];
    const merges = new Map<string, LoadRow[]>();
    const now = new Date();
    for (const { entry, rows } of flat) {
      const { message } = entry;
      rows.forEach((row, index) => {
        const rowId = entry.rowOffset + index;
        if (landed.has(`${message.messageId}:${rowId}`)) return;
        // A subject erased while this message waited (or before it was re-driven): that row never lands.
        if (message.erased && isErasedRow(row.fields)) return;
        const outcome = shapeRow(message, rowId, row.fields, row.collisions, schema, this.hasher, now);
        if (outcome.kind === 'quarantine') {
          quarantined.push({ queueId: message.queueId, row: outcome.row });
          return;
        }
        const loadRow = outcome.row;
        // A re-driven item keeps its MERGE: its sequence (queue id) never lets an older message overwrite a newer version.
        if (message.itemKey === null) (message.redrive ? replaces : inserts).push(loadRow);
        else {
          const keyColumn = schema.columns.get(message.itemKey);
          const key = keyColumn?.physical ?? message.itemKey;
          if (keyColumn === undefined || (loadRow.cells.get(key) ?? null) === null) {
            // A NULL key never matches in MERGE: every delivery would add a row instead of updating the item.
            throw new UnloadableMessageError(
              'item_key_unusable',
              `The X-Item-Key field ${JSON.stringify(message.itemKey)} of row ${rowId} does not fit the key column${keyColumn === undefined ? '' : ` (${keyColumn.type})`}; its value is ${stringifyJson(row.fields.get(message.itemKey) ?? null)}.`,
            );
          }
          let list = merges.get(key);
          if (list === undefined) merges.set(key, (list = []));
          list.push(loadRow);
        }
      });
    }

    await this.hook('before-write');
    await beforeWrite();
    // The quarantine first: a crash in between leaves the good rows to the retry, whose replaceRows rewrites these.
    await this.quarantine.write(
      group.tenantId,
      group.table,
      quarantined.map(({ row }) => row),
    );
    for (const { queueId, row } of quarantined) {
      let rowIds = group.quarantined.get(queueId);
      if (rowIds === undefined) group.quarantined.set(queueId, (rowIds = new Set()));
      rowIds.add(row.rowId);
    }
    const tableColumns = new Map<string, ColumnType>([...schema.columns.values()].map((c) => [c.physical, c.type]));
    if (inserts.length > 0) await this.warehouse.insertRows(schema.ref, inserts, tableColumns, { provenance: schema.provenance });
    if (replaces.length > 0) await this.warehouse.replaceRows(schema.ref, replaces, tableColumns, { provenance: schema.provenance });
    let merged = 0;
    for (const [keyColumn, rows] of merges) {
      const latest = lastWritePerKey(keyColumn, rows);
      await this.warehouse.mergeRows(schema.ref, keyColumn, latest, tableColumns, { provenance: schema.provenance });
      merged += latest.length;
    }
    const written = inserts.length + replaces.length + merged;
    if (written > 0) await this.registry.markLoaded(group.tenantId, group.table);
    return written;
  }
}

/** Each done message's rows per table, tables by name. */
function landedTables(done: readonly string[], groups: Iterable<TableGroup>): Map<string, TableReceipt[]> {
  const landed = new Map<string, TableReceipt[]>(done.map((queueId) => [queueId, []]));
  for (const group of groups) {
    for (const entry of group.entries) {
      const tables = landed.get(entry.message.queueId);
      if (tables === undefined) continue;
      const known = tables.find((t) => t.table === group.table);
      if (known !== undefined) known.rows += entry.rows.length;
      else tables.push({ table: group.table, rows: entry.rows.length });
    }
    // Rows the table's contract quarantined are counted in its quarantine, so the sender sees where they went.
    for (const [queueId, rowIds] of group.quarantined) {
      const tables = landed.get(queueId);
      const known = tables?.find((t) => t.table === group.table);
      if (tables === undefined || known === undefined || rowIds.size === 0) continue;
      known.rows -= rowIds.size;
      tables.push({ table: quarantineTableName(group.table), rows: rowIds.size });
    }
  }
  for (const tables of landed.values()) tables.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  return landed;
}

function isPermanent(error: unknown): error is WarehouseError | UnloadableMessageError {
  return (error instanceof WarehouseError && error.kind === 'permanent') || error instanceof UnloadableMessageError;
}

function deadReason(table: string, error: WarehouseError | UnloadableMessageError): { code: string; reason: string } {
  return error instanceof UnloadableMessageError
    ? { code: error.code, reason: `${table}: ${error.message}` }
    : { code: 'warehouse_rejected', reason: `${table}: ${error.message}` };
}

/** Consecutive runs of entries holding at most ROWS_PER_WRITE rows together (an entry never holds more). */
function slices(entries: readonly TableEntry[]): TableEntry[][] {
  const out: TableEntry[][] = [];
  let current: TableEntry[] = [];
  let rows = 0;
  for (const entry of entries) {
    if (current.length > 0 && rows + entry.rows.length > ROWS_PER_WRITE) {
      out.push(current);
      current = [];
      rows = 0;
    }
    current.push(entry);
    rows += entry.rows.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}
