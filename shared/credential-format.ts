// The shape of Boitatá secrets: a kind prefix plus 32 random bytes in base64url (256 bits).

export const credentialKinds = {
  ingest: 'bt_ik_',
  metrics: 'bt_mk_',
  source: 'bt_sk_',
} as const;

export type CredentialKind = keyof typeof credentialKinds;

/** 32 random bytes in base64url without padding. */
const SECRET_BODY = /^[A-Za-z0-9_-]{43}$/;

/** How many characters of a secret may be shown or logged: the kind prefix and 6 more. */
export const VISIBLE_PREFIX_LENGTH = 12;

export function isWellFormedCredential(kind: CredentialKind, secret: string): boolean {
  const prefix = credentialKinds[kind];
  return secret.startsWith(prefix) && SECRET_BODY.test(secret.slice(prefix.length));
}

export function visiblePrefix(secret: string): string {
  return secret.slice(0, VISIBLE_PREFIX_LENGTH);
}
