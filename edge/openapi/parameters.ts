// The document's parameters (path, query, header), each rendered from its zod contract.
import type { z } from 'zod';
import { itemKeyHeaderSchema, tableNameSchema } from '../../shared/contracts/push-body.ts';
import {
  contentEncodingSchema,
  credentialSchema,
  idempotencyKeySchema,
  messageIdSchema,
  preferSchema,
  tenantIdSchema,
} from '../../shared/contracts/request-headers.ts';
import { inlineSchema, type JsonSchema } from './json-schemas.ts';

export type ParameterObject = { name: string; in: 'path' | 'query' | 'header'; required: boolean; description?: string; schema: JsonSchema };

/** A parameter whose description is its contract's, unless one is given. */
function parameter(where: ParameterObject['in'], name: string, schema: z.ZodType, options: { required?: boolean; description?: string } = {}): ParameterObject {
  const { description, ...rendered } = inlineSchema(schema);
  const text = options.description ?? (typeof description === 'string' ? description : undefined);
  return { name, in: where, required: where === 'path' || options.required === true, ...(text === undefined ? {} : { description: text }), schema: rendered };
}

export const ingestTokenPath = parameter('path', 'ingestToken', credentialSchema('ingest'), {
  description: "The connection's ingest token (`bt_ik_…`). A wrong, revoked or expired token is a 401.",
});

export const streamPath = parameter('path', 'stream', tableNameSchema, { description: 'The table the rows land in.' });

export const messageIdPath = parameter('path', 'message_id', messageIdSchema);

export const tableQuery = parameter('query', 'table', tableNameSchema, {
  description: 'The explicit table (the same as `x-target-table`; both given and different is a 400).',
});

export const targetTableHeader = parameter('header', 'x-target-table', tableNameSchema, { description: 'The explicit table, as `?table=`.' });

export const pushTenantHeader = parameter('header', 'x-tenant-id', tenantIdSchema, {
  description:
    "The connection's tenant: required, except for a connection that verifies a provider's signatures (providers cannot set it; " +
    'the signature stands for it).',
});

export const statusTenantHeader = parameter('header', 'x-tenant-id', tenantIdSchema, {
  description: 'Required with an ingest token (`Authorization: Bearer bt_ik_…`): the tenant of its connection. Not used with the other credentials.',
});

export const idempotencyKeyHeader = parameter('header', 'Idempotency-Key', idempotencyKeySchema);

export const itemKeyHeader = parameter('header', 'X-Item-Key', itemKeyHeaderSchema, {
  description:
    'The field rows are upserted on downstream (1-256 characters, no spaces); every row must carry it with a string or number ' +
    '(a 400 names each row that does not). Recorded with the message, and part of what an Idempotency-Key is bound to.',
});

export const contentEncodingHeader = parameter('header', 'Content-Encoding', contentEncodingSchema);

export const preferHeader = parameter('header', 'Prefer', preferSchema);
