// The document's examples. test/edge/app/openapi.test.ts sends every request example through the edge and holds
// every answer example to its zod contract, so an example that stops being true fails there.

type Examples = Record<string, { summary: string; value: unknown }>;

const MESSAGE_ID = '0195f3c2-7a4e-7d1a-9b3c-2f6a1d8e4b70';

export const pushExamples: Examples = {
  flatArray: {
    summary: 'A flat array of rows: the table from ?table=, x-target-table or the connection default table',
    value: [
      { id: 1, phone: '11999999999' },
      { id: 2, phone: '11988888888' },
    ],
  },
  envelope: { summary: 'An envelope: the table and its rows', value: { table: 'users_logs', rows: [{ id: 1, email: 'test@example.com', action: 'login' }] } },
  multiTable: {
    summary: 'Multi-table: every value an array of rows, keyed by table',
    value: { test_tbl_orders: [{ order_id: 101, total: 150.5 }], test_tbl_users: [{ user_id: 1, name: 'John Doe' }] },
  },
  oneObject: {
    summary: 'One object: one row of the table named by ?table= or x-target-table (or the connection default table)',
    value: { order_id: 102, total: 99.9, items: ['a', 'b'] },
  },
};

export const webhookExamples: Examples = {
  oneObject: { summary: 'One row', value: { region: 'North', sales: 142000, target: 130000 } },
  array: {
    summary: 'Several rows (with X-Item-Key: region, upserted on region downstream)',
    value: [
      { region: 'North', sales: 142000 },
      { region: 'South', sales: 98000 },
    ],
  },
};

export const metricsExamples: Examples = {
  daily: {
    summary: 'A daily metric with a dimension',
    value: { table: 'my_metrics', rows: [{ date: '2026-06-12', metric_name: 'cpu_usage', value: 45.2, region: 'us-east' }] },
  },
};

export const eventExamples: Examples = {
  paymentFailed: {
    summary: 'An event with every optional field',
    value: {
      event_id: 'evt_demo_001',
      event_type: 'payment.failed',
      source_id: 'src_demo',
      environment: 'production',
      severity: 'critical',
      timestamp: '2026-06-01T10:00:00Z',
      payload: { amount: 49.99, currency: 'EUR' },
    },
  },
};

export const receiptExamples = {
  queued: { summary: 'Stored', value: { message_id: MESSAGE_ID, status: 'queued', tables: [{ table: 'orders', rows: 2 }], rows: 2 } },
  landed: {
    summary: 'Landed while the request waited',
    value: {
      message_id: MESSAGE_ID,
      status: 'landed',
      tables: [{ table: 'orders', rows: 2 }],
      rows: 2,
      landed_at: '2026-06-12T10:00:00.084Z',
      landed: [{ table: 'orders', rows: 2 }],
    },
  },
  eventStored: { summary: 'Stored', value: { accepted: true, event_id: 'evt_demo_001', status: 'stored', message_id: MESSAGE_ID } },
  eventLanded: { summary: 'Landed while the request waited', value: { accepted: true, event_id: 'evt_demo_001', status: 'landed', message_id: MESSAGE_ID } },
  status: {
    summary: 'A landed message',
    value: {
      message_id: MESSAGE_ID,
      state: 'landed',
      accepted: [{ table: 'orders', rows: 2 }],
      landed: [{ table: 'orders', rows: 2 }],
      received_at: '2026-06-12T10:00:00.000Z',
      landed_at: '2026-06-12T10:00:00.084Z',
      attempts: 1,
      dead: null,
    },
  },
} satisfies Examples;
