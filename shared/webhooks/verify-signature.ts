// Verifies a provider delivery's signature over the raw request bytes, with any of the connection's current secrets.
import type { Bytes } from '../bytes.ts';
import { importHmacKey } from './encoding.ts';
import { SIGNATURE_TOLERANCE_SECONDS, type GenericHmacOptions, type HeaderMap, type VerifyPreset, type VerifyResult } from './presets.ts';
import { readSignedMessage } from './signed-message.ts';
import { signingKeyBytes } from './signing-secret.ts';

export interface VerifySignatureArgs {
  preset: VerifyPreset;
  options: GenericHmacOptions | null;
  /** The connection's secrets valid now: one, or two during a rotation's overlap. Any of them verifies. */
  secrets: readonly string[];
  /** Lower-case names. */
  headers: HeaderMap;
  /** The request body exactly as received. */
  body: Uint8Array;
  nowMs: number;
}

/**
 * Never throws for anything a sender controls, and no message carries a secret or a signature (expected or
 * received): a failure message says which header is wrong and what the sender or operator should fix.
 */
export async function verifySignature(args: VerifySignatureArgs): Promise<VerifyResult> {
  const read = readSignedMessage(args.preset, args.options, args.headers, args.body);
  if (!read.ok) return read;
  const { signatures, content, timestampSeconds, signatureHeader } = read.message;

  // The tolerance runs both ways: a timestamp far in the future is as suspect as a stale one (a replay prepared with
  // a skewed clock), and honest providers stamp at send time. Stripe's and Slack's own libraries check only the
  // past; Standard Webhooks checks both, and so does this. Checked before the HMAC: it is cheaper, and it reveals
  // nothing a sender did not put in the header.
  if (timestampSeconds !== null) {
    const skew = Math.floor(args.nowMs / 1000) - timestampSeconds;
    if (Math.abs(skew) > SIGNATURE_TOLERANCE_SECONDS) {
      return {
        ok: false,
        code: 'timestamp_out_of_tolerance',
        message:
          `The signed timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}; at most ` +
          `${SIGNATURE_TOLERANCE_SECONDS} s either way is accepted: sign the delivery afresh, and check the sender's clock.`,
      };
    }
  }

  const keys = args.secrets.flatMap((secret) => {
    const bytes = signingKeyBytes(args.preset, secret);
    return bytes === null ? [] : [bytes];
  });
  if (keys.length === 0) {
    return {
      ok: false,
      code: 'signature_invalid',
      message: 'The connection has no usable signing secret: an operator must set one (`boitata connections rotate-secret`).',
    };
  }

  for (const key of keys) {
    if (await anySignatureMatches(key, signatures, content)) return { ok: true };
  }
  return {
    ok: false,
    code: 'signature_invalid',
    message:
      `No signature in ${signatureHeader} matches the body: check that the connection's signing secret is the one the ` +
      'sender signs with, and that nothing between the sender and this URL changed the body.',
  };
}

/**
 * Compares with `crypto.subtle.verify`, constant-time in Node and in workerd alike, never with string equality. One
 * HMAC pass over the content per secret however many signatures are offered (a body can be 25 MiB): a lone signature
 * (the usual case) is verified directly; several are each compared with the HMAC computed once, under a throwaway
 * key (HMAC(k, offered) against HMAC(k, expected), the "double HMAC" comparison).
 */
async function anySignatureMatches(secret: Bytes, signatures: readonly Bytes[], content: Bytes): Promise<boolean> {
  const key = await importHmacKey(secret, ['sign', 'verify']);
  if (signatures.length === 1) return crypto.subtle.verify('HMAC', key, signatures[0]!, content);
  const expected = await crypto.subtle.sign('HMAC', key, content);
  const compareKey = await importHmacKey(crypto.getRandomValues(new Uint8Array(32)), ['sign', 'verify']);
  const expectedTag = await crypto.subtle.sign('HMAC', compareKey, expected);
  for (const offered of signatures) {
    if (await crypto.subtle.verify('HMAC', compareKey, expectedTag, offered)) return true;
  }
  return false;
}
