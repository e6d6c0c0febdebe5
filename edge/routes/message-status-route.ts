// GET /v1/ingest/messages/{message_id}: what became of a message, asked with the credential that sent it (or its
// rotation successor). The gate authenticates, counts the read against the credential's rate limit and reads it.
import type { Context, Hono } from 'hono';
import { isWellFormedCredential, type CredentialKind } from '../../shared/credential-format.ts';
import { BoitataError } from '../../shared/errors.ts';
import { bearerToken } from '../auth/credential-source.ts';
import { credentialDigest } from '../auth/secrets.ts';
import { UNAUTHORIZED_MESSAGE, type AdmitRequest } from '../gate/gate-protocol.ts';
import { headersFor, rejection } from '../ingest/gate-answer.ts';
import type { IngestDeps } from '../ingest/ingest-flow.ts';

export const MESSAGE_STATUS_PATH = '/v1/ingest/messages/:message_id';

// One answer for every message this credential may not see — unknown, malformed, another tenant's or credential's,
// pruned by queue retention — so an id's existence is never revealed to anyone but its sender.
export const MESSAGE_NOT_FOUND =
  'No message with this id for this credential: check the id (the message_id of the receipt) and send the credential ' +
  'that sent it. Messages landed longer ago than the queue retention are no longer known.';

interface StatusCredential {
  kind: CredentialKind;
  secret: string;
  tenantClaim?: string;
}

export function registerMessageStatusRoute(app: Hono, deps: IngestDeps): void {
  app.get(MESSAGE_STATUS_PATH, async (c) => {
    const credential = statusCredential(c);
    const hashHex = await credentialDigest(credential.secret);
    const request: AdmitRequest = {
      kind: credential.kind,
      hashHex,
      clientIp: c.req.header('cf-connecting-ip') ?? null,
      ...(credential.tenantClaim === undefined ? {} : { tenantClaim: credential.tenantClaim }),
    };
    const decision = await deps.gates.gateFor(credential.kind, hashHex).messageStatus(request, c.req.param('message_id'));
    const headers = headersFor(decision.rateLimit);
    switch (decision.kind) {
      case 'reject':
        throw rejection(decision, headers);
      case 'not_found':
        throw new BoitataError('not_found', MESSAGE_NOT_FOUND, { headers });
      case 'found':
        // A status changes from one read to the next: no cache may answer for the gate.
        return c.json(decision.status, 200, { ...headers, 'Cache-Control': 'no-store' });
    }
  });
  app.all(MESSAGE_STATUS_PATH, () => {
    throw new BoitataError('method_not_allowed', 'Use GET on this endpoint.', { headers: { Allow: 'GET' } });
  });
}

/**
 * The one credential of the read: a source key in X-API-Key, or a Bearer metrics key, or a Bearer ingest token with
 * the x-tenant-id of its tenant (required here: the ingest endpoints that take the token as a Bearer do not name the
 * tenant, but a read of what was stored does). Two credentials at once, or none, is the usual 401.
 */
function statusCredential(c: Context): StatusCredential {
  const apiKey = c.req.header('x-api-key');
  const authorization = c.req.header('authorization');
  if (apiKey !== undefined && authorization === undefined && isWellFormedCredential('source', apiKey)) return { kind: 'source', secret: apiKey };
  const bearer = apiKey === undefined ? bearerToken(authorization) : undefined;
  if (bearer !== undefined && isWellFormedCredential('metrics', bearer)) return { kind: 'metrics', secret: bearer };
  const tenantClaim = c.req.header('x-tenant-id');
  if (bearer !== undefined && isWellFormedCredential('ingest', bearer) && tenantClaim !== undefined && tenantClaim !== '') {
    return { kind: 'ingest', secret: bearer, tenantClaim };
  }
  throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE);
}
