// The demo tenant and connection `npm run dev` prints a ready curl for: created on the first run, reused after.
// Tokens are stored hashed, so the plain token is kept beside the local data (mode 0600) to print it again.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { addConnection } from '../cli/connections.ts';
import { hashSecret } from '../cli/credential-secrets.ts';
import { ProvisionError } from '../cli/provision-error.ts';
import { addTenant } from '../cli/tenants.ts';

export const DEMO_TENANT = 'demo';
export const DEMO_TABLE = 'events';

export interface DemoConnection {
  tenant: string;
  table: string;
  token: string;
  /** false when an earlier run's connection was reused */
  created: boolean;
}

interface Saved {
  /** which database the token belongs to (a digest of its URL: the file never holds the URL's password) */
  database: string;
  connectionId: string;
  token: string;
}

export async function ensureDemoConnection(db: pg.Pool, options: { dataDir: string; databaseUrl: string }): Promise<DemoConnection> {
  const file = join(options.dataDir, 'demo-connection.json');
  const database = createHash('sha256').update(options.databaseUrl).digest('hex').slice(0, 16);
  const saved = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as Saved,
    () => null,
  );
  if (saved !== null && saved.database === database && (await stillValid(db, saved))) {
    return { tenant: DEMO_TENANT, table: DEMO_TABLE, token: saved.token, created: false };
  }
  await addTenant(db, { id: DEMO_TENANT, name: 'Demo (npm run dev)' }).catch((error: unknown) => {
    if (!(error instanceof ProvisionError)) throw error; // it exists already: reuse it
  });
  const { connection, token } = await addConnection(db, {
    tenant: DEMO_TENANT,
    name: `local-dev-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`,
    table: DEMO_TABLE,
  });
  await mkdir(options.dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify({ database, connectionId: connection.id, token } satisfies Saved)}\n`, { mode: 0o600 });
  return { tenant: DEMO_TENANT, table: DEMO_TABLE, token, created: true };
}

async function stillValid(db: pg.Pool, saved: Saved): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM boitata_connections WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL AND token_hash = $3', [
    saved.connectionId,
    DEMO_TENANT,
    hashSecret(saved.token),
  ]);
  return rowCount === 1;
}

/** A sample push a developer can paste as it is. */
export function demoCurl(edgeUrl: string, demo: DemoConnection): string {
  const body = JSON.stringify([
    { id: 1, name: 'Ana Souza', email: 'ana@example.com', plan: 'pro', signed_up_at: '2026-11-22T09:30:00Z', address: { city: 'Recife' } },
    { id: 2, name: 'Bruno Lima', celular: '+5581999990000', plan: 'free', signed_up_at: '2026-11-22T10:05:00-03:00' },
  ]);
  return `curl -X POST "${edgeUrl}/v1/ingest/push/${demo.token}?table=${demo.table}" \\
    -H "x-tenant-id: ${demo.tenant}" -H "content-type: application/json" \\
    -d '${body}'`;
}
