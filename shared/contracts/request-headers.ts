// The headers and path values the ingest endpoints read, as zod contracts for the OpenAPI document. The edge reads
// them where they arrive (the credential, Idempotency-Key, Content-Encoding, Prefer parsers); test/edge/app/openapi
// holds each contract to its parser, so the document cannot promise what the edge refuses or the reverse.
import { z } from 'zod';
import { credentialKinds, type CredentialKind } from '../credential-format.ts';
import { MAX_WAIT_SECONDS } from '../message-status.ts';

/** A Boitatá secret of `kind`: its prefix and 32 random bytes in base64url (shared/credential-format.ts). */
export function credentialSchema(kind: CredentialKind) {
  return z.string().regex(new RegExp(`^${credentialKinds[kind]}[A-Za-z0-9_-]{43}$`));
}

// Printable ASCII without a comma: a header sent twice arrives joined with ", ", so a comma would hide a repeat.
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x2B\x2D-\x7E][\x20-\x2B\x2D-\x7E]{0,254}$/)
  .describe(
    '1-255 printable ASCII characters, no comma (a header sent twice is refused). The same key and request within 24 h answer the first ' +
      'response again with `Idempotent-Replayed: true`; the same key with another request is a 422; while the first is in flight, a 409.',
  );

export const tenantIdSchema = z.string().min(1).describe("The connection's tenant.");

export const contentEncodingSchema = z
  .enum(['gzip', 'x-gzip', 'identity'])
  .describe('Case-insensitive. A gzip body is inflated at the edge, and the 1 MiB limit applies to the inflated bytes; any other encoding is a 415.');

export const preferSchema = z
  .string()
  .describe(
    `RFC 7240. \`wait=N\` holds the answer until the message has landed in the warehouse or N seconds have passed (N above ${MAX_WAIT_SECONDS} counts as ` +
      `${MAX_WAIT_SECONDS}): a 200 with the landed receipt, or the usual 202 when time ran out; both say \`Preference-Applied: wait=N\`. ` +
      'A malformed `wait` and other preferences are ignored.',
  );

export const messageIdSchema = z
  .string()
  .describe('The `message_id` of the receipt. Any other value, or a message of another credential or tenant, or one pruned by queue retention, is a 404.');
