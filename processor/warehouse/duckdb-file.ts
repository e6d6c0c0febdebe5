// The one handle this process keeps on a DuckDB file: opened on first use, closed after a quiet spell so another
// process (the CLI) can open it, one call at a time, and DuckDB's errors sorted into transient and permanent.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { WarehouseError } from './warehouse.ts';

export interface DuckDbAccess {
  /** how long an open keeps retrying while another process holds the file */
  lockWaitMs: number;
  /** the file is closed after this long without a call, so other processes can open it; 0 = never */
  idleCloseMs: number;
}

// DuckDB locks its file with POSIX locks, which belong to a process: two instances in ONE process could both
// open a file read-write and corrupt it. So every adapter of a path in this process shares one DuckDbFile.
const filesByPath = new Map<string, DuckDbFile>();

export function duckDbFile(path: string): DuckDbFile {
  const absolute = resolve(path);
  let file = filesByPath.get(absolute);
  if (file === undefined) filesByPath.set(absolute, (file = new DuckDbFile(absolute)));
  return file;
}

// Errors about the data of a statement: the same rows would fail again. Everything else (a missing table, a
// transaction conflict, I/O, the lock) is retried, as trino-client.ts does with its DATA_ERRORS.
const DATA_ERRORS: Readonly<Record<string, string>> = {
  Conversion: 'CONVERSION_ERROR',
  Constraint: 'CONSTRAINT_VIOLATION',
  'Out of Range': 'NUMERIC_VALUE_OUT_OF_RANGE',
};

/**
 * DuckDB runs inside the processor, so its memory is the processor's: without a limit its buffer pool may take 80 %
 * of the machine. 640 MB: at 384 MB a 1,000-column table could not be written (DuckDB out of memory, and then every
 * tenant's writes failed); past the limit DuckDB spills to disk.
 */
export const DUCKDB_LIMITS = { memory_limit: '640MB' } as const;

export class DuckDbFile {
  readonly path: string;
  private instance: DuckDBInstance | null = null;
  private connection: DuckDBConnection | null = null;
  // Calls run one after another: a write stages rows in a temporary table of the one connection, and DuckDB
  // would report concurrent writes to one table as transaction conflicts anyway.
  private tail: Promise<unknown> = Promise.resolve();
  private calls = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.path = path;
  }

  get isOpen(): boolean {
    return this.connection !== null;
  }

  /** Runs `work` on the read-write connection after every earlier call; opens the file (creating it) if closed. */
  write<T>(access: DuckDbAccess, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.enqueue(access.idleCloseMs, async () => work(await this.openReadWrite(access.lockWaitMs)));
  }

  /**
   * Runs `work` on the read-write connection when this process has the file open, else on a read-only instance
   * opened for this call alone: read-only opens of several processes can share the file.
   */
  read<T>(access: DuckDbAccess, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.enqueue(access.idleCloseMs, async () => {
      if (this.connection !== null) return work(this.connection);
      if (!existsSync(this.path)) {
        throw new WarehouseError('transient', 'WAREHOUSE_MISSING', `no DuckDB warehouse at ${this.path} yet: nothing has been loaded into it`);
      }
      const instance = await this.create({ access_mode: 'READ_ONLY' }, access.lockWaitMs);
      try {
        const connection = await instance.connect();
        try {
          return await work(connection);
        } finally {
          connection.closeSync();
        }
      } finally {
        instance.closeSync();
      }
    });
  }

  /** Closes the file once the calls queued before have run (a later call opens it again). */
  close(): Promise<void> {
    return this.enqueue(0, async () => this.closeNow());
  }

  private enqueue<T>(idleCloseMs: number, task: () => Promise<T>): Promise<T> {
    this.calls++;
    clearTimeout(this.idleTimer);
    const result = this.tail.then(task).catch((error: unknown) => {
      const classified = classifyDuckDbError(error, this.path);
      // After a fatal or internal error DuckDB refuses every later statement: reopen on the next call.
      if (/^(FATAL|INTERNAL)_ERROR$/.test(classified.errorName)) this.closeNow();
      throw classified;
    });
    this.tail = result.catch(() => undefined);
    return result.finally(() => {
      if (--this.calls > 0 || idleCloseMs <= 0 || this.connection === null) return;
      this.idleTimer = setTimeout(() => {
        if (this.calls === 0) this.closeNow();
      }, idleCloseMs);
      this.idleTimer.unref();
    });
  }

  private async openReadWrite(lockWaitMs: number): Promise<DuckDBConnection> {
    if (this.connection !== null) return this.connection;
    mkdirSync(dirname(this.path), { recursive: true });
    const instance = await this.create({}, lockWaitMs);
    try {
      this.connection = await instance.connect();
    } catch (error) {
      instance.closeSync();
      throw error;
    }
    this.instance = instance;
    return this.connection;
  }

  private async create(options: Record<string, string>, lockWaitMs: number): Promise<DuckDBInstance> {
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      try {
        return await DuckDBInstance.create(this.path, { ...DUCKDB_LIMITS, ...options });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!message.includes('Could not set lock on file')) throw error;
        if (Date.now() >= deadline) {
          const holder = /Conflicting lock is held in (.*?)(?:\. See also|$)/.exec(message)?.[1] ?? 'another process';
          throw new WarehouseError(
            'transient',
            'WAREHOUSE_LOCKED',
            `the DuckDB warehouse file ${this.path} is held by another process (${holder}); still locked after ${lockWaitMs} ms, try again later`,
            { cause: error },
          );
        }
        await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
      }
    }
  }

  private closeNow(): void {
    clearTimeout(this.idleTimer);
    const { connection, instance } = this;
    this.connection = null;
    this.instance = null;
    connection?.closeSync();
    instance?.closeSync(); // checkpoints the write-ahead log into the file and releases the lock
  }
}

/** DuckDB reports the kind of an error only as the prefix of its message: `Conversion Error: ...`. */
export function classifyDuckDbError(error: unknown, path: string): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]!;
  const type = /^([A-Za-z][A-Za-z ]*?) Error: /.exec(message)?.[1];
  if (type !== undefined && DATA_ERRORS[type] !== undefined) {
    return new WarehouseError('permanent', DATA_ERRORS[type], `DuckDB ${firstLine}`, { cause: error });
  }
  if (type === 'TransactionContext' || type === 'Transaction') {
    return new WarehouseError('transient', 'TRANSACTION_CONFLICT', `DuckDB ${firstLine}`, { cause: error });
  }
  const errorName = type === undefined ? 'DUCKDB_ERROR' : `${type.toUpperCase().replaceAll(' ', '_')}_ERROR`;
  return new WarehouseError('transient', errorName, `DuckDB ${firstLine} (${path})`, { cause: error });
}
