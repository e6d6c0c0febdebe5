// Where the CLI and `npm run dev` get BOITATA_SECRETS_KEY: the environment, or the embedded setup's generated file.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeSecretsKeyVars, loadSecretsKeyring, secretsKeyText } from '../../cli/secrets-key.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyError } from '../../shared/secret-box.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boitata-secrets-key-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the secrets key', () => {
  it('embedded setup: generated on first need into <BOITATA_DATA_DIR>/secrets-key (0600), reused after', async () => {
    const env = { BOITATA_DATA_DIR: join(dir, 'data') };
    const first = await secretsKeyText(env);
    expect(first).toMatchObject({ origin: 'file', previous: null });
    const file = join(dir, 'data', 'secrets-key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.current);
    await parseSecretsKey(first.current);
    expect((await secretsKeyText(env)).current).toBe(first.current);
    expect((await loadSecretsKeyring(env)).current.id).toBe((await parseSecretsKey(first.current)).id);
  });

  it('embedded setup: processes racing for the first key all get the same one', async () => {
    const env = { BOITATA_DATA_DIR: join(dir, 'race') };
    const keys = await Promise.all(Array.from({ length: 8 }, () => secretsKeyText(env)));
    expect(new Set(keys.map((key) => key.current)).size).toBe(1);
  });

  it('BOITATA_SECRETS_KEY wins over the file; BOITATA_SECRETS_KEY_PREVIOUS joins the keyring', async () => {
    const current = generateSecretsKey();
    const previous = generateSecretsKey();
    const env = { BOITATA_DATA_DIR: join(dir, 'data'), BOITATA_SECRETS_KEY: current, BOITATA_SECRETS_KEY_PREVIOUS: previous };
    const keyring = await loadSecretsKeyring(env);
    expect(keyring.current.id).toBe((await parseSecretsKey(current)).id);
    expect(keyring.keyFor((await parseSecretsKey(previous)).id)).toBeDefined();
    expect(await edgeSecretsKeyVars(env)).toEqual({ BOITATA_SECRETS_KEY: current, BOITATA_SECRETS_KEY_PREVIOUS: previous });
  });

  it('with DATABASE_URL and no key: a clear error naming BOITATA_SECRETS_KEY (no file is made)', async () => {
    const env = { BOITATA_DATA_DIR: join(dir, 'configured'), DATABASE_URL: 'postgres://db.example/x' };
    await expect(loadSecretsKeyring(env)).rejects.toThrow(/BOITATA_SECRETS_KEY is not set.*`boitata secrets generate-key`/s);
    await expect(stat(join(dir, 'configured', 'secrets-key'))).rejects.toThrow(/ENOENT/);
    expect(await edgeSecretsKeyVars(env)).toBeNull();
  });

  it('a malformed key is refused naming where it came from, never its value', async () => {
    const bad = 'c2hvcnQ=';
    const error = await loadSecretsKeyring({ BOITATA_SECRETS_KEY: generateSecretsKey(), BOITATA_SECRETS_KEY_PREVIOUS: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsKeyError);
    expect((error as Error).message).toMatch(/^BOITATA_SECRETS_KEY_PREVIOUS must be 32 random bytes/);
    expect((error as Error).message).not.toContain(bad);
    await mkdir(join(dir, 'bad'));
    await writeFile(join(dir, 'bad', 'secrets-key'), 'nonsense\n');
    await expect(edgeSecretsKeyVars({ BOITATA_DATA_DIR: join(dir, 'bad') })).rejects.toThrow(/bad\/secrets-key must be 32 random bytes/);
  });
});
