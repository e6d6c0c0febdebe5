// Signing secrets at rest and in logs: sealed in Postgres (never the plaintext), opened only in the gate with
// BOITATA_SECRETS_KEY; a gate without the right key answers 500 and logs which key it needed — never a secret.
import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../edge/auth/secrets.ts';
import type { CredentialGate } from '../../edge/gate/credential-gate.ts';
import { generateSecretsKey } from '../../shared/secret-box.ts';
import { createConnection, providerSignature, pushPath, query, queueRows, send, testEnv, type ConnectionFixture } from './support.ts';

const SECRET = `whsec_at_rest_${crypto.randomUUID().replace(/-/g, '')}`;

async function gateOf(conn: ConnectionFixture) {
  return testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
}

async function stripeDelivery(conn: ConnectionFixture): Promise<Response> {
  const body = JSON.stringify({ id: `evt_${crypto.randomUUID().slice(0, 8)}`, type: 'invoice.paid', data: {} });
  return send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...(await providerSignature('stripe', SECRET, body)) }, body });
}

type ConsoleSpy = { mock: { calls: unknown[][] } };

function logged(spies: readonly ConsoleSpy[]): string {
  return spies.flatMap((spy) => spy.mock.calls.map((call) => call.map(String).join(' '))).join('\n');
}

afterEach(() => vi.restoreAllMocks());

describe('signing secrets at rest', () => {
  it('Postgres holds only the sealed secret: neither its text nor its hex or base64 is there', async () => {
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: SECRET } });
    const [row] = await query<{ sealed_hex: string; sealed_text: string; key_id: string }>(
      `SELECT encode(sealed, 'hex') AS sealed_hex, encode(sealed, 'escape') AS sealed_text, key_id
         FROM boitata_signing_secrets WHERE connection_id = $1`,
      [conn.id],
    );
    const bytes = new TextEncoder().encode(SECRET);
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(row!.sealed_hex).not.toContain(hex.slice(0, 24));
    expect(row!.sealed_text).not.toContain(SECRET.slice(6, 20));
    expect(row!.key_id).toMatch(/^[0-9a-f]{16}$/);
    const [connection] = await query<Record<string, unknown>>('SELECT * FROM boitata_connections WHERE id = $1', [conn.id]);
    expect(JSON.stringify(connection)).not.toContain(SECRET.slice(6, 20));
  });

  it('a gate without the key, or with another key, answers 500 and logs the key id it needed, never a secret', async () => {
    const spies: ConsoleSpy[] = [vi.spyOn(console, 'error'), vi.spyOn(console, 'log'), vi.spyOn(console, 'warn')];
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: SECRET } });
    const gate = await gateOf(conn);
    const otherKey = generateSecretsKey();

    await runInDurableObject(gate, (instance: CredentialGate) => instance.reconfigure({ secretsKey: undefined }));
    const noKey = await stripeDelivery(conn);
    expect(noKey.status).toBe(500);
    const noKeyBody = await noKey.text();
    expect(JSON.parse(noKeyBody).error.code).toBe('internal_error');
    expect(logged(spies)).toContain('BOITATA_SECRETS_KEY is not set');

    await runInDurableObject(gate, (instance: CredentialGate) => instance.reconfigure({ secretsKey: otherKey }));
    const wrongKey = await stripeDelivery(conn);
    expect(wrongKey.status).toBe(500);
    const wrongKeyBody = await wrongKey.text();
    expect(logged(spies)).toMatch(/sealed with key [0-9a-f]{16}, which is neither BOITATA_SECRETS_KEY \([0-9a-f]{16}\)/);

    // With the key back, the same connection verifies again; nothing was stored while it could not.
    expect(await queueRows(conn.tenant)).toEqual([]);
    await runInDurableObject(gate, (instance: CredentialGate) => instance.reconfigure({ secretsKey: testEnv.BOITATA_SECRETS_KEY }));
    expect((await stripeDelivery(conn)).status).toBe(202);

    const everything = [logged(spies), noKeyBody, wrongKeyBody].join('\n');
    for (const secret of [SECRET.slice(6), otherKey.slice(0, 20), testEnv.BOITATA_SECRETS_KEY.slice(0, 20)]) {
      expect(everything).not.toContain(secret);
    }
  });
});
