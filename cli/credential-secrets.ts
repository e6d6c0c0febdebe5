// The credentials the CLI issues (ingest tokens, API keys): a random secret with its kind's prefix, shown once
// and stored only as its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { credentialKinds, type CredentialKind } from '../shared/credential-format.ts';

export function generateSecret(kind: CredentialKind): string {
  return credentialKinds[kind] + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
