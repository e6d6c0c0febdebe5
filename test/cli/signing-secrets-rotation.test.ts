// Changing a provider webhook connection's signing secrets with the operator CLI, against the real test database:
// rotation with an overlap, switching verification on and off, and re-sealing under a new secrets key.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSecretsKey, openSecret, parseSecretsKey } from '../../shared/secret-box.ts';
import { addTenant, addWithFile, boitata, remember, runKey, secretFile, storedSecrets, tenant, whsec, type Added } from './signing-secrets-support.ts';

beforeAll(addTenant);

// Each case runs the CLI several times (a Node process each): the 'cli' project's timeouts allow for it.
describe('provider webhook connections (boitata CLI): rotating, updating and rekeying secrets', () => {
  it('rotates a signing secret: the old one expires after the overlap, the new one does not', async () => {
    const added = await addWithFile('rotating', remember(whsec()), ['--verify', 'stripe']);
    const next = remember(whsec());
    const rotated = await boitata([
      'connections',
      'rotate-secret',
      '--id',
      added.id,
      '--signing-secret-file',
      await secretFile(next),
      '--overlap',
      '1h',
      '--json',
    ]);
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
    expect(
      (await boitata(['connections', 'rotate-secret', '--id', added.id, '--signing-secret', '-', '--overlap', 'soon'], { stdin: 'whsec_abc' })).stderr,
    ).toMatch(/--overlap must be a duration such as 30m, 24h, 2d/);
  });

  it('updates verification: a preset needs a secret, none deletes the secrets, the body limit is bounded', async () => {
    const plain = JSON.parse((await boitata(['connections', 'add', '--tenant', tenant, '--name', 'to-verify', '--json'])).stdout) as Added;
    const noSecret = await boitata(['connections', 'update', plain.id, '--verify', 'github']);
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/has no signing secret: --verify github needs the provider's signing secret in the same command/);

    const secret = remember(randomBytes(20).toString('hex'));
    const verified = JSON.parse(
      (
        await boitata([
          'connections',
          'update',
          plain.id,
          '--verify',
          'github',
          '--signing-secret-file',
          await secretFile(secret),
          '--max-body-bytes',
          '10485760',
          '--json',
        ])
      ).stdout,
    ) as Added;
    expect(verified).toMatchObject({ verify_preset: 'github', signing_secrets: 1, max_body_bytes: 10_485_760 });

    const switching = await boitata(['connections', 'update', plain.id, '--verify', 'shopify']);
    expect(switching.stderr).toMatch(/verifies github signatures: switching it to shopify needs the provider's signing secret/);
    const tooSmall = await boitata(['connections', 'update', plain.id, '--max-body-bytes', '1023']);
    expect(tooSmall.stderr).toMatch(/between 1024 \(1 KiB\) and 10485760 \(10 MiB\)/);
    const rotateInstead = await boitata(['connections', 'update', plain.id, '--signing-secret-file', await secretFile(secret)]);
    expect(rotateInstead.stderr).toMatch(/rotate-secret/);
    expect(rotateInstead.stderr).not.toContain(secret);

    const stopped = JSON.parse(
      (await boitata(['connections', 'update', plain.id, '--verify', 'none', '--max-body-bytes', 'default', '--json'])).stdout,
    ) as Added;
    expect(stopped).toMatchObject({ verify_preset: null, verify_options: null, signing_secrets: 0, max_body_bytes: null });
    expect(await storedSecrets(plain.id)).toEqual([]);
  });

  it('rekeys: secrets sealed with the previous key are re-sealed with the current one, or nothing is', async () => {
    const oldKey = generateSecretsKey();
    const secret = remember(whsec());
    const result = await boitata(['connections', 'add', '--tenant', tenant, '--name', 'old-key', '--verify', 'stripe', '--signing-secret', '-', '--json'], {
      stdin: secret,
      env: { BOITATA_SECRETS_KEY: oldKey },
    });
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
});
