// The model client and the schema matcher as the processor's configuration says (AI_*): the processor and
// `boitata plan` build them the same way, so a dry run asks (or finds cached) exactly what the processor would.
import type pg from 'pg';
import type { ProcessorConfig } from '../config.ts';
import { ModelClient } from './model-client.ts';
import { AiSchemaMatcher } from './schema-matcher.ts';

export function matcherFromConfig(config: ProcessorConfig, pool: pg.Pool): { model: ModelClient | null; matcher: AiSchemaMatcher } {
  const model =
    config.AI_MODEL === undefined
      ? null
      : new ModelClient({ baseUrl: config.AI_BASE_URL, apiKey: config.AI_API_KEY ?? 'none', model: config.AI_MODEL, timeoutMs: config.AI_TIMEOUT_MS });
  const matcher = new AiSchemaMatcher(pool, model, {
    threshold: config.AI_CONFIDENCE_THRESHOLD,
    sendSamples: config.AI_SEND_SAMPLE_VALUES,
    callsPerTenantPerDay: config.AI_MAX_CALLS_PER_TENANT_PER_DAY,
  });
  return { model, matcher };
}
