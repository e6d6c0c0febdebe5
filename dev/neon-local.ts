// A local stand-in for Neon's endpoints in front of a plain Postgres: the HTTP /sql protocol and the WebSocket-to-TCP proxy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import pg from 'pg';
import { WebSocketServer } from 'ws';
import { startFreezableRelay, type FreezableRelay } from './freezable-relay.ts';

export interface NeonLocal {
  /** Where the Neon driver's `fetchEndpoint` should point, e.g. http://127.0.0.1:4444/sql */
  sqlUrl: string;
  /** Host:port for `neonConfig.wsProxy` (the driver appends `/v1?address=host:port`). */
  wsProxyHost: string;
  port: number;
  close(): Promise<void>;
}

interface SqlRequest {
  query: string;
  params?: unknown[];
}

// Values travel as Postgres text, as Neon's endpoint sends them with Neon-Raw-Text-Output.
const rawText = { getTypeParser: () => (value: string) => value };
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface NeonLocalOptions {
  port?: number;
  host?: string;
  poolSize?: number;
  /**
   * Serves `/__test/relays` (on by default: the test suite's instance; `npm run dev` turns it off): tests inside
   * workerd, which cannot open sockets, ask for a freezable relay in front of Postgres and freeze or thaw it.
   */
  testControls?: boolean;
}

export async function startNeonLocal(options: NeonLocalOptions = {}): Promise<NeonLocal> {
  const host = options.host ?? '127.0.0.1';
  const relays = new Map<number, FreezableRelay>();
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connectionString: string) => {
    let pool = pools.get(connectionString);
    if (pool === undefined) {
      pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
      pool.on('error', () => undefined); // an idle client's error: the next query reconnects
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const server = createServer((req, res) => {
    if (options.testControls !== false && req.url?.startsWith('/__test/relays')) {
      handleRelayControl(req, res, relays).catch((error: unknown) => sendJson(res, 500, { message: String(error) }));
      return;
    }
    handleSql(req, res, poolFor).catch((error: unknown) => sendJson(res, 500, { message: String(error) }));
  });
  attachWebSocketProxy(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    sqlUrl: `http://${host}:${port}/sql`,
    wsProxyHost: `${host}:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...relays.values()].map((relay) => relay.close()));
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}

async function handleSql(req: IncomingMessage, res: ServerResponse, poolFor: (cs: string) => pg.Pool): Promise<void> {
  if (req.method !== 'POST' || !req.url?.startsWith('/sql')) return sendJson(res, 404, { message: 'POST /sql only' });
  const connectionString = req.headers['neon-connection-string'];
  if (typeof connectionString !== 'string') return sendJson(res, 400, { message: 'missing Neon-Connection-String' });
  const body = JSON.parse(await readBody(req)) as SqlRequest | { queries: SqlRequest[] };
  const arrayMode = req.headers['neon-array-mode'] === 'true';

  let client: pg.PoolClient;
  try {
    client = await poolFor(connectionString).connect();
  } catch (error) {
    // Postgres is unreachable: answer as a connection failure (SQLSTATE class 08), like a Postgres error.
    return sendJson(res, 400, { message: `cannot connect to Postgres: ${(error as Error).message}`, code: '08006', severity: 'FATAL' });
  }
  try {
    if ('queries' in body) {
      const isolation = req.headers['neon-batch-isolation-level'];
      await client.query(`BEGIN${typeof isolation === 'string' ? ` ISOLATION LEVEL ${isolationLevel(isolation)}` : ''}`);
      try {
        const results = [];
        for (const query of body.queries) results.push(await run(client, query, arrayMode));
        await client.query('COMMIT');
        sendJson(res, 200, { results });
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } else {
      sendJson(res, 200, await run(client, body, arrayMode));
    }
  } catch (error) {
    sendJson(res, 400, postgresErrorBody(error));
  } finally {
    client.release();
  }
}

/** POST /__test/relays {"address":"127.0.0.1:5432"} → {"port"}; POST /__test/relays/<port>/freeze|thaw. */
async function handleRelayControl(req: IncomingMessage, res: ServerResponse, relays: Map<number, FreezableRelay>): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { message: 'POST only' });
  const action = /^\/__test\/relays\/(\d+)\/(freeze|thaw)$/.exec(req.url ?? '');
  if (action !== null) {
    const relay = relays.get(Number(action[1]));
    if (relay === undefined) return sendJson(res, 404, { message: 'no such relay' });
    if (action[2] === 'freeze') relay.freeze();
    else relay.thaw();
    return sendJson(res, 200, { port: relay.port, state: action[2] });
  }
  const { address } = JSON.parse(await readBody(req)) as { address?: string };
  const match = /^(127\.0\.0\.1|localhost):(\d{1,5})$/.exec(address ?? '');
  if (match === null) return sendJson(res, 400, { message: 'address must be a loopback host:port' });
  const relay = await startFreezableRelay({ host: match[1]!, port: Number(match[2]) });
  relays.set(relay.port, relay);
  sendJson(res, 200, { port: relay.port });
}

async function run(client: pg.PoolClient, request: SqlRequest, arrayMode: boolean) {
  const result = await client.query({
    text: request.query,
    values: request.params ?? [],
    rowMode: arrayMode ? 'array' : undefined,
    types: rawText,
  } as pg.QueryConfig);
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields.map((f) => ({ ...f })),
    rowAsArray: arrayMode,
  };
}

function isolationLevel(header: string): string {
  const levels: Record<string, string> = {
    ReadUncommitted: 'READ UNCOMMITTED',
    ReadCommitted: 'READ COMMITTED',
    RepeatableRead: 'REPEATABLE READ',
    Serializable: 'SERIALIZABLE',
  };
  return levels[header] ?? 'READ COMMITTED';
}

const POSTGRES_ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

function postgresErrorBody(error: unknown): Record<string, unknown> {
  const body: Record<string, unknown> = { message: error instanceof Error ? error.message : String(error) };
  if (typeof error === 'object' && error !== null) {
    for (const field of POSTGRES_ERROR_FIELDS) {
      const value = (error as Record<string, unknown>)[field];
      if (value !== undefined) body[field] = value;
    }
    // Socket-level failures (ECONNRESET, ...) carry a Node code, not an SQLSTATE.
    if (typeof body['code'] === 'string' && !/^[0-9A-Z]{5}$/.test(body['code'])) body['code'] = '08006';
  }
  return body;
}

/** The driver's Pool/Client connect to ws://HOST:PORT/v1?address=host:port and send raw protocol bytes both ways. */
function attachWebSocketProxy(server: Server): void {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const address = url.searchParams.get('address') ?? '';
    const match = /^(127\.0\.0\.1|localhost|\[::1\]|::1):(\d{1,5})$/.exec(address);
    if (match === null) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\nonly loopback addresses may be proxied\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const tcp = connect(Number(match[2]), match[1]!.replace(/[[\]]/g, ''));
      tcp.on('data', (data) => ws.send(data));
      tcp.on('close', () => ws.close());
      tcp.on('error', () => ws.close());
      ws.on('message', (data: Buffer) => tcp.write(data));
      ws.on('close', () => tcp.end());
      ws.on('error', () => tcp.destroy());
    });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
