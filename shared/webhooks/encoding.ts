// Bytes in and out of the text forms providers write signatures in (hex, base64), and HMAC-SHA256 keys: WebCrypto only.
import { decodeBase64 as decodeBase64Text } from '../secret-box.ts';

const utf8 = new TextEncoder();

/** Bytes WebCrypto takes: backed by an ArrayBuffer (TypeScript's `BufferSource` refuses a SharedArrayBuffer view). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** `bytes` itself when an ArrayBuffer backs it (a request body always), else a copy. */
export function asBytes(bytes: Uint8Array): Bytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Bytes) : new Uint8Array(bytes);
}

export function utf8Bytes(text: string): Bytes {
  return utf8.encode(text) as Bytes;
}

/** `parts` one after the other in a single buffer: the signed content is built from bytes, never by decoding the body. */
export function concatBytes(parts: readonly Uint8Array[]): Bytes {
  // A lone part is returned as is: a 25 MiB body signed on its own is not copied.
  if (parts.length === 1) return asBytes(parts[0]!);
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Hex in either case; null when it is not an even run of hex digits. */
export function decodeHex(text: string): Bytes | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Standard or URL-safe base64, padded or not; null when it is not base64. */
export function decodeBase64(text: string): Bytes | null {
  const bytes = decodeBase64Text(text);
  return bytes === null ? null : asBytes(bytes);
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function importHmacKey(secret: Bytes, usages: Array<'sign' | 'verify'>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, usages);
}

export async function hmacSha256(secret: Bytes, content: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', await importHmacKey(secret, ['sign']), content));
}
