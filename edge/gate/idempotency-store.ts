// Idempotency-Key records in a gate's SQLite storage: in flight while the first request runs, then its response for 24 h.

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A request still "in flight" after this long is assumed dead (its Worker was evicted) and may be retried. */
export const IN_FLIGHT_TIMEOUT_MS = 60 * 1000;

export interface StoredResponse {
  status: number;
  body: string;
}

export type BeginResult = { kind: 'started' } | { kind: 'in_flight' } | { kind: 'mismatch' } | { kind: 'replay'; response: StoredResponse };

interface Row extends Record<string, SqlStorageValue> {
  request_hash: string;
  state: string;
  status: number | null;
  body: string | null;
  updated_at: number;
}

export class IdempotencyStore {
  private readonly sql: SqlStorage;

  private ready = false;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Created on first use, so a gate that never sees a key (or an unknown token's gate) stores nothing. */
  private schema(): SqlStorage {
    if (this.ready) return this.sql;
    const sql = this.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY,
      request_hash TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
      status INTEGER,
      body TEXT,
      updated_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    sql.exec('CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency (expires_at)');
    this.ready = true;
    return sql;
  }

  begin(key: string, requestHash: string, now: number): BeginResult {
    const row = this.schema()
      .exec<Row>('SELECT request_hash, state, status, body, updated_at FROM idempotency WHERE key = ? AND expires_at > ?', key, now)
      .toArray()[0];
    // An in-flight record older than the timeout belongs to a request that died: the key is free again
    // (if that request did commit, the queue's unique index still answers the replay or the 422).
    const abandoned = row?.state === 'in_flight' && now - row.updated_at >= IN_FLIGHT_TIMEOUT_MS;
    if (row !== undefined && !abandoned) {
      if (row.request_hash !== requestHash) return { kind: 'mismatch' };
      if (row.state === 'done' && row.status !== null && row.body !== null) {
        return { kind: 'replay', response: { status: row.status, body: row.body } };
      }
      return { kind: 'in_flight' };
    }
    this.schema().exec(
      `INSERT INTO idempotency (key, request_hash, state, updated_at, expires_at) VALUES (?, ?, 'in_flight', ?, ?)
       ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, state = 'in_flight', status = NULL, body = NULL,
         updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
      key,
      requestHash,
      now,
      now + IDEMPOTENCY_TTL_MS,
    );
    return { kind: 'started' };
  }

  complete(key: string, response: StoredResponse, now: number): void {
    this.schema().exec(
      `UPDATE idempotency SET state = 'done', status = ?, body = ?, updated_at = ?, expires_at = ? WHERE key = ?`,
      response.status,
      response.body,
      now,
      now + IDEMPOTENCY_TTL_MS,
      key,
    );
  }

  /** Forgets an in-flight key whose request failed, so the sender's retry runs again. */
  release(key: string): void {
    this.schema().exec(`DELETE FROM idempotency WHERE key = ? AND state = 'in_flight'`, key);
  }

  purgeExpired(now: number): number {
    return this.schema().exec('DELETE FROM idempotency WHERE expires_at <= ?', now).rowsWritten;
  }

  nextExpiry(): number | null {
    const row = this.schema().exec<{ next: number | null }>('SELECT min(expires_at) AS next FROM idempotency').toArray()[0];
    return row?.next ?? null;
  }
}
