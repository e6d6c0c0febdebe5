// Bytes in and out of the text forms providers write signatures in, and HMAC-SHA256 keys: WebCrypto only. The plain
// byte helpers (hex, base64, concatenation) are shared/bytes.ts.
import type { Bytes } from '../bytes.ts';

const utf8 = new TextEncoder();

export function utf8Bytes(text: string): Bytes {
  return utf8.encode(text) as Bytes;
}

/** Hex in either case; null when it is not an even run of hex digits. */
export function decodeHex(text: string): Bytes | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function importHmacKey(secret: Bytes, usages: Array<'sign' | 'verify'>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, usages);
}

export async function hmacSha256(secret: Bytes, content: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', await importHmacKey(secret, ['sign']), content));
}
