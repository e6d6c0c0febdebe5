// The end of an exhaustive switch over a discriminated union: the compiler proves it unreachable.
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
