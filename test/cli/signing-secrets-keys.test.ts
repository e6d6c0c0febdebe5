// The operator CLI's secrets key and test delivery: a missing or malformed BOITATA_SECRETS_KEY refused without its
// value, a key generated, and a signed test delivery sent to a loopback server without repeating the token.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSecretsKey } from '../../shared/secret-box.ts';
import { addTenant, boitata, db, secretFile, tenant, whsec } from './signing-secrets-support.ts';

beforeAll(addTenant);

describe('provider webhook connections (boitata CLI): the secrets key and test deliveries', () => {
  it('refuses a missing or malformed secrets key, naming the variable and not its value', async () => {
    const missing = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'no-key', '--verify', 'stripe', '--signing-secret', '-'], {
      stdin: whsec(),
      env: { BOITATA_SECRETS_KEY: undefined },
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/BOITATA_SECRETS_KEY is not set.*boitata secrets generate-key/s);
    const malformed = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'no-key', '--verify', 'stripe', '--signing-secret', '-'], {
      stdin: whsec(),
      env: { BOITATA_SECRETS_KEY: 'not-a-key-at-all' },
    });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/BOITATA_SECRETS_KEY must be 32 random bytes in base64/);
    expect(malformed.stderr).not.toContain('not-a-key-at-all');
    const { rowCount } = await db.query('SELECT 1 FROM boitata_connections WHERE tenant_id = $1 AND name = $2', [tenant, 'no-key']);
    expect(rowCount).toBe(0);
  });

  it('generates a key: 32 random bytes in base64, with its id', async () => {
    const text = await boitata(['secrets', 'generate-key'], { env: { DATABASE_URL: undefined } });
    expect(text.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const json = JSON.parse((await boitata(['secrets', 'generate-key', '--json'])).stdout) as { key: string; key_id: string };
    expect((await parseSecretsKey(json.key)).id).toBe(json.key_id);
    expect(json.key).not.toBe(text.stdout.trim());
  });

  it('sends a signed test delivery and reports the answer, without repeating the token', async () => {
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    let status = 202;
    const record = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 202 ? '{"status":"queued"}' : '{"error":{"code":"signature_invalid"}}');
    };
    // A request that breaks off while being read is dropped, never an unhandled rejection.
    const server = createServer((req, res) => void record(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const token = `bt_ik_${randomBytes(32).toString('base64url')}`;
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ingest/push/${token}`;
      const secret = whsec();
      const sent = await boitata(['connections', 'test-delivery', '--url', url, '--verify', 'stripe', '--signing-secret', '-'], {
        stdin: secret,
        env: { DATABASE_URL: undefined },
      });
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/Sent a signed stripe test delivery .*: 202\n\{"status":"queued"\}/);
      expect(sent.stdout).toContain(token.slice(0, 12));
      expect(sent.stdout + sent.stderr).not.toContain(token);
      expect(sent.stdout + sent.stderr).not.toContain(secret);
      expect(received[0]!.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

      status = 401;
      const refused = await boitata([
        'connections',
        'test-delivery',
        '--url',
        url,
        '--verify',
        'hmac-sha256',
        '--signature-header',
        'x-sig',
        '--signature-encoding',
        'hex',
        '--signing-secret-file',
        await secretFile('generic'),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/: 401\n.*signature_invalid/);
      expect(received[1]!.headers['x-sig']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
