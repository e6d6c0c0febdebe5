// How a connection's signing secret, as the provider's dashboard shows it, becomes the HMAC key bytes.
import { decodeBase64, type Bytes } from '../bytes.ts';
import { utf8Bytes } from './encoding.ts';
import type { VerifyPreset } from './presets.ts';

const STANDARD_WEBHOOKS_PREFIX = 'whsec_';

/**
 * The HMAC key for `secret`, or null when it cannot be one. Stripe's secret also starts with `whsec_`, but Stripe
 * keys the HMAC with the whole string as text; Standard Webhooks (and Svix) key it with the base64 bytes after the
 * prefix. A bare base64 secret is accepted for Standard Webhooks too: some senders show it without the prefix.
 */
export function signingKeyBytes(preset: VerifyPreset, secret: string): Bytes | null {
  if (preset === 'standard-webhooks') {
    const encoded = secret.startsWith(STANDARD_WEBHOOKS_PREFIX) ? secret.slice(STANDARD_WEBHOOKS_PREFIX.length) : secret;
    const key = decodeBase64(encoded);
    return key === null || key.byteLength === 0 ? null : key;
  }
  // WebCrypto refuses a zero-length HMAC key, and no provider issues one.
  return secret.length === 0 ? null : utf8Bytes(secret);
}

/** What is wrong with `secret` for `preset`, for the CLI to refuse it before sealing it; null when usable. Never quotes it. */
export function signingSecretProblem(preset: VerifyPreset, secret: string): string | null {
  if (secret.trim() !== secret) return 'the signing secret starts or ends with whitespace (a stray newline from the file?)';
  if (signingKeyBytes(preset, secret) !== null) return null;
  if (preset === 'standard-webhooks') return 'a Standard Webhooks signing secret is "whsec_" followed by base64';
  return 'the signing secret is empty';
}
