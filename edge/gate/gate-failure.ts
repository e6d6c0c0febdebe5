// What a gate makes of a failure: the answer's code and Retry-After, and the one log line the operator gets.
import { BoitataError } from '../../shared/errors.ts';
import { DATABASE_RETRY_AFTER_SECONDS, UNAUTHORIZED_MESSAGE } from './gate-protocol.ts';

/**
 * The queue's foreign keys to the credential and its tenant. One of them fails the insert when the tenant (or the
 * credential) was deleted after this gate cached the credential's config: the sender is answered as for a revoked
 * credential, since that is what it now holds.
 */
const CREDENTIAL_FOREIGN_KEYS: ReadonlySet<string> = new Set([
  'boitata_inbound_queue_tenant_id_fkey',
  'boitata_inbound_queue_connection_id_fkey',
  'boitata_inbound_queue_api_key_id_fkey',
]);

/** Errors from the SQL clients are already classified (503 or 500); anything else is our bug, a 500. */
export function asGateFailure(error: unknown): BoitataError {
  return error instanceof BoitataError ? error : new BoitataError('internal_error', 'An unexpected error occurred in the gate.', { cause: error });
}

/**
 * A write Postgres refused for a value in the body is the sender's 400; one whose credential or tenant is gone the
 * 401 of a revoked credential; any other failure is the gate's.
 */
export function asEnqueueFailure(error: unknown): BoitataError {
  if (isCredentialGone(error)) return new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE, { cause: error });
  if (!isDataException(error)) return asGateFailure(error);
  return new BoitataError('invalid_payload', `Postgres cannot store a value in this body: ${describeCause(error)}.`, {
    problems: [{ path: '$', message: describeCause(error) }],
    cause: error,
  });
}

/** SQLSTATE class 22: Postgres could not store a value (numeric overflow, NUL in text, bad escape, ...). */
export function isDataException(error: unknown): boolean {
  const cause = rootCause(error);
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  return code.startsWith('22');
}

/** SQLSTATE 23503 on one of the queue's foreign keys to the tenant, the connection or the API key. */
export function isCredentialGone(error: unknown): boolean {
  const cause = rootCause(error);
  if (typeof cause !== 'object' || cause === null) return false;
  const { code, constraint } = cause as { code?: unknown; constraint?: unknown };
  return code === '23503' && typeof constraint === 'string' && CREDENTIAL_FOREIGN_KEYS.has(constraint);
}

/** A 503 says when to come back; other failures say nothing. */
export function retryAfter(failure: BoitataError): { retryAfterSeconds?: number } {
  return failure.code === 'database_unavailable' ? { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS } : {};
}

/** The operator needs the cause; the log gets the SQLSTATE and a short message, never the payload or a secret. */
export function logGateFailure(msg: string, failure: BoitataError, context: Record<string, string>): void {
  if (failure.isUserError) return; // the sender was told what to fix; nothing for the operator
  const cause = rootCause(failure) as { code?: unknown; message?: unknown } | undefined;
  console.error(
    JSON.stringify({
      level: 'error',
      msg,
      code: failure.code,
      ...context,
      sqlstate: typeof cause?.code === 'string' ? cause.code : undefined,
      cause: typeof cause?.message === 'string' ? cause.message.slice(0, 200) : undefined,
    }),
  );
}

/** The error a BoitataError wraps, however deeply (a driver or Postgres error), or undefined. */
function rootCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof BoitataError) cause = cause.cause;
  return cause;
}

function describeCause(error: unknown): string {
  const cause = rootCause(error);
  return cause instanceof Error ? cause.message.slice(0, 200) : 'a value is out of range';
}
