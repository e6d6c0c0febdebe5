// `boitata plan --tenant T --table X payload.json [--ask-model]`: the dry run of a payload with the processor's
// configuration (warehouse read-only, PII hasher, model): what landing it would do, nothing written.
import { readFile, stat } from 'node:fs/promises';
import type pg from 'pg';
import { matcherFromConfig } from '../processor/ai/matcher-from-config.ts';
import { MAX_ADMIN_BODY_BYTES } from '../processor/admin/admin-router.ts';
import { PlanInputError } from '../processor/governance/plan-payload.ts';
import { renderPlanReport } from '../processor/governance/plan-render.ts';
import { planReportJson } from '../processor/governance/plan-report.ts';
import { planPayload } from '../processor/governance/plan-run.ts';
import { parsePayload } from '../processor/normalize/parse-payload.ts';
import { PiiHasher } from '../processor/schema/pii-hasher.ts';
import { createWarehouse } from '../processor/warehouse/create-warehouse.ts';
import { randomBytes } from 'node:crypto';
import { required, UsageError, type Values } from './arguments.ts';
import { processorConfig } from './governance-options.ts';
import type { Output } from './output.ts';
import { loadCliPiiHasher } from './pii-hash-key.ts';

export async function runPlanCommand(
  db: pg.Pool,
  out: Output,
  positionals: readonly string[],
  values: Values,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const tenant = required(values.tenant, '--tenant');
  const table = required(values.table, '--table');
  if (positionals.length !== 1) throw new UsageError('plan takes one payload file: boitata plan --tenant T --table X payload.json');
  const payload = await readPayloadFile(positionals[0]!);
  const config = processorConfig(env);
  const pii = await loadCliPiiHasher(db, env);
  // Without the processor's key, rescued personal data still shows only as hashes, of a throwaway key.
  const hasher = pii.hasher ?? new PiiHasher('hmac', randomBytes(32));
  const { matcher } = matcherFromConfig(config, db);
  // A reader of the DuckDB file, not a writer: the processor may hold it, and a dry run never changes it.
  const { warehouse } = createWarehouse(config, { readOnly: true });
  try {
    const report = await planPayload({ pool: db, warehouse, hasher, matcher }, { tenant, table, payload, askModel: values['ask-model'] });
    out.print(planReportJson(report), () =>
      pii.hasher === null ? `${renderPlanReport(report)}\n\nRescued personal data is hashed with a throwaway key: ${pii.reason}.` : renderPlanReport(report),
    );
  } catch (error) {
    if (error instanceof PlanInputError) throw new UsageError(error.message);
    throw error;
  } finally {
    await warehouse.close();
  }
}

async function readPayloadFile(path: string): Promise<unknown> {
  const size = await stat(path).then(
    (s) => s.size,
    (error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read the payload file ${path} (${error.code ?? error.message})`);
    },
  );
  if (size > MAX_ADMIN_BODY_BYTES) throw new UsageError(`the payload file ${path} is ${size} bytes; the edge accepts at most ${MAX_ADMIN_BODY_BYTES}`);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the payload file ${path} (${error.code ?? error.message})`);
  });
  try {
    return parsePayload(text);
  } catch (error) {
    throw new UsageError(`the payload file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
