// Where the operator tools get BOITATA_SECRETS_KEY, the key that seals signing secrets: the environment, or — with
// the embedded defaults (no DATABASE_URL) — a key generated on first need and kept in <BOITATA_DATA_DIR>/secrets-key.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_DATA_DIR, resolveDataDir } from '../database/data-dir.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyError, SecretsKeyring } from '../shared/secret-box.ts';

export interface SecretsKeyText {
  current: string;
  previous: string | null;
  /** where `current` came from: the variable, or the generated file of the embedded setup */
  origin: 'BOITATA_SECRETS_KEY' | 'file';
}

/** The file the embedded setup keeps its generated key in. */
export const secretsKeyFile = (env: NodeJS.ProcessEnv): string => join(resolveDataDir(env['BOITATA_DATA_DIR']?.trim() || DEFAULT_DATA_DIR), 'secrets-key');

/** The key text (and the previous key's, during a key rotation), generating the embedded setup's key if needed. */
export async function secretsKeyText(env: NodeJS.ProcessEnv = process.env): Promise<SecretsKeyText> {
  const previous = env['BOITATA_SECRETS_KEY_PREVIOUS']?.trim() || null;
  const configured = env['BOITATA_SECRETS_KEY']?.trim();
  if (configured) return { current: configured, previous, origin: 'BOITATA_SECRETS_KEY' };
  if (env['DATABASE_URL']?.trim()) {
    throw new SecretsKeyError(
      'BOITATA_SECRETS_KEY is not set. Signing secrets are sealed with it, and the edge opens them with the same key: ' +
        'set it to the key the edge has (`wrangler secret put BOITATA_SECRETS_KEY`); for a new deployment, make one with ' +
        '`boitata secrets generate-key` and give it to both.',
    );
  }
  return { current: await embeddedKey(secretsKeyFile(env)), previous, origin: 'file' };
}

/** The keyring the CLI seals and re-seals with; a malformed key is refused naming its variable, never its value. */
export async function loadSecretsKeyring(env: NodeJS.ProcessEnv = process.env): Promise<SecretsKeyring> {
  return parseKeyText(await secretsKeyText(env), env);
}

/**
 * The variables a local edge (wrangler dev) gets so it opens what this CLI seals, checked first; null when a
 * DATABASE_URL setup has no BOITATA_SECRETS_KEY (its provider webhooks cannot be verified until it has one).
 */
export async function edgeSecretsKeyVars(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string> | null> {
  if (!env['BOITATA_SECRETS_KEY']?.trim() && env['DATABASE_URL']?.trim()) return null;
  const text = await secretsKeyText(env);
  await parseKeyText(text, env);
  return { BOITATA_SECRETS_KEY: text.current, ...(text.previous === null ? {} : { BOITATA_SECRETS_KEY_PREVIOUS: text.previous }) };
}

async function parseKeyText(text: SecretsKeyText, env: NodeJS.ProcessEnv): Promise<SecretsKeyring> {
  const current = await parseSecretsKey(text.current, text.origin === 'file' ? secretsKeyFile(env) : 'BOITATA_SECRETS_KEY');
  const previous = text.previous === null ? undefined : await parseSecretsKey(text.previous, 'BOITATA_SECRETS_KEY_PREVIOUS');
  return new SecretsKeyring(current, previous);
}

/** Reads the kept key, or creates it (mode 0600) — once: a second process racing this one reads the winner's. */
async function embeddedKey(file: string): Promise<string> {
  const saved = await readKey(file);
  if (saved !== null) return saved;
  const key = generateSecretsKey();
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
    // The other process has created the file; its key may take a moment to be written.
    for (let attempt = 0; attempt < 40; attempt++) {
      const winner = await readKey(file);
      if (winner !== null) return winner;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new SecretsKeyError(`${file} is empty: delete it to generate a new key (no signing secret can be sealed without one)`);
  }
}

async function readKey(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim() || null;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
}
