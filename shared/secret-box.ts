// Signing secrets at rest: AES-256-GCM with BOITATA_SECRETS_KEY (a key that is never in Postgres). WebCrypto only,
// so the CLI (Node) seals and the edge (workerd) opens with the same code.
import { decodeBase64, toBase64, toHex } from './bytes.ts';

/** The key as an operator configures it: 32 random bytes, base64 or base64url (`boitata secrets generate-key`). */
export interface SecretsKey {
  /** First 16 hex digits of SHA-256 over the raw key: stored beside each sealed secret, never the key itself. */
  id: string;
  key: CryptoKey;
}

export class SecretsKeyError extends Error {
  override readonly name = 'SecretsKeyError';
}

const IV_BYTES = 12;
const KEY_BYTES = 32;

/** 32 random bytes, base64: a fresh BOITATA_SECRETS_KEY. */
export function generateSecretsKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/** Parses a configured key; the error names the variable and what it should hold, never the value. */
export async function parseSecretsKey(text: string, variable = 'BOITATA_SECRETS_KEY'): Promise<SecretsKey> {
  const raw = decodeBase64(text.trim());
  if (raw === null || raw.byteLength !== KEY_BYTES) {
    throw new SecretsKeyError(`${variable} must be 32 random bytes in base64 (44 characters; \`boitata secrets generate-key\` prints one).`);
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  return { id: toHex(digest.subarray(0, 8)), key };
}

/** IV ‖ ciphertext ‖ tag. `boundTo` (the connection id) is authenticated: the sealed bytes open only for it. */
export async function sealSecret(key: SecretsKey, plaintext: string, boundTo: string): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(boundTo) }, key.key, new TextEncoder().encode(plaintext)),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv, 0);
  out.set(sealed, IV_BYTES);
  return out;
}

/** The plaintext, or a SecretsKeyError when the key is not the one that sealed it or the bytes were altered. */
export async function openSecret(key: SecretsKey, sealed: Uint8Array, boundTo: string): Promise<string> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(sealed.subarray(0, IV_BYTES)), additionalData: new TextEncoder().encode(boundTo) },
      key.key,
      new Uint8Array(sealed.subarray(IV_BYTES)),
    );
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plain);
  } catch {
    throw new SecretsKeyError(`a signing secret does not open with key ${key.id}: sealed with another key, or altered`);
  }
}

/** The keys a reader tries, by id: the current key and, during a key rotation, the previous one. */
export class SecretsKeyring {
  private readonly byId: Map<string, SecretsKey>;
  readonly current: SecretsKey;

  constructor(current: SecretsKey, previous?: SecretsKey) {
    this.current = current;
    this.byId = new Map([[current.id, current]]);
    if (previous !== undefined) this.byId.set(previous.id, previous);
  }

  keyFor(id: string): SecretsKey | undefined {
    return this.byId.get(id);
  }

  /** Opens a sealed secret with the key that sealed it (by its stored key id). */
  async open(keyId: string, sealed: Uint8Array, boundTo: string): Promise<string> {
    const key = this.byId.get(keyId);
    if (key === undefined) {
      throw new SecretsKeyError(
        `a signing secret was sealed with key ${keyId}, which is neither BOITATA_SECRETS_KEY (${this.current.id}) nor BOITATA_SECRETS_KEY_PREVIOUS`,
      );
    }
    return openSecret(key, sealed, boundTo);
  }
}
