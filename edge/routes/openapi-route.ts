// GET /openapi.json: the OpenAPI 3.1 document of this edge (edge/openapi/), generated from the zod contracts it validates with.
import type { Hono } from 'hono';
import { openApiDocument } from '../openapi/openapi-document.ts';

export function registerOpenApiRoute(app: Hono): void {
  app.get('/openapi.json', (c) =>
    // Public and the same for everyone (no secret in it): any origin may read it, e.g. an API explorer in a browser.
    c.json(openApiDocument(), 200, { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' }),
  );
}
