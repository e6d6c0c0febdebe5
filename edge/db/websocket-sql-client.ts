// A Postgres connection kept warm in a Durable Object: the Neon driver's WebSocket Client, reopened when it drops.
// One open connection serves every flush of the gate's batcher, so a write costs one round trip and no handshake.
import { Client, neonConfig } from '@neondatabase/serverless';
import type { EdgeConfig } from '../config.ts';
import { classifyDatabaseError, type SqlClient } from './sql-client.ts';

/** An idle connection is closed after this long, so a quiet gate holds no connection and can be evicted. */
export const IDLE_CLOSE_MS = 60_000;
/** A statement that has not answered by then is abandoned with its connection (a half-open socket never answers). */
export const QUERY_TIMEOUT_MS = 15_000;

export function createWebSocketSqlClient(config: Pick<EdgeConfig, 'databaseUrl' | 'neonWsProxy'>): SqlClient {
  if (config.neonWsProxy !== undefined) {
    // A local proxy (dev/neon-local.ts) speaks plain ws:// and forwards to the address the driver names.
    const proxy = config.neonWsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  }
  let connecting: Promise<Client> | undefined;
  let generation = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let pending = 0;

  const close = () => {
    const closing = connecting;
    generation++;
    connecting = undefined;
    void closing?.then((client) => client.end()).catch(() => undefined);
  };

  const open = async (opened: number): Promise<Client> => {
    const client = new Client({ connectionString: config.databaseUrl });
    const drop = () => {
      if (generation === opened) connecting = undefined;
    };
    client.on('error', drop);
    client.on('end', drop);
    try {
      await client.connect();
    } catch (error) {
      drop();
      throw error;
    }
    return client;
  };
  const connection = (): Promise<Client> => {
    if (connecting === undefined) {
      generation++;
      connecting = open(generation);
    }
    return connecting;
  };

  return {
    async query<Row>(text: string, params: readonly unknown[]) {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = undefined;
      pending++;
      let deadline: ReturnType<typeof setTimeout> | undefined;
      try {
        const client = await connection();
        const timedOut = new Promise<never>((_, reject) => {
          deadline = setTimeout(() => reject(new Error(`no answer from Postgres within ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS);
        });
        const result = await Promise.race([client.query(text, [...params]), timedOut]);
        return result.rows as Row[];
      } catch (error) {
        // The connection may be broken: the next query opens a new one.
        close();
        throw classifyDatabaseError(error);
      } finally {
        if (deadline !== undefined) clearTimeout(deadline);
        pending--;
        if (pending === 0 && connecting !== undefined) idleTimer = setTimeout(close, IDLE_CLOSE_MS);
      }
    },
  };
}
