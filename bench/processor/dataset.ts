// The benchmark's rows: three tables with the mix of types real webhooks carry, deterministic per index.
export const BENCH_TABLES = ['orders', 'customers', 'page_views'] as const;

export function benchRow(table: (typeof BENCH_TABLES)[number], i: number): Record<string, unknown> {
  const day = String(1 + (i % 28)).padStart(2, '0');
  switch (table) {
    case 'orders':
      return {
        order_id: i,
        customer_id: i % 5000,
        total: (i % 10_000) / 100,
        currency: 'BRL',
        status: i % 7 === 0 ? 'refunded' : 'paid',
        paid: i % 7 !== 0,
        created_at: `2026-06-${day}T10:${String(i % 60).padStart(2, '0')}:00Z`,
        shipping: { city: 'Recife', zip: `5${i % 10_000}` },
      };
    case 'customers':
      return {
        customer_id: i,
        name: `Customer ${i}`,
        email: `c${i}@example.com`,
        phone: `+5581${String(i).padStart(8, '0')}`,
        vip: i % 13 === 0,
        born: `1990-01-${day}`,
        tags: ['a', 'b'],
      };
    case 'page_views':
      return {
        view_id: `v-${i}`,
        path: `/products/${i % 500}`,
        referrer: i % 3 === 0 ? null : 'https://example.com/',
        duration_ms: i % 30_000,
        at: `2026-06-${day}T12:00:00.${String(i % 1_000_000).padStart(6, '0')}Z`,
        device: { os: 'android', version: 14 },
      };
  }
}
