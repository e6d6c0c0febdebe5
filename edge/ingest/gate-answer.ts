// How a gate's final word on an ingest request becomes the sender's answer: a thrown refusal, or the receipt.
import { BoitataError } from '../../shared/errors.ts';
import type { EnqueueOutcome, IngestDecision } from '../gate/gate-protocol.ts';
import { rateLimitHeaders, type RateLimitState } from '../gate/token-bucket.ts';

/** The response for a gate's final word: thrown for a rejection, a 202 for a stored or replayed message. */
export function settle(decision: IngestDecision | EnqueueOutcome, headers: Record<string, string>): Response {
  switch (decision.kind) {
    case 'reject':
      throw rejection(decision, headers);
    case 'replay':
      return answer(decision.response.body, true, headers);
    case 'stored':
      return answer(decision.body, decision.replayed, headers);
  }
}

export function headersFor(rateLimit: RateLimitState | undefined): Record<string, string> {
  return rateLimit === undefined ? {} : rateLimitHeaders(rateLimit);
}

export function rejection(
  decision: { code: BoitataError['code']; message: string; retryAfterSeconds?: number },
  headers: Record<string, string>,
): BoitataError {
  if (decision.retryAfterSeconds !== undefined) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return new BoitataError(decision.code, decision.message, { headers });
}

/** The receipt, 202 unless said otherwise (200: landed while the sender waited); `replayed` marks a retried Idempotency-Key's answer. */
export function answer(body: string, replayed: boolean, headers: Record<string, string>, status: 200 | 202 = 202): Response {
  const responseHeaders: Record<string, string> = { ...headers, 'content-type': 'application/json' };
  if (replayed) responseHeaders['Idempotent-Replayed'] = 'true';
  return new Response(body, { status, headers: responseHeaders });
}
