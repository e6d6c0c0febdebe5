// The committed client types (test/edge/generated/boitata-api.ts, used by test/edge/openapi-client.test.ts) against the
// current OpenAPI document: a change to a contract, a route's parameters or an answer fails here until
// `npm run openapi:client` is run again.
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, renderClientTypes } from '../../scripts/openapi-client.ts';

it('the generated client types are regenerated from the current document (npm run openapi:client)', async () => {
  const committed = await readFile(CLIENT_TYPES_PATH, 'utf8');
  expect(committed === (await renderClientTypes()), 'test/edge/generated/boitata-api.ts is stale: run `npm run openapi:client`').toBe(true);
}, 30_000);
