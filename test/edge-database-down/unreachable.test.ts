// The whole Worker with DATABASE_URL pointing at a Postgres that is down: every endpoint answers 503, never 401 or 2xx.
import { describe, expect, it } from 'vitest';
import { send } from '../edge/support.ts';

// Well-formed credentials that the gate cannot check, because it cannot read Postgres.
const ingestToken = `bt_ik_${'A'.repeat(43)}`;
const metricsKey = `bt_mk_${'B'.repeat(43)}`;
const sourceKey = `bt_sk_${'C'.repeat(43)}`;

describe('every endpoint with Postgres down', () => {
  const requests: Array<[string, string, Record<string, string>, unknown]> = [
    ['push', `/v1/ingest/push/${ingestToken}?table=t`, { 'x-tenant-id': 'acme' }, [{ a: 1 }]],
    ['webhook', '/api/webhook/sales', { authorization: `Bearer ${ingestToken}` }, { region: 'North' }],
    ['metrics', '/v1/ingest/metrics', { authorization: `Bearer ${metricsKey}` }, { table: 'm', rows: [{ date: '2026-06-12', metric_name: 'x', value: 1 }] }],
    ['events', '/v1/events/ingest', { 'x-api-key': sourceKey }, { event_type: 'e', source_id: 's', payload: {} }],
  ];
  for (const [name, path, headers, json] of requests) {
    it(`${name}: 503 database_unavailable`, async () => {
      const response = await send(path, { headers, json });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
    });
  }
});
