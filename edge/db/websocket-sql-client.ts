// A Postgres connection kept warm in a Durable Object: the Neon driver's WebSocket Client, reopened when it drops.
// One open connection serves every flush of the gate's batcher, so a write costs one round trip and no handshake.
import { Client, neonConfig } from '@neondatabase/serverless';
import type { EdgeConfig } from '../config.ts';
import { budgetMs, classifyDatabaseError, noAnswerInTime, type QueryOptions, type SqlClient } from './sql-client.ts';

export { QUERY_TIMEOUT_MS } from './sql-client.ts';

/** An idle connection is closed after this long, so a quiet gate holds no connection and can be evicted. */
export const IDLE_CLOSE_MS = 60_000;

interface Connection {
  client: Client;
  ready: Promise<Client>;
  /** Its socket failed or closed: ending it again would write to a closed WebSocket (an uncaught error). */
  dead: boolean;
}

export function createWebSocketSqlClient(config: Pick<EdgeConfig, 'databaseUrl' | 'neonWsProxy'>): SqlClient {
  if (config.neonWsProxy !== undefined) {
    // A local proxy (dev/neon-local.ts) speaks plain ws:// and forwards to the address the driver names.
    const proxy = config.neonWsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  }
  let current: Connection | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let pending = 0;

  /**
   * Forgets the connection without waiting for it: a socket that stopped answering may never finish closing,
   * and the next statement must not queue behind it (a connection abandoned mid-statement is never reused).
   */
  const close = (connection = current) => {
    if (connection === undefined) return;
    if (current === connection) current = undefined;
    if (connection.dead) return;
    connection.dead = true;
    void connection.client.end().catch(() => undefined);
  };

  const open = (): Connection => {
    const client = new Client({ connectionString: config.databaseUrl });
    const connection: Connection = { client, ready: client.connect().then(() => client), dead: false };
    const drop = () => {
      connection.dead = true;
      if (current === connection) current = undefined;
    };
    client.on('error', drop);
    client.on('end', drop);
    connection.ready.catch(drop);
    return connection;
  };

  return {
    async query<Row>(text: string, params: readonly unknown[], options?: QueryOptions) {
      const budget = budgetMs(options);
      if (budget === 0) throw noAnswerInTime(0);
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = undefined;
      pending++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const connection = (current ??= open());
      try {
        // One clock for connect and statement: a WebSocket or a startup that never completes is as bounded
        // as a statement that never answers.
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(noAnswerInTime(budget)), budget);
        });
        const client = await Promise.race([connection.ready, timedOut]);
        const result = await Promise.race([client.query(text, [...params]), timedOut]);
        return result.rows as Row[];
      } catch (error) {
        // The connection may be broken, or busy with a statement we stopped waiting for: the next query opens a new one.
        close(connection);
        throw classifyDatabaseError(error);
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        pending--;
        if (pending === 0 && current !== undefined) idleTimer = setTimeout(() => close(), IDLE_CLOSE_MS);
      }
    },
  };
}
