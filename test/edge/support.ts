// Helpers for tests inside workerd: provision real credentials through the fixture service, read the real queue.
import { env, exports } from 'cloudflare:workers';
import type { CredentialGate } from '../../edge/gate/credential-gate.ts';
import type { GenericHmacOptions, VerifyPreset } from '../../shared/webhooks/presets.ts';
import type { SignOptions } from '../support/provider-signatures.ts';

export interface TestEnv {
  FIXTURES_URL: string;
  DATABASE_URL: string;
  UNREACHABLE_DATABASE_URL: string;
  GATE: DurableObjectNamespace<CredentialGate>;
  NEON_HTTP_ENDPOINT: string;
  NEON_WS_HOST: string;
  BOITATA_SECRETS_KEY: string;
}

export const testEnv = env as unknown as TestEnv;

async function fixture<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${testEnv.FIXTURES_URL}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const json = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(`fixture ${path} failed: ${json.error}`);
  return json;
}

let counter = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export async function createTenant(id = unique('t')): Promise<string> {
  await fixture('/tenants', { id });
  return id;
}

export interface ConnectionFixture {
  tenant: string;
  id: string;
  token: string;
}

export interface VerifyFixture {
  preset: VerifyPreset;
  options?: GenericHmacOptions;
  signingSecret: string;
  maxBodyBytes?: number;
}

export async function createConnection(
  options: { tenant?: string; table?: string; allowedIps?: string[]; rateLimitPerMinute?: number; verify?: VerifyFixture } = {},
): Promise<ConnectionFixture> {
  const tenant = options.tenant ?? (await createTenant());
  const { connection, token } = await fixture<{ connection: { id: string }; token: string }>('/connections', {
    tenant,
    name: unique('conn'),
    table: options.table,
    allowedIps: options.allowedIps,
    rateLimitPerMinute: options.rateLimitPerMinute,
    ...(options.verify === undefined
      ? {}
      : {
          verify: { preset: options.verify.preset, ...(options.verify.options ? { options: options.verify.options } : {}) },
          signingSecret: options.verify.signingSecret,
          maxBodyBytes: options.verify.maxBodyBytes,
        }),
  });
  return { tenant, id: connection.id, token };
}

export const rotateSigningSecret = (id: string, signingSecret: string, overlapSeconds: number) =>
  fixture('/connections/rotate-secret', { id, signingSecret, overlapSeconds });

/** Signature headers made in Node by the provider's own library (test/support/provider-signatures.ts). */
export const providerSignature = (preset: VerifyPreset, secret: string, payload: string, options: SignOptions = {}) =>
  fixture<Record<string, string>>('/sign', { preset, secret, payload, options });

export interface KeyFixture {
  tenant: string;
  id: string;
  secret: string;
}

export async function createKey(kind: 'metrics' | 'source', options: { tenant?: string; sourceId?: string } = {}): Promise<KeyFixture> {
  const tenant = options.tenant ?? (await createTenant());
  const { key, secret } = await fixture<{ key: { id: string }; secret: string }>('/keys', {
    tenant,
    kind,
    sourceId: options.sourceId,
  });
  return { tenant, id: key.id, secret };
}

export const revokeKey = (id: string) => fixture('/keys/revoke', { id });
export const revokeConnection = (id: string) => fixture('/connections/revoke', { id });
export const rotateKey = (id: string, overlapSeconds: number) => fixture<{ key: { id: string }; secret: string }>('/keys/rotate', { id, overlapSeconds });

export function query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
  return fixture<Row[]>('/query', { sql, params });
}

export async function queueRows(tenant: string): Promise<Array<Record<string, unknown>>> {
  return query(
    `SELECT message_id::text, endpoint, payload_format, target_table, item_key, payload, row_count, receipt,
            idempotency_key, status, connection_id::text, api_key_id::text
       FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id`,
    [tenant],
  );
}

/** Sends a request to the Worker under test, with JSON defaults. */
export function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: BodyInit | null; json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  let body = options.body ?? null;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return (exports as unknown as { default: Fetcher }).default.fetch(
    new Request(`https://edge.test${path}`, { method: options.method ?? 'POST', headers, body }),
  );
}

export const pushPath = (token: string, query = '') => `/v1/ingest/push/${token}${query}`;

/** The real processor lands (or dead-letters) the tenant's pending messages; answers the count per queue status. */
export const landMessages = (tenant: string) => fixture<Record<string, number>>('/messages/land', { tenant });

/** The real processor claims the tenant's pending messages and holds them in flight (`processing`). */
export const claimMessages = (tenant: string, leaseSeconds = 60) => fixture<{ claimed: number }>('/messages/claim', { tenant, leaseSeconds });

export const messagePath = (messageId: string) => `/v1/ingest/messages/${messageId}`;

/** Waits (bounded) until the tenant has this many messages in the queue: a concurrent request has stored its own. */
export async function untilStored(tenant: string, count = 1, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query<{ n: number }>('SELECT count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1', [tenant]);
    if ((row?.n ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`tenant ${tenant} has ${row?.n ?? 0} of ${count} messages after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
