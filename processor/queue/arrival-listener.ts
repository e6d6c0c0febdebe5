// Wakes the processor when messages arrive: LISTEN on a connection of its own, reconnected with backoff when lost.
import pg from 'pg';
import type { Logger } from '../logger.ts';

/** The channel migration 0010's trigger notifies after each statement that inserts into the queue. */
export const ARRIVAL_CHANNEL = 'boitata_inbound';

export interface ArrivalListenerOptions {
  connectionString: string;
  /** called on each notification (and once after a reconnect): must not throw, must not block */
  onArrival: () => void;
  log: Logger;
  /** shown in pg_stat_activity, so an operator (or a test) can find this connection */
  applicationName: string;
  /** the first reconnect delay, doubled on each failure up to maxReconnectMs (defaults 1 s, 30 s) */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** an idle LISTEN connection is checked this often (default 30 s); one that does not answer within 10 s is dropped */
  checkEveryMs?: number;
}

const CHECK_TIMEOUT_MS = 10_000;

/**
 * One Postgres connection outside the pool (a pooled client would be handed to other work and lose its LISTEN).
 * It never throws out: a lost connection is logged and retried with backoff while the processor's poll carries
 * on, so arrivals are at worst picked up at the next poll. A notification only says "look"; the claim decides.
 */
export class ArrivalListener {
  private readonly options: ArrivalListenerOptions;
  private client: pg.Client | null = null;
  private connected = false;
  private closed = false;
  private failures = 0;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;

  constructor(options: ArrivalListenerOptions) {
    this.options = options;
  }

  /** Whether LISTEN is in place right now. */
  get listening(): boolean {
    return this.connected;
  }

  /** Connects and listens; a failure is logged and retried in the background, never thrown. */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.stopChecks();
    const client = this.client;
    this.client = null;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.retryTimer = null;
    if (this.closed) return;
    // Deadlines on connecting and on TCP silence, as the pool has: a half-open server must not hold the listener.
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    this.client = client;
    let lost = false;
    const onLost = (error: Error | null): void => {
      if (lost) return;
      lost = true;
      if (this.client === client) {
        this.client = null;
        this.connected = false;
        this.stopChecks();
      }
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (!this.closed) this.scheduleReconnect(error);
    };
    client.on('error', (error) => onLost(error));
    client.on('end', () => onLost(null));
    client.on('notification', (message) => {
      if (message.channel === ARRIVAL_CHANNEL) this.options.onArrival();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ARRIVAL_CHANNEL}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (lost || this.closed) return;
    this.connected = true;
    this.startChecks(client, onLost);
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.failures = 0;
    this.options.log.info(reconnected ? 'arrival listener reconnected' : 'listening for arriving messages', { channel: ARRIVAL_CHANNEL });
    // Messages may have arrived while it was away: look once now rather than at the next poll.
    if (reconnected) this.options.onArrival();
  }

  private scheduleReconnect(error: Error | null): void {
    const base = this.options.reconnectMs ?? 1000;
    const delay = Math.min(base * 2 ** Math.min(this.failures, 16), this.options.maxReconnectMs ?? 30_000);
    this.failures += 1;
    // The error's message only: pg's messages name no password, and the URL is not logged at all.
    this.options.log.warn('arrival listener lost its connection; messages are still claimed at every poll', {
      reconnect_in_ms: delay,
      failures: this.failures,
      error: error ?? 'connection ended',
    });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  // A LISTEN connection is idle by design, so a dead peer would go unnoticed: a SELECT 1 now and then must answer.
  private startChecks(client: pg.Client, onLost: (error: Error) => void): void {
    let checking = false;
    this.checkTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        deadline = setTimeout(() => reject(new Error(`no answer to a check within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      });
      Promise.race([client.query('SELECT 1'), timedOut])
        .catch((error: Error) => {
          client.connection.stream.destroy();
          onLost(error);
        })
        .finally(() => {
          clearTimeout(deadline);
          checking = false;
        });
    }, this.options.checkEveryMs ?? 30_000);
    this.checkTimer.unref();
  }

  private stopChecks(): void {
    if (this.checkTimer !== null) clearInterval(this.checkTimer);
    this.checkTimer = null;
  }
}
