// Bytes and their text forms (hex, base64), for WebCrypto in the edge, the CLI and the verification core. Pure.

/** Bytes WebCrypto takes: backed by an ArrayBuffer (TypeScript's `BufferSource` refuses a SharedArrayBuffer view). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** `bytes` itself when an ArrayBuffer backs it (a request body always), else a copy. */
export function asBytes(bytes: Uint8Array): Bytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Bytes) : new Uint8Array(bytes);
}

/** `parts` one after the other in a single buffer; a lone part is returned as is (a 10 MiB body is not copied). */
export function concatBytes(parts: readonly Uint8Array[]): Bytes {
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

/** Standard base64, padded. Built 32 KiB at a time: a body of megabytes never becomes one call's argument list. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let offset = 0; offset < bytes.byteLength; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  }
  return btoa(binary);
}

/** Standard or URL-safe base64, padded or not; null when it is not base64. */
export function decodeBase64(text: string): Bytes | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (standard.length % 4 === 1) return null;
  try {
    const binary = atob(standard + '='.repeat((4 - (standard.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
