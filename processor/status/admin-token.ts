// The admin token that allows the status page's write actions (replaying dead letters), checked in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

/** 'disabled': no token is configured, so no write action is possible at all. */
export type AdminCheck = 'allowed' | 'disabled' | 'missing' | 'wrong';

export interface AdminGuard {
  readonly enabled: boolean;
  /** `authorization`: the request's Authorization header; only `Bearer <token>` is accepted. */
  check(authorization: string | undefined): AdminCheck;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function createAdminGuard(token: string | undefined): AdminGuard {
  // Comparing digests keeps the comparison constant-time whatever the length of what was sent.
  const expected = token === undefined || token === '' ? null : digest(token);
  return {
    enabled: expected !== null,
    check(authorization) {
      if (expected === null) return 'disabled';
      const given = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
      if (given === undefined) return 'missing';
      return timingSafeEqual(digest(given), expected) ? 'allowed' : 'wrong';
    },
  };
}
