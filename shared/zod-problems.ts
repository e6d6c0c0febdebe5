// Turns zod issues into the problems a 400 reports, so every contract answers the same way.
import type { z } from 'zod';
import { BoitataError, formatPath, type Problem } from './errors.ts';

export function toProblems(error: z.ZodError, prefix: PropertyKey[] = []): Problem[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: formatPath([...prefix, ...issue.path]),
    message: issue.message,
  }));
}

/** Parses `value` with `schema`, or throws `invalid_payload` naming each problem's path. */
export function parseContract<T extends z.ZodType>(schema: T, value: unknown, message: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new BoitataError('invalid_payload', message, { problems: toProblems(result.error) });
  return result.data;
}
