// The admin API's erasures: `POST /admin/erasures` (a dry run answers the report; a real one answers 202 with the
// receipt id and runs in the background) and `GET /admin/erasures/{id}` (the receipt).
import type { AdminContext } from '../admin/admin-routes.ts';
import { AdminInputError, type AdminRoute } from '../admin/admin-router.ts';
import { ErasureInputError, parseMatchJson } from './erasure-match.ts';
import { getReceipt } from './erasure-receipts.ts';
import { openErasure, planErasure, runErasure, type ErasurePlan } from './erasure-run.ts';

const KNOWN = new Set(['tenant', 'match', 'dry_run', 'requested_by']);

export function erasureRoutes(context: AdminContext): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: /^\/admin\/erasures$/,
      describe: '/admin/erasures {tenant, match:[{column,value}], dry_run, requested_by}: erase a data subject',
      async handle({ body, requestedBy }) {
        const plan = await planFrom(context, body as Record<string, unknown>, requestedBy);
        const id = await openErasure(context.pool, plan, context.processorId ?? null);
        const deps = { db: context.pool, warehouse: context.warehouse, hasher: context.hasher };
        if (plan.request.dryRun) return { status: 200, body: await runErasure(deps, plan, id) };
        // runErasure never throws: a failure closes the receipt as failed.
        void runErasure(deps, plan, id).then(
          (report) =>
            context.log.info('erasure finished', { erasure_id: id, tenant: report.tenant, status: report.status, warehouse_rows: report.warehouse_rows }),
          (error: Error) => context.log.error('erasure receipt could not be closed', { erasure_id: id, error: error.name }),
        );
        return { status: 202, body: { erasure_id: id, status: 'running', receipt: `/admin/erasures/${id}` } };
      },
    },
    {
      method: 'GET',
      path: /^\/admin\/erasures\/([^/]+)$/,
      describe: '/admin/erasures/{id}: an erasure receipt',
      async handle({ params }) {
        const receipt = await getReceipt(context.pool, params[0] ?? '');
        if (receipt === null) return { status: 404, body: { error: 'not_found', message: `No erasure ${JSON.stringify(params[0])}.` } };
        return { status: 200, body: receipt };
      },
    },
  ];
}

async function planFrom(context: AdminContext, body: Record<string, unknown>, requestedBy: string): Promise<ErasurePlan> {
  const unknown = Object.keys(body).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0)
    throw new AdminInputError(
      400,
      'unknown_field',
      `Unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}: the body takes ${[...KNOWN].join(', ')}.`,
    );
  const { tenant, dry_run: dryRun } = body;
  if (typeof tenant !== 'string' || tenant === '')
    throw new AdminInputError(400, 'tenant_required', '"tenant" is required: the tenant id whose data subject to erase.');
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new AdminInputError(400, 'invalid_dry_run', '"dry_run" must be true or false.');
  try {
    const matches = parseMatchJson(body['match']);
    return await planErasure(context.pool, context.hasher, { tenantId: tenant, matches, dryRun: dryRun === true, requestedBy, via: 'admin_api' });
  } catch (error) {
    if (!(error instanceof ErasureInputError)) throw error;
    throw new AdminInputError(error.code === 'unknown_tenant' ? 404 : 400, error.code, error.message);
  }
}
