// Reads a delivery's signature headers, per preset, into what must be checked: the signatures sent, the signed bytes,
// the signed timestamp. Pure and synchronous; the HMAC and the clock are verify-signature.ts's job.
import { concatBytes, decodeBase64, type Bytes } from '../bytes.ts';
import { decodeHex, utf8Bytes } from './encoding.ts';
import type { GenericHmacOptions, HeaderMap, SignatureFailureCode, VerifyPreset } from './presets.ts';

export interface SignedMessage {
  /** The signatures the sender offers (decoded): valid when any of them is the HMAC of `content`. */
  signatures: Bytes[];
  /** Exactly the bytes the provider signs, built from the raw body without decoding it as text. */
  content: Bytes;
  /** The signed timestamp in seconds (Stripe, Slack, Standard Webhooks), checked against the clock; null when none. */
  timestampSeconds: number | null;
  /** The header holding the signatures, as a failure message names it. */
  signatureHeader: string;
}

export type ReadResult = { ok: true; message: SignedMessage } | { ok: false; code: SignatureFailureCode; message: string };

const HMAC_SHA256_BYTES = 32;

/** More is no sender's practice; the cap bounds the work a hostile header can ask for. */
export const MAX_SIGNATURES = 16;

// Unix seconds as decimal digits: 12 digits reach the year 33658, and anything else is not a timestamp.
const TIMESTAMP = /^\d{1,12}$/;

export function readSignedMessage(preset: VerifyPreset, options: GenericHmacOptions | null, headers: HeaderMap, body: Uint8Array): ReadResult {
  switch (preset) {
    case 'stripe':
      return readStripe(headers, body);
    case 'github':
      return readPrefixed(headers, body, 'x-hub-signature-256', 'sha256=', 'hex', 'X-Hub-Signature-256');
    case 'shopify':
      // Shopify's newer event subscriptions send the same scheme without the `x-` prefix.
      return headers['x-shopify-hmac-sha256'] === undefined && headers['shopify-hmac-sha256'] !== undefined
        ? readPrefixed(headers, body, 'shopify-hmac-sha256', '', 'base64', 'Shopify-Hmac-Sha256')
        : readPrefixed(headers, body, 'x-shopify-hmac-sha256', '', 'base64', 'X-Shopify-Hmac-Sha256');
    case 'slack':
      return readSlack(headers, body);
    case 'standard-webhooks':
      return readStandardWebhooks(headers, body);
    case 'hmac-sha256':
      if (options === null) {
        return fail('signature_invalid', 'The connection verifies hmac-sha256 signatures but has no header settings: an operator must set them.');
      }
      return readPrefixed(headers, body, options.header.toLowerCase(), options.prefix, options.encoding, options.header);
  }
}

/** `t=<seconds>,v1=<hex>[,v1=<hex>…]`; v0 and unknown schemes are ignored, as Stripe's own libraries do. */
function readStripe(headers: HeaderMap, body: Uint8Array): ReadResult {
  const value = present(headers['stripe-signature']);
  if (value === null) return missing('The Stripe-Signature header is missing: this connection accepts only deliveries signed by a Stripe webhook endpoint.');
  let timestamp: string | null = null;
  const signatures: string[] = [];
  for (const item of value.split(',')) {
    const at = item.indexOf('=');
    const [key, text] = at < 0 ? [item.trim(), ''] : [item.slice(0, at).trim(), item.slice(at + 1).trim()];
    if (key === 't') {
      if (timestamp !== null) return malformed('Stripe-Signature', 'it carries more than one t= timestamp');
      timestamp = text;
    } else if (key === 'v1') {
      signatures.push(text);
    }
  }
  if (timestamp === null) return malformed('Stripe-Signature', 'it has no t= timestamp');
  if (signatures.length === 0) return malformed('Stripe-Signature', 'it has no v1= signature (the scheme Stripe signs events with)');
  return signed(signatures, 'hex', { text: timestamp, header: 'Stripe-Signature' }, 'Stripe-Signature', (t) => [utf8Bytes(`${t}.`), body]);
}

/** `v0=<hex>` over `v0:<X-Slack-Request-Timestamp>:<body>`. */
function readSlack(headers: HeaderMap, body: Uint8Array): ReadResult {
  const value = present(headers['x-slack-signature']);
  const timestamp = present(headers['x-slack-request-timestamp']);
  if (value === null || timestamp === null) {
    return missing('X-Slack-Signature and X-Slack-Request-Timestamp are both required: this connection accepts only requests signed by a Slack app.');
  }
  if (!value.startsWith('v0=')) return malformed('X-Slack-Signature', 'it is not a v0= signature');
  return signed([value.slice(3)], 'hex', { text: timestamp, header: 'X-Slack-Request-Timestamp' }, 'X-Slack-Signature', (t) => [utf8Bytes(`v0:${t}:`), body]);
}

/**
 * `webhook-id`, `webhook-timestamp`, `webhook-signature` (space-separated `v1,<base64>`), or the same three under
 * `svix-` as Svix-based senders send them by default; the set is chosen by which signature header is present.
 */
function readStandardWebhooks(headers: HeaderMap, body: Uint8Array): ReadResult {
  const prefix = standardWebhooksPrefix(headers);
  const id = present(headers[`${prefix}id`]);
  const timestamp = present(headers[`${prefix}timestamp`]);
  const value = present(headers[`${prefix}signature`]);
  if (id === null || timestamp === null || value === null) {
    return missing('webhook-id, webhook-timestamp and webhook-signature (or svix-id, svix-timestamp and svix-signature) are all required.');
  }
  const signatures: string[] = [];
  for (const entry of value.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma > 0 && entry.slice(0, comma) === 'v1') signatures.push(entry.slice(comma + 1));
  }
  if (signatures.length === 0) return malformed(`${prefix}signature`, 'it has no "v1,<base64>" signature');
  return signed(signatures, 'base64', { text: timestamp, header: `${prefix}timestamp` }, `${prefix}signature`, (t) => [utf8Bytes(`${id}.${t}.`), body]);
}

/** One header holding `prefix` + the HMAC of the body (GitHub, Shopify, the generic preset). */
function readPrefixed(headers: HeaderMap, body: Uint8Array, header: string, prefix: string, encoding: 'hex' | 'base64', label: string): ReadResult {
  const value = present(headers[header]);
  if (value === null) return missing(`The ${label} header is missing: give the sender the connection's signing secret as its webhook secret.`);
  if (value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    return malformed(label, `it does not start with "${prefix}"`);
  }
  return signed([value.slice(prefix.length)], encoding, null, label, () => [body]);
}

function signed(
  texts: string[],
  encoding: 'hex' | 'base64',
  timestamp: { text: string; header: string } | null,
  signatureHeader: string,
  parts: (timestamp: string) => Uint8Array[],
): ReadResult {
  if (texts.length > MAX_SIGNATURES) return malformed(signatureHeader, `it carries more than ${MAX_SIGNATURES} signatures`);
  let timestampSeconds: number | null = null;
  if (timestamp !== null) {
    if (!TIMESTAMP.test(timestamp.text)) return malformed(timestamp.header, 'its timestamp is not Unix seconds (digits only)');
    timestampSeconds = Number(timestamp.text);
  }
  const signatures: Bytes[] = [];
  for (const text of texts) {
    const bytes = encoding === 'hex' ? decodeHex(text) : decodeBase64(text);
    // An entry that is not 32 bytes of hex or base64 cannot match; it fails the delivery only if no entry is usable.
    // Checking the length here also keeps a truncated MAC away from WebCrypto, whatever the runtime does with one.
    if (bytes !== null && bytes.byteLength === HMAC_SHA256_BYTES) signatures.push(bytes);
  }
  if (signatures.length === 0) return malformed(signatureHeader, `it holds no ${encoding} HMAC-SHA256 signature`);
  return { ok: true, message: { signatures, content: concatBytes(parts(timestamp?.text ?? '')), timestampSeconds, signatureHeader } };
}

/** Which of the two header sets a Standard Webhooks delivery is verified with: the facts come from the same set. */
export function standardWebhooksPrefix(headers: HeaderMap): 'webhook-' | 'svix-' {
  return present(headers['webhook-signature']) !== null ? 'webhook-' : 'svix-';
}

function present(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function fail(code: SignatureFailureCode, message: string): ReadResult {
  return { ok: false, code, message };
}

function missing(message: string): ReadResult {
  return fail('signature_missing', message);
}

function malformed(header: string, problem: string): ReadResult {
  return fail('signature_invalid', `The ${header} header is malformed: ${problem}.`);
}
