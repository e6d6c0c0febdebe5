// The token bucket with an explicit clock: burst, refill, retry-after, resize.
import { describe, expect, it } from 'vitest';
import { rateLimitHeaders, TokenBucket } from '../../edge/gate/token-bucket.ts';

describe('TokenBucket', () => {
  it('allows a burst of the full limit, then refuses with the wait for one token', () => {
    const bucket = new TokenBucket(300, 0);
    for (let i = 0; i < 300; i++) expect(bucket.take(0).allowed).toBe(true);
    const refused = bucket.take(0);
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBe(1); // 300/min = one token per 200 ms
    expect(bucket.take(199).allowed).toBe(false);
    expect(bucket.take(400).allowed).toBe(true);
  });

  it('refills continuously and never beyond capacity', () => {
    const bucket = new TokenBucket(60, 0);
    for (let i = 0; i < 60; i++) bucket.take(0);
    const refused = bucket.take(0);
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBe(1);
    expect(bucket.take(10 * 60_000).state.remaining).toBe(59);
  });

  it('a slow limit tells the sender how long to wait', () => {
    const bucket = new TokenBucket(2, 0);
    bucket.take(0);
    bucket.take(0);
    const refused = bucket.take(0);
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBe(30);
  });

  it('keeps spent tokens when the limit is lowered', () => {
    const bucket = new TokenBucket(10, 0);
    for (let i = 0; i < 8; i++) bucket.take(0);
    bucket.resize(5);
    expect(bucket.take(0).state.remaining).toBe(1);
  });

  it('renders the RateLimit header fields', () => {
    expect(rateLimitHeaders({ limit: 300, remaining: 12, resetSeconds: 58 })).toEqual({
      'RateLimit-Limit': '300',
      'RateLimit-Remaining': '12',
      'RateLimit-Reset': '58',
      'RateLimit-Policy': '300;w=60',
    });
  });
});
