// The OpenAPI document against the code it describes: every route of createApp is in it and nothing else, it is a
// valid OpenAPI 3.1 document, its examples go through the edge, and the edge's answers are what it promises.
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Hono } from 'hono';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { createApp } from '../../../edge/app.ts';
import { readContentEncoding } from '../../../edge/http/read-json-body.ts';
import { readIdempotencyKey } from '../../../edge/ingest/ingest-flow.ts';
import { buildOpenApiDocument, type OpenApiDocument } from '../../../edge/openapi/openapi-document.ts';
import { componentContracts } from '../../../edge/openapi/json-schemas.ts';
import { errorBodySchema, errorCodes, type ErrorBodyContract } from '../../../shared/contracts/error-body.ts';
import {
  eventReceiptSchema,
  landedIngestReceiptSchema,
  type EventReceiptBody,
  type IngestReceiptBody,
  type LandedEventReceiptBody,
  type LandedIngestReceiptBody,
} from '../../../shared/contracts/receipts.ts';
import { contentEncodingSchema, credentialSchema, idempotencyKeySchema } from '../../../shared/contracts/request-headers.ts';
import { isWellFormedCredential, type CredentialKind } from '../../../shared/credential-format.ts';
import type { ErrorBody } from '../../../shared/errors.ts';
import { messageStatusSchema } from '../../../shared/message-status.ts';
import type { EventReceipt, IngestReceipt } from '../../../shared/queue-message.ts';
import { InMemoryGateDirectory } from './in-memory-gate.ts';
import { InMemoryQueueWriter } from './in-memory-queue-writer.ts';

const document = buildOpenApiDocument();
const TENANT = 'tenant-openapi';
const secrets = { ingest: `bt_ik_${'i'.repeat(43)}`, metrics: `bt_mk_${'m'.repeat(43)}`, source: `bt_sk_${'s'.repeat(43)}` };

/** `GET /v1/ingest/messages/{message_id}`, from the routes a Hono app answers (app.all's 405s are not operations). */
function routesOf(app: Hono): string[] {
  const routes = app.routes.filter((route) => route.method === 'GET' || route.method === 'POST');
  return [...new Set(routes.map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`))].sort();
}

function operationsOf(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

/** What one has and the other lacks: empty when the document and the app agree. */
function drift(app: Hono, doc: OpenApiDocument): { undocumented: string[]; unrouted: string[] } {
  const [routes, operations] = [routesOf(app), operationsOf(doc)];
  return { undocumented: routes.filter((r) => !operations.includes(r)), unrouted: operations.filter((o) => !routes.includes(o)) };
}

async function appWithCredentials() {
  const writer = new InMemoryQueueWriter();
  const gates = new InMemoryGateDirectory(writer);
  // A default table, so every push example is accepted without ?table= (the one-object and flat-array examples need one).
  await gates.add({ kind: 'ingest', secret: secrets.ingest, tenantId: TENANT, defaultTable: 'default_rows' });
  await gates.add({ kind: 'metrics', secret: secrets.metrics, tenantId: TENANT });
  await gates.add({ kind: 'source', secret: secrets.source, tenantId: TENANT, sourceId: 'src_demo' });
  return { app: createApp({ gates }), writer };
}

/** The request each ingest operation's examples are sent as, with its credential. */
const requestFor: Record<string, (body: unknown) => [string, RequestInit]> = {
  push: (body) => [`/v1/ingest/push/${secrets.ingest}`, post(body, { 'x-tenant-id': TENANT })],
  webhook: (body) => ['/api/webhook/sales', post(body, { authorization: `Bearer ${secrets.ingest}`, 'x-item-key': 'region' })],
  ingestMetrics: (body) => ['/v1/ingest/metrics', post(body, { authorization: `Bearer ${secrets.metrics}` })],
  ingestEvent: (body) => ['/v1/events/ingest', post(body, { 'x-api-key': secrets.source })],
};

function post(body: unknown, headers: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

type Examples = Record<string, { value: unknown }>;
type Content = Record<string, { schema: { $ref?: string; oneOf?: Array<{ $ref: string }> }; examples?: Examples }>;

function contractOf(ref: string): z.ZodType {
  const contract = componentContracts[ref.replace('#/components/schemas/', '') as keyof typeof componentContracts];
  expect(contract, ref).toBeDefined();
  return contract;
}

describe('the OpenAPI document and the routes of createApp', () => {
  it('has an operation for every GET and POST route, and a route for every operation', async () => {
    const { app } = await appWithCredentials();
    expect(routesOf(app)).toContain('GET /v1/ingest/messages/{message_id}');
    expect(drift(app, document)).toEqual({ undocumented: [], unrouted: [] });
  });

  it('tells a route added without the document, and an operation left without its route', async () => {
    const { app } = await appWithCredentials();
    app.post('/v1/ingest/extra', (c) => c.json({}));
    expect(drift(app, document)).toEqual({ undocumented: ['POST /v1/ingest/extra'], unrouted: [] });
    const { app: fresh } = await appWithCredentials();
    const { '/health': health, ...withoutHealth } = document.paths;
    expect(drift(fresh, { ...document, paths: withoutHealth })).toEqual({ undocumented: ['GET /health'], unrouted: [] });
    expect(drift(fresh, { ...document, paths: { ...document.paths, '/v2/health': health! } })).toEqual({ undocumented: [], unrouted: ['GET /v2/health'] });
  });

  it('is served at GET /openapi.json as built', async () => {
    const { app } = await appWithCredentials();
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });
});

describe('the OpenAPI document is valid OpenAPI 3.1', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  // Redocly checks what the OpenAPI schema leaves open: each JSON Schema's keywords, and every example against the
  // document's own schemas (no-invalid-media-type-examples). Two rules of its recommended set do not apply here.
  const lint = async (doc: unknown) => {
    const config = await createConfig({ extends: ['recommended'], rules: { 'info-license': 'off', 'operation-4xx-response': 'off' } });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: '/openapi.json', config });
    return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
  };

  it("passes Redocly's recommended lint: schema keywords, examples against the document's schemas", async () => {
    expect(await lint(document)).toEqual([]);
    const broken = structuredClone(document) as unknown as { components: { schemas: Record<string, Record<string, unknown>> } };
    broken.components.schemas['Row']!['minProperties'] = 'one';
    broken.components.schemas['TableName']!['pattern'] = '^[a-z]+$';
    const problems = await lint(broken);
    expect(problems.some((p) => p.startsWith('error struct:'))).toBe(true);
    expect(problems.some((p) => p.includes('no-invalid-media-type-examples'))).toBe(true);
  });

  it('a broken document is refused (the validator can fail)', async () => {
    const broken = structuredClone(document) as unknown as { paths: Record<string, { post?: { responses: Record<string, { description?: string }> } }> };
    delete broken.paths['/v1/events/ingest']!.post!.responses['202']!.description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('every error code of shared/errors.ts is documented (405 is the answer to an undocumented method)', () => {
    const text = JSON.stringify(document.paths);
    expect(errorCodes.filter((code) => !text.includes(`\`${code}\``))).toEqual(['method_not_allowed']);
  });
});

describe('the examples of the document are true', () => {
  const operations = Object.values(document.paths).flatMap((item) => Object.values(item));

  it('every request example is accepted by the edge with a 202 whose receipt and headers are as documented', async () => {
    const { app } = await appWithCredentials();
    let sent = 0;
    for (const operation of operations) {
      const content = operation.requestBody?.content as Content | undefined;
      if (content === undefined) continue;
      const { schema, examples = {} } = content['application/json']!;
      expect(Object.keys(examples).length, operation.operationId).toBeGreaterThan(0);
      for (const [name, example] of Object.entries(examples)) {
        expect(contractOf(schema.$ref!).safeParse(example.value).success, `${operation.operationId} ${name}`).toBe(true);
        const [path, init] = requestFor[operation.operationId]!(example.value);
        const response = await app.request(path, init);
        expect(response.status, `${operation.operationId} ${name}: ${await response.clone().text()}`).toBe(202);
        const stored = (operation.responses['202']!.content as Content)['application/json']!.schema.$ref!;
        contractOf(stored).parse(await response.json());
        for (const header of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy']) {
          expect(response.headers.get(header), header).not.toBeNull();
        }
        sent++;
      }
    }
    expect(sent).toBe(8);
  });

  it('every answer example passes the zod contract of its schema', () => {
    let checked = 0;
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const content = (response.content ?? {}) as Content;
        for (const { schema, examples = {} } of Object.values(content)) {
          const refs = schema.oneOf?.map((one) => one.$ref) ?? (schema.$ref === undefined ? [] : [schema.$ref]);
          for (const [name, example] of Object.entries(examples)) {
            const passes = refs.some((ref) => contractOf(ref).safeParse(example.value).success);
            expect(passes, `${operation.operationId} ${status} ${name}`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });
});

describe("the edge's answers are what the document promises", () => {
  it('a refusal is an ErrorBody', async () => {
    const { app } = await appWithCredentials();
    const response = await app.request(`/v1/ingest/push/${secrets.ingest}?table=t`, post([1, {}], { 'x-tenant-id': TENANT }));
    expect(response.status).toBe(400);
    expect(errorBodySchema.parse(await response.json())).toMatchObject({ error: { code: 'invalid_payload', problems: [{ path: '[0]' }] } });
  });

  it('Prefer: wait=N answers 200 with the landed receipt once the message lands, and the status read is a MessageStatus', async () => {
    const { app, writer } = await appWithCredentials();
    const answer = app.request(`/v1/ingest/push/${secrets.ingest}?table=orders`, {
      ...post([{ id: 1 }], { 'x-tenant-id': TENANT }),
      headers: { 'content-type': 'application/json', 'x-tenant-id': TENANT, prefer: 'wait=5' },
    });
    while (writer.stored.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const messageId = writer.stored[0]!.messageId;
    writer.landings.set(messageId, { landedAt: '2026-06-12T10:00:00.084Z', landed: [{ table: 'orders', rows: 1 }] });
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('Preference-Applied')).toBe('wait=5');
    expect(landedIngestReceiptSchema.parse(await response.json())).toMatchObject({ status: 'landed', message_id: messageId });

    const status = await app.request(`/v1/ingest/messages/${messageId}`, { headers: { authorization: `Bearer ${secrets.ingest}`, 'x-tenant-id': TENANT } });
    expect(status.status).toBe(200);
    expect(messageStatusSchema.parse(await status.json())).toMatchObject({ state: 'landed' });
  });

  it('an event receipt is an EventReceipt', async () => {
    const { app } = await appWithCredentials();
    const response = await app.request('/v1/events/ingest', post({ event_type: 'e', source_id: 'src_demo', payload: {} }, { 'x-api-key': secrets.source }));
    expect(response.status).toBe(202);
    expect(eventReceiptSchema.parse(await response.json()).event_id).toMatch(/^evt_/);
  });

  it("the contracts' types are the edge's receipt and error types", () => {
    expectTypeOf<IngestReceiptBody>().toExtend<IngestReceipt>();
    expectTypeOf<LandedIngestReceiptBody>().toExtend<IngestReceipt>();
    expectTypeOf<EventReceiptBody>().toExtend<EventReceipt>();
    expectTypeOf<LandedEventReceiptBody>().toExtend<EventReceipt>();
    expectTypeOf<ErrorBodyContract>().toEqualTypeOf<ErrorBody>();
  });
});

describe('the header contracts of the document are what the edge parses', () => {
  const accepts = (parse: () => unknown) => {
    try {
      parse();
      return true;
    } catch {
      return false;
    }
  };

  it('Idempotency-Key', () => {
    for (const key of ['k-1', 'a b', '~', 'x'.repeat(255), 'x'.repeat(256), '', ' lead', 'a,b', 'é', 'tab\there', '\x7f']) {
      expect(idempotencyKeySchema.safeParse(key).success, JSON.stringify(key)).toBe(accepts(() => readIdempotencyKey(key)));
    }
  });

  it('Content-Encoding (the edge reads it case-insensitively, and an absent one as identity)', () => {
    for (const encoding of ['gzip', 'x-gzip', 'identity', 'br', 'deflate', 'gzip, br', 'zstd']) {
      expect(contentEncodingSchema.safeParse(encoding).success, encoding).toBe(accepts(() => readContentEncoding(encoding)));
    }
  });

  it('the credentials', () => {
    const kinds: CredentialKind[] = ['ingest', 'metrics', 'source'];
    for (const kind of kinds) {
      for (const secret of [...Object.values(secrets), `${secrets.ingest}x`, secrets.metrics.slice(0, -1), `bt_ik_${'+'.repeat(43)}`]) {
        expect(credentialSchema(kind).safeParse(secret).success, `${kind} ${secret}`).toBe(isWellFormedCredential(kind, secret));
      }
    }
  });
});
