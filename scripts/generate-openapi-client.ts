// Writes the generated client's types (scripts/openapi-client.ts) from the current OpenAPI document.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CLIENT_TYPES_PATH, renderClientTypes } from './openapi-client.ts';

mkdirSync(dirname(CLIENT_TYPES_PATH), { recursive: true });
writeFileSync(CLIENT_TYPES_PATH, await renderClientTypes());
console.log(`wrote ${CLIENT_TYPES_PATH}`);
