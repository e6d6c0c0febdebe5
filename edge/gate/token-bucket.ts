// A token bucket: `capacity` requests at once, refilled continuously at capacity per minute. Pure; time is passed in.

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

export type TakeResult = { allowed: true; state: RateLimitState } | { allowed: false; state: RateLimitState; retryAfterSeconds: number };

export class TokenBucket {
  private capacity: number;
  private tokens: number;
  private updatedAt: number;

  constructor(capacity: number, now: number) {
    this.capacity = capacity;
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** A new limit keeps the tokens already spent, capped at the new capacity. */
  resize(capacity: number): void {
    this.tokens = Math.min(this.tokens, capacity);
    this.capacity = capacity;
  }

  take(now: number): TakeResult {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, state: this.state() };
    }
    const msPerToken = 60_000 / this.capacity;
    const retryAfterSeconds = Math.max(1, Math.ceil(((1 - this.tokens) * msPerToken) / 1000));
    return { allowed: false, state: this.state(), retryAfterSeconds };
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / 60_000);
    this.updatedAt = now;
  }

  private state(): RateLimitState {
    const missing = this.capacity - this.tokens;
    return {
      limit: this.capacity,
      remaining: Math.floor(this.tokens),
      resetSeconds: Math.ceil((missing * 60) / this.capacity),
    };
  }
}

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), sent on every gated response. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
    'RateLimit-Policy': `${state.limit};w=60`,
  };
}
