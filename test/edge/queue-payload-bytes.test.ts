// The queue row says how many bytes its payload is (payload_bytes), so the processor can cap what one claim reads.
import { expect, it } from 'vitest';
import { createConnection, pushPath, query, send } from './support.ts';

it('payload_bytes is the UTF-8 length of the stored JSON text, multi-byte characters included', async () => {
  const conn = await createConnection();
  const bodies = ['[{"a":1}]', '[{"name":"São Paulo ☃ 🐍","n":[1,2,3]}]', `[${Array.from({ length: 50 }, (_, i) => `{"i":${i}}`).join(',')}]`];
  for (const body of bodies) {
    const response = await send(pushPath(conn.token, '?table=t'), {
      headers: { 'x-tenant-id': conn.tenant, 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(202);
  }
  const rows = await query<{ payload_bytes: number | null }>('SELECT payload_bytes FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id', [conn.tenant]);
  expect(rows.map((row) => row.payload_bytes)).toEqual(bodies.map((body) => new TextEncoder().encode(body).byteLength));
});
