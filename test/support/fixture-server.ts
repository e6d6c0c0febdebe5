// A loopback HTTP service through which tests inside workerd provision real tenants, connections and keys,
// and read the real queue, using the same code as the `boitata` CLI — get provider signatures made in Node by
// the providers' own libraries, which do not run in workerd — and land messages with the real processor.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { addApiKey, revokeApiKey, rotateApiKey, type NewApiKey } from '../../cli/api-keys.ts';
import { addConnection, revokeConnection, updateConnection, type ConnectionChanges, type NewConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { rotateSigningSecret } from '../../cli/signing-secrets.ts';
import type { SecretsKeyring } from '../../shared/secret-box.ts';
import type { VerifyPreset } from '../../shared/webhooks/presets.ts';
import { createProcessorFixture } from './processor-fixture.ts';
import { providerSignature, type SignOptions } from './provider-signatures.ts';

export interface FixtureServer {
  url: string;
  close(): Promise<void>;
}

type Handler = (body: Record<string, unknown>) => Promise<unknown>;

/** `keyring` seals signing secrets (`verify` + `signingSecret`) with the run's BOITATA_SECRETS_KEY, as the CLI does. */
export async function startFixtureServer(db: pg.Pool, keyring: SecretsKeyring): Promise<FixtureServer> {
  const processor = createProcessorFixture(db);
  const routes: Record<string, Handler> = {
    '/tenants': (body) => addTenant(db, { id: String(body['id']) }).catch(ignoreExisting),
    // {tenant, name, table?, allowedIps?, rateLimitPerMinute?, verify?: {preset, options?}, signingSecret?, maxBodyBytes?}
    '/connections': (body) => addConnection(db, body as unknown as NewConnection, keyring),
    // {id, verify?: {preset, options?} | 'none', signingSecret?, maxBodyBytes?: number | null, table?, allowedIps?, rateLimitPerMinute?}
    '/connections/update': (body) => updateConnection(db, String(body['id']), body as ConnectionChanges, keyring),
    // {id, signingSecret, overlapSeconds}
    '/connections/rotate-secret': (body) =>
      rotateSigningSecret(db, String(body['id']), body['signingSecret'] as string, Number(body['overlapSeconds']), keyring),
    '/connections/revoke': (body) => revokeConnection(db, String(body['id'])),
    // {preset, secret, payload, options?}: the headers the provider's own library signs `payload` with
    '/sign': (body) =>
      providerSignature(body['preset'] as VerifyPreset, String(body['secret']), String(body['payload']), (body['options'] as SignOptions | undefined) ?? {}),
    '/keys': (body) => addApiKey(db, body as unknown as NewApiKey),
    '/keys/revoke': (body) => revokeApiKey(db, String(body['id'])),
    '/keys/rotate': (body) => rotateApiKey(db, String(body['id']), Number(body['overlapSeconds'])),
    '/query': async (body) => (await db.query(String(body['sql']), (body['params'] as unknown[]) ?? [])).rows,
    // {tenant}: the real processor lands (or dead-letters) the tenant's pending messages; answers the count per status
    '/messages/land': (body) => processor.land(String(body['tenant'])),
    // {tenant, leaseSeconds}: the real processor's claim, held: the tenant's pending messages are `processing`
    '/messages/claim': (body) => processor.claim(String(body['tenant']), Number(body['leaseSeconds'] ?? 60)),
  };
  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    const handler = routes[req.url ?? ''];
    let status = 200;
    let result: unknown;
    try {
      if (handler === undefined || req.method !== 'POST') throw Object.assign(new Error('not found'), { status: 404 });
      result = await handler(JSON.parse((await readAll(req)) || '{}') as Record<string, unknown>);
    } catch (error) {
      status = (error as { status?: number }).status ?? 500;
      result = { error: (error as Error).message };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result ?? null));
  };
  // Every failure of a route is answered above; one writing the answer (a client gone) only drops the connection.
  const server = createServer((req, res) => void respond(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await processor.close();
    },
  };
}

function ignoreExisting(error: Error): null {
  if (/already exists/.test(error.message)) return null;
  throw error;
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
