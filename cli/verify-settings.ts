// What an operator may set for a provider webhook — preset, generic options, signing secret, body size limit —
// checked before anything is stored. Errors say what to fix and never repeat a secret.
import { ProvisionError } from './provision-error.ts';
import { decodeBase64 } from '../shared/bytes.ts';
import { isVerifyPreset, type GenericHmacOptions, type VerifyPreset } from '../shared/webhooks/presets.ts';

/** A connection's verification as the operator asks for it; `options` only for `hmac-sha256`. */
export interface VerifySetting {
  preset: VerifyPreset;
  options?: GenericHmacOptions | undefined;
}

/**
 * The bounds the migration checks (0009): 1 KiB .. 10 MiB. GitHub sends up to 25 MB, but a delivery crosses the
 * Worker's RPC to its gate (32 MiB per call, 2 bytes per character for non-Latin-1 text) and is read back by the
 * processor (PROCESSOR_MAX_MESSAGE_TEXT_BYTES, 16 MiB): 10 MiB is what the whole path carries with room to spare.
 */
export const MIN_BODY_BYTES = 1024;
export const MAX_BODY_BYTES = 10_485_760;
export const MAX_SECRET_LENGTH = 1024;

const PRESET_LIST = 'stripe, github, shopify, slack, standard-webhooks, hmac-sha256';
// RFC 9110 token characters, lower case: what a header name may be.
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The preset and, for hmac-sha256, its normalized options (header lower-cased, prefix '' by default). */
export function checkVerifySetting(setting: { preset: unknown; options?: unknown }): { preset: VerifyPreset; options: GenericHmacOptions | null } {
  if (!isVerifyPreset(setting.preset)) {
    throw new ProvisionError(`--verify must be one of ${PRESET_LIST} (or none, to stop verifying)`);
  }
  const options = setting.options ?? undefined;
  if (setting.preset !== 'hmac-sha256') {
    if (options !== undefined)
      throw new ProvisionError(
        `--signature-header, --signature-encoding and --signature-prefix are only for --verify hmac-sha256: ${setting.preset} has its own headers`,
      );
    return { preset: setting.preset, options: null };
  }
  if (typeof options !== 'object' || options === null) {
    throw new ProvisionError(
      '--verify hmac-sha256 needs --signature-header NAME and --signature-encoding hex|base64 (and --signature-prefix TEXT when the signature follows one, like sha256=)',
    );
  }
  const { header, encoding, prefix } = options as Partial<Record<keyof GenericHmacOptions, unknown>>;
  if (typeof header !== 'string' || !HEADER_NAME.test(header.toLowerCase())) {
    throw new ProvisionError("--signature-header must be an HTTP header name (1-100 letters, digits or !#$%&'*+.^_`|~-), such as x-signature");
  }
  if (['authorization', 'cookie', 'proxy-authorization'].includes(header.toLowerCase())) {
    throw new ProvisionError(
      `--signature-header ${header.toLowerCase()}: the edge never passes credentials or cookies on for verification; use the header your sender signs into, such as x-signature`,
    );
  }
  if (encoding !== 'hex' && encoding !== 'base64') throw new ProvisionError('--signature-encoding must be hex or base64');
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length > 32 || !PRINTABLE_ASCII.test(prefix))) {
    throw new ProvisionError('--signature-prefix must be at most 32 printable ASCII characters (such as sha256=)');
  }
  return { preset: 'hmac-sha256', options: { header: header.toLowerCase(), encoding, prefix: prefix ?? '' } };
}

/** A signing secret as the provider shows it, checked for the usual copy-and-paste mistakes. */
export function checkSigningSecret(secret: unknown, preset: VerifyPreset): string {
  if (typeof secret !== 'string' || secret === '') throw new ProvisionError('the signing secret is empty: give the file (or standard input) that holds it');
  if (secret.length > MAX_SECRET_LENGTH) {
    throw new ProvisionError(`the signing secret is ${secret.length} characters long, more than ${MAX_SECRET_LENGTH}: is that the right file?`);
  }
  if (secret !== secret.trim()) {
    throw new ProvisionError('the signing secret begins or ends with spaces or a line break: remove them (one final newline in a file is fine)');
  }
  if (/[\x00-\x1f\x7f]/.test(secret)) {
    throw new ProvisionError('the signing secret contains a line break or another control character: the file should hold the secret alone, on one line');
  }
  if (preset === 'standard-webhooks') {
    const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
    const bytes = decodeBase64(body);
    if (bytes === null || bytes.byteLength === 0) {
      throw new ProvisionError(
        'a Standard Webhooks signing secret is whsec_ followed by base64 (as Svix, Clerk or Resend show it): this one is not base64 after the prefix',
      );
    }
  }
  if (preset === 'stripe' && /^(sk|rk|pk)_(live|test)_/.test(secret)) {
    throw new ProvisionError(
      "that is a Stripe API key, not a webhook signing secret: use the endpoint's signing secret (whsec_…, under Developers → Webhooks)",
    );
  }
  return secret;
}

/** A connection's body size limit in bytes; null keeps the default (1 MiB). */
export function checkMaxBodyBytes(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_BODY_BYTES || value > MAX_BODY_BYTES) {
    throw new ProvisionError(`--max-body-bytes must be a whole number of bytes between ${MIN_BODY_BYTES} (1 KiB) and ${MAX_BODY_BYTES} (10 MiB)`);
  }
  return value;
}

/** The headers a preset verifies, as its provider documents them (for the operator's confirmation). */
export function verifiedHeaders(preset: VerifyPreset, options: GenericHmacOptions | null): string[] {
  switch (preset) {
    case 'stripe':
      return ['Stripe-Signature (t=…,v1=…; 5-minute tolerance)'];
    case 'github':
      return ['X-Hub-Signature-256 (sha256=…)'];
    case 'shopify':
      return ['X-Shopify-Hmac-Sha256 (base64)'];
    case 'slack':
      return ['X-Slack-Signature (v0=…)', 'X-Slack-Request-Timestamp (5-minute tolerance)'];
    case 'standard-webhooks':
      return ['webhook-id, webhook-timestamp, webhook-signature (v1,…; 5-minute tolerance)', 'or svix-id, svix-timestamp, svix-signature'];
    case 'hmac-sha256':
      return [`${options?.header ?? '?'} (${options?.prefix ? `${options.prefix}…, ` : ''}${options?.encoding ?? '?'} HMAC-SHA256 of the body)`];
  }
}
