// The per-connection token bucket: 429 with Retry-After and RateLimit-* once spent, and recovery as it refills.
import { describe, expect, it } from 'vitest';
import { createConnection, pushPath, queueRows, send } from './support.ts';

describe('rate limit', () => {
  it('answers 429 past the limit, then lets requests through again as tokens refill', async () => {
    // 60 per minute: a burst of 60, then one more token every second.
    const conn = await createConnection({ rateLimitPerMinute: 60 });
    const pushOnce = () => send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ a: 1 }] });

    const first = await pushOnce();
    expect(first.status).toBe(202);
    expect(first.headers.get('ratelimit-limit')).toBe('60');
    expect(first.headers.get('ratelimit-remaining')).toBe('59');

    const statuses: number[] = [];
    for (let i = 0; i < 59; i++) statuses.push((await pushOnce()).status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(58);

    const limited = await pushOnce();
    const limitedAgain = limited.status === 429 ? limited : await pushOnce();
    expect(limitedAgain.status).toBe(429);
    expect(Number(limitedAgain.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limitedAgain.headers.get('ratelimit-remaining')).toBe('0');
    expect(limitedAgain.headers.get('ratelimit-policy')).toBe('60;w=60');
    expect(((await limitedAgain.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const queuedBefore = (await queueRows(conn.tenant)).length;

    await new Promise((resolve) => setTimeout(resolve, Number(limitedAgain.headers.get('retry-after')) * 1000 + 100));
    expect((await pushOnce()).status).toBe(202);
    expect(await queueRows(conn.tenant)).toHaveLength(queuedBefore + 1);
  });

  it('keeps separate buckets per connection', async () => {
    const tight = await createConnection({ rateLimitPerMinute: 1 });
    const other = await createConnection({ tenant: tight.tenant, rateLimitPerMinute: 1 });
    const pushWith = (token: string) => send(pushPath(token, '?table=t'), { headers: { 'x-tenant-id': tight.tenant }, json: [{ a: 1 }] });
    expect((await pushWith(tight.token)).status).toBe(202);
    expect((await pushWith(tight.token)).status).toBe(429);
    expect((await pushWith(other.token)).status).toBe(202);
  });
});
