// Provider webhook connections from the operator's side, against the real test database: presets, signing secrets
// read from a file or standard input and sealed (never in Postgres, a dump, the output or an error), rotation, rekey.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateSecretsKey, openSecret, parseSecretsKey } from '../../shared/secret-box.ts';

const databaseUrl = inject('databaseUrl');
const runKey = inject('secretsKey');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `sigs-${Date.now().toString(36)}`;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boitata-signing-secrets-'));
});
afterAll(async () => {
  await db.end();
  await rm(dir, { recursive: true, force: true });
});

interface Run { stdout: string; stderr: string; code: number }

/** `boitata …` as an operator runs it, with this run's secrets key unless `env` says otherwise. */
function boitata(args: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, BOITATA_SECRETS_KEY: runKey, BOITATA_SECRETS_KEY_PREVIOUS: undefined, ...options.env };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/boitata.js', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(options.stdin ?? '');
  });
}

async function secretFile(content: string): Promise<string> {
  const file = join(dir, `secret-${randomBytes(4).toString('hex')}`);
  await writeFile(file, content, { mode: 0o600 });
  return file;
}

const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;
/** Every secret a test stores, to look for in Postgres, dumps and output. */
const secrets: string[] = [];
const remember = (secret: string) => (secrets.push(secret), secret);

async function storedSecrets(connectionId: string): Promise<Array<{ key_id: string; sealed: Buffer; expires_at: Date | null }>> {
  const { rows } = await db.query('SELECT key_id, sealed, expires_at FROM boitata_signing_secrets WHERE connection_id = $1 ORDER BY created_at', [connectionId]);
  return rows;
}

interface Added { id: string; token: string; verify_preset: string | null; verify_options: unknown; max_body_bytes: number | null; signing_secrets: number; verified_headers?: string[] }

async function addWithFile(name: string, secret: string, flags: string[]): Promise<Added> {
  const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', name, ...flags, '--signing-secret-file', await secretFile(`${secret}\n`), '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).not.toContain(secret);
  return JSON.parse(result.stdout) as Added;
}

// Each case runs the CLI several times (a Node process each): slower than the default 5 s on a loaded machine.
describe('provider webhook connections (boitata CLI)', { timeout: 60_000 }, () => {
  it('adds a connection for each preset, sealing the secret with BOITATA_SECRETS_KEY', async () => {
    expect((await boitata(['tenants', 'add', tenant])).code).toBe(0);
    const key = await parseSecretsKey(runKey);
    const cases: Array<[string, string, string[]]> = [
      ['stripe', remember(whsec()), []],
      ['github', remember(randomBytes(20).toString('hex')), []],
      ['shopify', remember(`shpss_${randomBytes(16).toString('hex')}`), []],
      ['slack', remember(randomBytes(16).toString('hex')), []],
      ['standard-webhooks', remember(whsec()), []],
      ['hmac-sha256', remember(randomBytes(18).toString('base64url')), ['--signature-header', 'X-Acme-Signature', '--signature-encoding', 'base64', '--signature-prefix', 'sha256=']],
    ];
    for (const [preset, secret, flags] of cases) {
      const added = await addWithFile(`p-${preset}`, secret, ['--verify', preset, ...flags]);
      expect(added).toMatchObject({ verify_preset: preset, signing_secrets: 1, max_body_bytes: null });
      expect(added.verified_headers!.length).toBeGreaterThan(0);
      const [stored, ...more] = await storedSecrets(added.id);
      expect(more).toEqual([]);
      expect(stored!.key_id).toBe(key.id);
      expect(stored!.expires_at).toBeNull();
      expect(stored!.sealed.includes(Buffer.from(secret))).toBe(false);
      // the final newline of the file is not part of the secret; the connection id is bound in
      expect(await openSecret(key, stored!.sealed, added.id)).toBe(secret);
    }
    const { rows: [generic] } = await db.query('SELECT verify_options FROM boitata_connections WHERE tenant_id = $1 AND name = $2', [tenant, 'p-hmac-sha256']);
    expect(generic.verify_options).toEqual({ header: 'x-acme-signature', encoding: 'base64', prefix: 'sha256=' });
  });

  it('prints the push URL to paste in the dashboard and what it verifies, never the secret', async () => {
    const secret = remember(whsec());
    const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'text-out', '--verify', 'stripe', '--signing-secret-file', await secretFile(secret), '--max-body-bytes', '2097152']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\$EDGE\/v1\/ingest\/push\/bt_ik_[A-Za-z0-9_-]{43}\n/);
    expect(result.stdout).toMatch(/No x-tenant-id/);
    expect(result.stdout).toMatch(/Stripe-Signature/);
    expect(result.stdout).toMatch(/stripe_<event type>/);
    expect(result.stdout).toMatch(/Body limit: 2097152 bytes/);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('reads the secret from standard input with --signing-secret -', async () => {
    const secret = remember(whsec());
    const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'stdin', '--verify', 'standard-webhooks', '--signing-secret', '-', '--json'], { stdin: `${secret}\r\n` });
    expect(result.code).toBe(0);
    const added = JSON.parse(result.stdout) as Added;
    const [stored] = await storedSecrets(added.id);
    expect(await openSecret(await parseSecretsKey(runKey), stored!.sealed, added.id)).toBe(secret);
  });

  it('refuses a secret written on the command line, without repeating it', async () => {
    const secret = whsec();
    const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'literal', '--verify', 'stripe', '--signing-secret', secret]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/shell history/);
    expect(result.stderr).toMatch(/process list/);
    expect(result.stdout + result.stderr).not.toContain(secret);
    const { rowCount } = await db.query('SELECT 1 FROM boitata_connections WHERE tenant_id = $1 AND name = $2', [tenant, 'literal']);
    expect(rowCount).toBe(0);
  });

  it('says what is wrong with a secret or a setting, never echoing the secret', async () => {
    const refusals: Array<[string[], string | null, RegExp]> = [
      [['--verify', 'standard-webhooks'], 'whsec_not*base64!', /whsec_ followed by base64/],
      [['--verify', 'github'], '  padded-secret  ', /spaces or a line break/],
      [['--verify', 'github'], 'two\nlines', /line break/],
      [['--verify', 'github'], 'x'.repeat(1025), /more than 1024/],
      [['--verify', 'stripe'], 'sk_live_abcdefabcdef', /Stripe API key/],
      [['--verify', 'hmac-sha256'], 'generic-secret', /--signature-header NAME and --signature-encoding/],
      [['--verify', 'hmac-sha256', '--signature-header', 'x sig', '--signature-encoding', 'hex'], 'generic-secret', /--signature-header must be an HTTP header name/],
      [['--verify', 'hmac-sha256', '--signature-header', 'x-sig', '--signature-encoding', 'base32'], 'generic-secret', /hex or base64/],
      [['--verify', 'hmac-sha256', '--signature-header', 'Authorization', '--signature-encoding', 'hex'], 'generic-secret', /never passes credentials or cookies/],
      [['--verify', 'hmac-sha256', '--signature-header', 'x-sig', '--signature-encoding', 'hex', '--signature-prefix', 'p'.repeat(33)], 'generic-secret', /at most 32 printable/],
      [['--verify', 'stripe', '--signature-header', 'x-sig'], 'whsec_abc', /only for --verify hmac-sha256/],
      [['--verify', 'paypal'], 'secret-value', /--verify must be one of stripe, github/],
      [['--verify', 'github', '--max-body-bytes', '30000000'], 'secret-value', /between 1024 \(1 KiB\) and 10485760 \(10 MiB\)/],
      [['--verify', 'github'], null, /--verify github needs the provider's signing secret/],
    ];
    for (const [flags, secret, message] of refusals) {
      const input = secret === null ? [] : ['--signing-secret-file', await secretFile(secret)];
      const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'refused', ...flags, ...input]);
      expect(result.stderr, flags.join(' ')).toMatch(message);
      expect(result.code).toBeGreaterThan(0);
      if (secret !== null) expect(result.stderr).not.toContain(secret.trim());
    }
    const noSuchFile = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'refused', '--verify', 'github', '--signing-secret-file', join(dir, 'missing')]);
    expect(noSuchFile.stderr).toMatch(/cannot read .*missing \(ENOENT\)/);
    const secretWithoutPreset = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'refused', '--signing-secret-file', await secretFile('abc')]);
    expect(secretWithoutPreset.stderr).toMatch(/needs --verify PRESET/);
  });

  it('never shows a secret in connections list, text or JSON, nor in Postgres or a pg_dump', async () => {
    const text = await boitata(['connections', 'list', '--tenant', tenant]);
    const json = await boitata(['connections', 'list', '--tenant', tenant, '--json']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/verify_preset\s+signing_secrets\s+signing_secret_next_expiry\s+max_body_bytes/);
    expect(text.stdout).toMatch(/p-standard-webhooks .* standard-webhooks\s+1 /);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed.find((c) => c['name'] === 'p-hmac-sha256')).toMatchObject({
      verify_preset: 'hmac-sha256', verify_options: { header: 'x-acme-signature', encoding: 'base64', prefix: 'sha256=' }, signing_secrets: 1,
    });
    expect(listed.every((c) => !('sealed' in c))).toBe(true);

    const everything = JSON.stringify((await db.query('SELECT s.*, c.* FROM boitata_signing_secrets s JOIN boitata_connections c ON c.id = s.connection_id WHERE c.tenant_id = $1', [tenant])).rows);
    const dump = await pgDump();
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) {
      for (const haystack of [text.stdout, json.stdout, everything, dump]) {
        expect(haystack.includes(secret)).toBe(false);
        expect(haystack.includes(Buffer.from(secret).toString('hex'))).toBe(false);
      }
    }
    expect(dump).toContain('boitata_signing_secrets');
  });

  it('rotates a signing secret: the old one expires after the overlap, the new one does not', async () => {
    const added = await addWithFile('rotating', remember(whsec()), ['--verify', 'stripe']);
    const next = remember(whsec());
    const rotated = await boitata(['connections', 'rotate-secret', '--id', added.id, '--signing-secret-file', await secretFile(next), '--overlap', '1h', '--json']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).not.toContain(next);
    const [old, fresh] = await storedSecrets(added.id);
    const overlapMs = old!.expires_at!.getTime() - Date.now();
    expect(overlapMs).toBeGreaterThan(3_500_000);
    expect(overlapMs).toBeLessThanOrEqual(3_600_000);
    expect(fresh!.expires_at).toBeNull();
    expect(await openSecret(await parseSecretsKey(runKey), fresh!.sealed, added.id)).toBe(next);

    const [listed] = JSON.parse((await boitata(['connections', 'list', '--tenant', tenant, '--json'])).stdout).filter((c: { id: string }) => c.id === added.id);
    expect(listed.signing_secrets).toBe(2);
    expect(Date.parse(listed.signing_secret_next_expiry)).toBe(old!.expires_at!.getTime());

    // A second rotation never lengthens the first overlap, and the default overlap is 24 h.
    const text = await boitata(['connections', 'rotate-secret', '--id', added.id, '--signing-secret', '-'], { stdin: remember(whsec()) });
    expect(text.stdout).toMatch(/previous 2 secrets verify until/);
    const [first, second, third] = await storedSecrets(added.id);
    expect(first!.expires_at).toEqual(old!.expires_at);
    expect(second!.expires_at!.getTime() - Date.now()).toBeGreaterThan(86_300_000);
    expect(third!.expires_at).toBeNull();

    // --overlap 0: the switch is immediate; the expired secrets go at the next rotation.
    await boitata(['connections', 'rotate-secret', '--id', added.id, '--signing-secret', '-', '--overlap', '0'], { stdin: remember(whsec()) });
    await boitata(['connections', 'rotate-secret', '--id', added.id, '--signing-secret', '-', '--overlap', '0'], { stdin: remember(whsec()) });
    const after = await storedSecrets(added.id);
    expect(after.filter((s) => s.expires_at === null)).toHaveLength(1);
    expect(after.length).toBeLessThanOrEqual(2);

    const plain = JSON.parse((await boitata(['connections', 'add', '--tenant', tenant, '--name', 'plain', '--json'])).stdout) as Added;
    const refused = await boitata(['connections', 'rotate-secret', '--id', plain.id, '--signing-secret', '-'], { stdin: 'whsec_abc' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/verifies no signature.*--verify PRESET/);
    expect((await boitata(['connections', 'rotate-secret', '--id', added.id, '--signing-secret', '-', '--overlap', 'soon'], { stdin: 'whsec_abc' })).stderr)
      .toMatch(/--overlap must be a duration such as 30m, 24h, 2d/);
  });

  it('updates verification: a preset needs a secret, none deletes the secrets, the body limit is bounded', async () => {
    const plain = JSON.parse((await boitata(['connections', 'add', '--tenant', tenant, '--name', 'to-verify', '--json'])).stdout) as Added;
    const noSecret = await boitata(['connections', 'update', plain.id, '--verify', 'github']);
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/has no signing secret: --verify github needs the provider's signing secret in the same command/);

    const secret = remember(randomBytes(20).toString('hex'));
    const verified = JSON.parse((await boitata(['connections', 'update', plain.id, '--verify', 'github', '--signing-secret-file', await secretFile(secret), '--max-body-bytes', '10485760', '--json'])).stdout) as Added;
    expect(verified).toMatchObject({ verify_preset: 'github', signing_secrets: 1, max_body_bytes: 10_485_760 });

    const switching = await boitata(['connections', 'update', plain.id, '--verify', 'shopify']);
    expect(switching.stderr).toMatch(/verifies github signatures: switching it to shopify needs the provider's signing secret/);
    const tooSmall = await boitata(['connections', 'update', plain.id, '--max-body-bytes', '1023']);
    expect(tooSmall.stderr).toMatch(/between 1024 \(1 KiB\) and 10485760 \(10 MiB\)/);
    const rotateInstead = await boitata(['connections', 'update', plain.id, '--signing-secret-file', await secretFile(secret)]);
    expect(rotateInstead.stderr).toMatch(/rotate-secret/);
    expect(rotateInstead.stderr).not.toContain(secret);

    const stopped = JSON.parse((await boitata(['connections', 'update', plain.id, '--verify', 'none', '--max-body-bytes', 'default', '--json'])).stdout) as Added;
    expect(stopped).toMatchObject({ verify_preset: null, verify_options: null, signing_secrets: 0, max_body_bytes: null });
    expect(await storedSecrets(plain.id)).toEqual([]);
  });

  it('rekeys: secrets sealed with the previous key are re-sealed with the current one, or nothing is', async () => {
    const oldKey = generateSecretsKey();
    const secret = remember(whsec());
    const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'old-key', '--verify', 'stripe', '--signing-secret', '-', '--json'],
      { stdin: secret, env: { BOITATA_SECRETS_KEY: oldKey } });
    const added = JSON.parse(result.stdout) as Added;
    const old = await parseSecretsKey(oldKey);
    const current = await parseSecretsKey(runKey);
    expect((await storedSecrets(added.id))[0]!.key_id).toBe(old.id);

    const missingPrevious = await boitata(['secrets', 'rekey']);
    expect(missingPrevious.code).toBe(1);
    expect(missingPrevious.stderr).toContain(`sealed with key ${old.id}`);
    expect(missingPrevious.stderr).toMatch(/BOITATA_SECRETS_KEY_PREVIOUS.*Nothing was re-sealed/s);
    expect(missingPrevious.stderr).not.toContain(oldKey);
    expect((await storedSecrets(added.id))[0]!.key_id).toBe(old.id);

    const rekeyed = await boitata(['secrets', 'rekey', '--json'], { env: { BOITATA_SECRETS_KEY_PREVIOUS: oldKey } });
    expect(rekeyed.code).toBe(0);
    expect(JSON.parse(rekeyed.stdout)).toMatchObject({ key_id: current.id });
    expect(JSON.parse(rekeyed.stdout).resealed).toBeGreaterThanOrEqual(1);
    const [stored] = await storedSecrets(added.id);
    expect(stored!.key_id).toBe(current.id);
    expect(await openSecret(current, stored!.sealed, added.id)).toBe(secret);
    await expect(openSecret(old, stored!.sealed, added.id)).rejects.toThrow(/does not open with key/);
    expect(rekeyed.stdout + rekeyed.stderr).not.toContain(secret);
  });

  it('refuses a missing or malformed secrets key, naming the variable and not its value', async () => {
    const missing = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'no-key', '--verify', 'stripe', '--signing-secret', '-'],
      { stdin: whsec(), env: { BOITATA_SECRETS_KEY: undefined } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/BOITATA_SECRETS_KEY is not set.*boitata secrets generate-key/s);
    const malformed = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'no-key', '--verify', 'stripe', '--signing-secret', '-'],
      { stdin: whsec(), env: { BOITATA_SECRETS_KEY: 'not-a-key-at-all' } });
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
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 202 ? '{"status":"queued"}' : '{"error":{"code":"signature_invalid"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const token = `bt_ik_${randomBytes(32).toString('base64url')}`;
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ingest/push/${token}`;
      const secret = whsec();
      const sent = await boitata(['connections', 'test-delivery', '--url', url, '--verify', 'stripe', '--signing-secret', '-'], { stdin: secret, env: { DATABASE_URL: undefined } });
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/Sent a signed stripe test delivery .*: 202\n\{"status":"queued"\}/);
      expect(sent.stdout).toContain(token.slice(0, 12));
      expect(sent.stdout + sent.stderr).not.toContain(token);
      expect(sent.stdout + sent.stderr).not.toContain(secret);
      expect(received[0]!.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

      status = 401;
      const refused = await boitata(['connections', 'test-delivery', '--url', url, '--verify', 'hmac-sha256', '--signature-header', 'x-sig', '--signature-encoding', 'hex', '--signing-secret-file', await secretFile('generic')]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/: 401\n.*signature_invalid/);
      expect(received[1]!.headers['x-sig']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** `pg_dump --data-only` of the test database, by the newest pg_dump installed (it must not be older than the server). */
async function pgDump(): Promise<string> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...versions.map((v) => `/usr/lib/postgresql/${v}/bin/pg_dump`), 'pg_dump'].filter((path) => path === 'pg_dump' || existsSync(path));
  const run = (bin: string) => new Promise<string>((resolve, reject) => {
    const child = spawn(bin, ['--data-only', '--dbname', databaseUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`${bin} exited ${code}: ${err}`))));
  });
  return run(candidates[0]!);
}
