// The error of an operator's request that cannot be done as asked (its message says what to change; exit code 1),
// and the checks the provisioning commands share: the id of an existing row, a rate limit.
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

export function assertUuid(value: string, what: string): void {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new ProvisionError(`${what} must be a UUID`);
}

/** A connection's or key's requests per minute: 300 when not given. */
export function assertRateLimit(value: number | undefined): number {
  if (value === undefined) return 300;
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new ProvisionError('--rate-limit must be a whole number of requests per minute between 1 and 1000000');
  }
  return value;
}
