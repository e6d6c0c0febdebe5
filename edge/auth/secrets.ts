// Hashing and comparing secrets inside the Worker: SHA-256 for storage, constant-time equality for checks.
import { toHex } from '../../shared/bytes.ts';

// Senders reuse their token on every request: remember the digests of recent ones (per isolate, bounded).
const recentTokenDigests = new Map<string, string>();
const MAX_REMEMBERED_TOKENS = 1024;

/** sha256Hex of a credential, remembered for the isolate's most recent tokens. */
export async function credentialDigest(secret: string): Promise<string> {
  const known = recentTokenDigests.get(secret);
  if (known !== undefined) return known;
  const digest = await sha256Hex(secret);
  if (recentTokenDigests.size >= MAX_REMEMBERED_TOKENS) recentTokenDigests.delete(recentTokenDigests.keys().next().value!);
  recentTokenDigests.set(secret, digest);
  return digest;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return toHex(new Uint8Array(digest));
}

const encoder = new TextEncoder();

/** Compares two hex digests without leaking where they differ. */
export function timingSafeEqualHex(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}
