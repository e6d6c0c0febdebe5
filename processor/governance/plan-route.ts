// POST /admin/plan: the dry run of a payload on the admin API — the same report `boitata plan --json` prints.
import { z } from 'zod';
import { AdminInputError, type AdminRoute } from '../admin/admin-router.ts';
import type { AdminContext } from '../admin/admin-routes.ts';
import { PlanInputError } from './plan-payload.ts';
import { planReportJson } from './plan-report.ts';
import { planPayload } from './plan-run.ts';

const planBody = z
  .object({
    requested_by: z.string(),
    tenant: z.string().min(1, 'the tenant id'),
    table: z.string().min(1, 'the table name'),
    payload: z.unknown().refine((value) => value !== undefined, 'the push body to plan (a JSON array of rows, an envelope, or one row)'),
    ask_model: z.boolean().optional(),
  })
  .strict();

export function planRoutes(context: AdminContext): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: /^\/admin\/plan$/,
      describe: '/admin/plan  {requested_by, tenant, table, payload, ask_model?}: what landing the payload would do; writes nothing',
      async handle(request) {
        const parsed = planBody.safeParse(request.body);
        if (!parsed.success) {
          const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
          throw new AdminInputError(400, 'invalid_request', `The body must be {requested_by, tenant, table, payload, ask_model?}: ${problems}`);
        }
        const { tenant, table, payload, ask_model: askModel = false } = parsed.data;
        try {
          const report = await planPayload(context, { tenant, table, payload, askModel });
          return { status: 200, body: planReportJson(report) };
        } catch (error) {
          if (error instanceof PlanInputError) throw new AdminInputError(400, error.code, error.message);
          throw error;
        }
      },
    },
  ];
}
