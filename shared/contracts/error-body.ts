// Every error's body (BoitataError.toBody in shared/errors.ts) as a zod contract, for the OpenAPI document and the
// tests that hold the edge's answers to it.
import { z } from 'zod';
import { systemErrorStatus, userErrorStatus, type ErrorCode } from '../errors.ts';

export const errorCodes = [...Object.keys(userErrorStatus), ...Object.keys(systemErrorStatus)] as [ErrorCode, ...ErrorCode[]];

/** The codes answered with `status`, in errors.ts order. */
export function errorCodesWithStatus(status: number): ErrorCode[] {
  const statuses: Record<string, number> = { ...userErrorStatus, ...systemErrorStatus };
  return errorCodes.filter((code) => statuses[code] === status);
}

export const problemSchema = z.strictObject({
  path: z.string().describe('where in the request: `$` (the whole body), `rows[3].value`, `headers.Idempotency-Key`'),
  message: z.string(),
});

export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(errorCodes).describe('stable: 4xx codes say what to fix, 5xx codes say retry (with the same Idempotency-Key)'),
      message: z.string().describe('for a person: what was wrong and how to fix it'),
      problems: z.array(problemSchema).exactOptional().describe('each bad field by path (at most 20)'),
    }),
  })
  .describe('Every error: a code, a message, and the problems by path.');

export type ErrorBodyContract = z.output<typeof errorBodySchema>;
