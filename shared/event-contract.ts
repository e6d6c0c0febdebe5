// The event envelope of POST /v1/events/ingest: event_type, source_id and payload are required.
import { z } from 'zod';
import { isIsoTimestamp } from './timestamps.ts';

const identifier = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:\-/]*$/, 'use letters, digits and _ . : - /, starting with a letter or digit');

export const eventSeverities = ['debug', 'info', 'notice', 'warning', 'error', 'critical'] as const;

export const eventEnvelopeSchema = z.strictObject({
  event_id: identifier.optional(),
  event_type: identifier,
  source_id: identifier,
  environment: z.string().min(1).max(64).optional(),
  severity: z.enum(eventSeverities).optional(),
  timestamp: z.string().refine(isIsoTimestamp, 'expected an ISO-8601 timestamp with an offset, e.g. 2026-06-01T10:00:00Z').optional(),
  payload: z.record(z.string(), z.unknown(), { error: 'payload must be a JSON object' }),
});

export type EventEnvelope = z.output<typeof eventEnvelopeSchema>;

/** Events land in one table per tenant; the processor reads `event_type` from each row. */
export const EVENTS_TABLE = 'events';
