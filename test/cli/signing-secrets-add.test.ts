// Adding provider webhook connections with the operator CLI, against the real test database: a connection per
// preset with its signing secret read from a file or standard input and sealed, the refusals, and that no secret
// is ever shown — in the output, in Postgres or in a pg_dump.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSecret, parseSecretsKey } from '../../shared/secret-box.ts';
import {
  addWithFile,
  boitata,
  db,
  dir,
  pgDump,
  remember,
  runKey,
  secretFile,
  secrets,
  storedSecrets,
  tenant,
  whsec,
  type Added,
} from './signing-secrets-support.ts';

// Each case runs the CLI several times (a Node process each): the 'cli' project's timeouts allow for it.
describe('provider webhook connections (boitata CLI): adding them', () => {
  it('adds a connection for each preset, sealing the secret with BOITATA_SECRETS_KEY', async () => {
    expect((await boitata(['tenants', 'add', tenant])).code).toBe(0);
    const key = await parseSecretsKey(runKey);
    const cases: Array<[string, string, string[]]> = [
      ['stripe', remember(whsec()), []],
      ['github', remember(randomBytes(20).toString('hex')), []],
      ['shopify', remember(`shpss_${randomBytes(16).toString('hex')}`), []],
      ['slack', remember(randomBytes(16).toString('hex')), []],
      ['standard-webhooks', remember(whsec()), []],
      [
        'hmac-sha256',
        remember(randomBytes(18).toString('base64url')),
        ['--signature-header', 'X-Acme-Signature', '--signature-encoding', 'base64', '--signature-prefix', 'sha256='],
      ],
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
    const {
      rows: [generic],
    } = await db.query('SELECT verify_options FROM boitata_connections WHERE tenant_id = $1 AND name = $2', [tenant, 'p-hmac-sha256']);
    expect(generic.verify_options).toEqual({ header: 'x-acme-signature', encoding: 'base64', prefix: 'sha256=' });
  });

  it('prints the push URL to paste in the dashboard and what it verifies, never the secret', async () => {
    const secret = remember(whsec());
    const result = await boitata([
      'connections',
      'add',
      '--tenant',
      tenant,
      '--name',
      'text-out',
      '--verify',
      'stripe',
      '--signing-secret-file',
      await secretFile(secret),
      '--max-body-bytes',
      '2097152',
    ]);
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
    const result = await boitata(
      ['connections', 'add', '--tenant', tenant, '--name', 'stdin', '--verify', 'standard-webhooks', '--signing-secret', '-', '--json'],
      { stdin: `${secret}\r\n` },
    );
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
      [
        ['--verify', 'hmac-sha256', '--signature-header', 'x sig', '--signature-encoding', 'hex'],
        'generic-secret',
        /--signature-header must be an HTTP header name/,
      ],
      [['--verify', 'hmac-sha256', '--signature-header', 'x-sig', '--signature-encoding', 'base32'], 'generic-secret', /hex or base64/],
      [
        ['--verify', 'hmac-sha256', '--signature-header', 'Authorization', '--signature-encoding', 'hex'],
        'generic-secret',
        /never passes credentials or cookies/,
      ],
      [
        ['--verify', 'hmac-sha256', '--signature-header', 'x-sig', '--signature-encoding', 'hex', '--signature-prefix', 'p'.repeat(33)],
        'generic-secret',
        /at most 32 printable/,
      ],
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
    const noSuchFile = await boitata([
      'connections',
      'add',
      '--tenant',
      tenant,
      '--name',
      'refused',
      '--verify',
      'github',
      '--signing-secret-file',
      join(dir, 'missing'),
    ]);
    expect(noSuchFile.stderr).toMatch(/cannot read .*missing \(ENOENT\)/);
    const secretWithoutPreset = await boitata([
      'connections',
      'add',
      '--tenant',
      tenant,
      '--name',
      'refused',
      '--signing-secret-file',
      await secretFile('abc'),
    ]);
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
      verify_preset: 'hmac-sha256',
      verify_options: { header: 'x-acme-signature', encoding: 'base64', prefix: 'sha256=' },
      signing_secrets: 1,
    });
    expect(listed.every((c) => !('sealed' in c))).toBe(true);

    const everything = JSON.stringify(
      (await db.query('SELECT s.*, c.* FROM boitata_signing_secrets s JOIN boitata_connections c ON c.id = s.connection_id WHERE c.tenant_id = $1', [tenant]))
        .rows,
    );
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
});
