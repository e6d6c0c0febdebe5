// The Standard Metrics API body: {"table", "rows"} where each row is a dated, named, numeric measurement.
import { z } from 'zod';
import { TABLE_NAME_PATTERN, TABLE_NAME_RULE } from './table-name.ts';
import { isIsoDate, isIsoTimestamp } from './timestamps.ts';
import { MAX_ROWS_PER_MESSAGE } from './ingest-limits.ts';

const dimensionValue = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'a dimension must be a string, number, boolean or null',
});

export const metricRowSchema = z
  .object({
    date: z.string().refine(isIsoDate, 'expected a date as YYYY-MM-DD').optional(),
    timestamp: z.string().refine(isIsoTimestamp, 'expected an ISO-8601 timestamp with an offset, e.g. 2026-06-12T10:00:00Z').optional(),
    metric_name: z.string().min(1, 'metric_name must not be empty').max(200),
    value: z.number({ error: 'value must be a number' }).finite(),
  })
  .catchall(dimensionValue)
  .superRefine((row, ctx) => {
    if ((row.date === undefined) === (row.timestamp === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'each row needs exactly one of "date" or "timestamp"', path: [] });
    }
  });

export const metricsBodySchema = z.strictObject({
  table: z.string().regex(TABLE_NAME_PATTERN, TABLE_NAME_RULE),
  rows: z.array(metricRowSchema).min(1, 'rows must hold at least one row').max(MAX_ROWS_PER_MESSAGE, `at most ${MAX_ROWS_PER_MESSAGE} rows per request`),
});

export type MetricsBody = z.output<typeof metricsBodySchema>;
