// POST /v1/ingest/metrics: strictly validated metric rows with a Bearer metrics key.
import { describe, expect, it } from 'vitest';
import { createKey, queueRows, send } from './support.ts';

describe('metrics endpoint', () => {
  it('accepts dated and timestamped rows with scalar dimensions', async () => {
    const key = await createKey('metrics');
    const body = {
      table: 'my_metrics',
      rows: [
        { date: '2026-06-12', metric_name: 'cpu_usage', value: 45.2, region: 'us-east' },
        { timestamp: '2026-06-12T10:00:00Z', metric_name: 'mem', value: 7, host: 'a', canary: true, zone: null },
      ],
    };
    const response = await send('/v1/ingest/metrics', { headers: { authorization: `Bearer ${key.secret}` }, json: body });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'my_metrics', rows: 2 }], rows: 2 });
    expect((await queueRows(key.tenant))[0]).toMatchObject({
      endpoint: 'metrics',
      payload_format: 'envelope',
      target_table: 'my_metrics',
      api_key_id: key.id,
      connection_id: null,
      payload: body,
    });
  });

  it('400 with the path of each invalid row field', async () => {
    const key = await createKey('metrics');
    const response = await send('/v1/ingest/metrics', {
      headers: { authorization: `Bearer ${key.secret}` },
      json: {
        table: 'm',
        rows: [
          { date: '2026-02-30', metric_name: 'x', value: 1 },
          { date: '2026-06-12', value: 'high' },
          { date: '2026-06-12', timestamp: '2026-06-12T00:00:00Z', metric_name: 'x', value: 1 },
          { timestamp: '2026-06-12 10:00', metric_name: 'x', value: 1 },
          { date: '2026-06-12', metric_name: 'x', value: 1, tags: { nested: true } },
        ],
      },
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; problems: Array<{ path: string }> } };
    expect(error.code).toBe('invalid_payload');
    expect(error.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['rows[0].date', 'rows[1].metric_name', 'rows[1].value', 'rows[2]', 'rows[3].timestamp', 'rows[4].tags']),
    );
    expect(await queueRows(key.tenant)).toHaveLength(0);
  });

  it('400 for an unknown top-level field or a missing table', async () => {
    const key = await createKey('metrics');
    const headers = { authorization: `Bearer ${key.secret}` };
    const row = { date: '2026-06-12', metric_name: 'x', value: 1 };
    const extra = await send('/v1/ingest/metrics', { headers, json: { table: 'm', rows: [row], extra: 1 } });
    expect(extra.status).toBe(400);
    const noTable = await send('/v1/ingest/metrics', { headers, json: { rows: [row] } });
    expect(noTable.status).toBe(400);
    expect(((await noTable.json()) as { error: { problems: Array<{ path: string }> } }).error.problems[0]?.path).toBe('table');
  });

  it('401 for a source key or an ingest token used as a metrics key', async () => {
    const source = await createKey('source', { sourceId: 'src_a' });
    const response = await send('/v1/ingest/metrics', {
      headers: { authorization: `Bearer ${source.secret}` },
      json: { table: 'm', rows: [{ date: '2026-06-12', metric_name: 'x', value: 1 }] },
    });
    expect(response.status).toBe(401);
  });
});
