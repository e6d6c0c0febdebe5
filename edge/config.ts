// The edge's configuration, parsed once per isolate from the Worker's bindings with zod; a bad value names its variable.
import { z } from 'zod';
import { BoitataError } from '../shared/errors.ts';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const edgeEnvSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'DATABASE_URL is not set: `wrangler secret put DATABASE_URL` (or .dev.vars locally)' })
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// connection string'),
  NEON_HTTP_ENDPOINT: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()))
    .refine((value) => value === undefined || /^https?:\/\//.test(value), 'NEON_HTTP_ENDPOINT must be an http(s) URL'),
  NEON_WS_PROXY: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
  // Opens the signing secrets of connections that verify provider signatures (32 bytes, base64); optional otherwise.
  BOITATA_SECRETS_KEY: optionalText,
  // The key being rotated out: secrets it sealed still open until `boitata secrets rekey` re-seals them.
  BOITATA_SECRETS_KEY_PREVIOUS: optionalText,
  GATE_CONFIG_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  // Fractions are for tests (a frozen database answered in 2 s instead of 15); Workers' own limits sit far above 60.
  DATABASE_DEADLINE_SECONDS: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.coerce.number().min(0.5).max(60).default(15),
  ),
});

export interface EdgeConfig {
  databaseUrl: string;
  neonHttpEndpoint: string | undefined;
  /** host:port/path of a plain-ws proxy (local development); undefined in production, where Neon's proxy is used. */
  neonWsProxy: string | undefined;
  gateConfigTtlMs: number;
  /** Every request is answered within this, database work (connect, statement, commit, config read) included. */
  databaseDeadlineMs: number;
  /** BOITATA_SECRETS_KEY and BOITATA_SECRETS_KEY_PREVIOUS as configured (parsed when a signing secret is first opened). */
  secretsKey: string | undefined;
  previousSecretsKey: string | undefined;
}

const parsed = new WeakMap<object, EdgeConfig>();

export function readEdgeConfig(env: object): EdgeConfig {
  const cached = parsed.get(env);
  if (cached !== undefined) return cached;
  const result = edgeEnvSchema.safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    // Logged once per isolate for the operator; the sender only sees a 500.
    console.error(JSON.stringify({ level: 'error', msg: 'invalid edge configuration', detail }));
    throw new BoitataError('internal_error', 'The service is misconfigured.');
  }
  const config: EdgeConfig = {
    databaseUrl: result.data.DATABASE_URL,
    neonHttpEndpoint: result.data.NEON_HTTP_ENDPOINT,
    neonWsProxy: result.data.NEON_WS_PROXY,
    gateConfigTtlMs: result.data.GATE_CONFIG_TTL_SECONDS * 1000,
    databaseDeadlineMs: Math.round(result.data.DATABASE_DEADLINE_SECONDS * 1000),
    secretsKey: result.data.BOITATA_SECRETS_KEY,
    previousSecretsKey: result.data.BOITATA_SECRETS_KEY_PREVIOUS,
  };
  parsed.set(env, config);
  return config;
}
