// The error of an operator's request that cannot be done as asked (its message says what to change; exit code 1),
// and the id check every command on an existing row makes first.
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

export function assertUuid(value: string, what: string): void {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new ProvisionError(`${what} must be a UUID`);
}
