// Every admin route, from what the processor has: each feature's routes come from its own file.
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { AiSchemaMatcher } from '../ai/schema-matcher.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { AdminRoute } from './admin-router.ts';
import { planRoutes } from '../governance/plan-route.ts';
import { erasureRoutes } from '../governance/erasure-routes.ts';

/** What admin actions run with: the processor's own pool, warehouse, PII hasher and model matcher. */
export interface AdminContext {
  pool: pg.Pool;
  warehouse: Warehouse;
  hasher: PiiHasher;
  matcher: AiSchemaMatcher | null;
  log: Logger;
  /** the processor's id (config.processorId): an admin erasure's receipt names its runner (erasure-receipts.ts) */
  processorId?: string;
}

export function adminRoutes(context: AdminContext): AdminRoute[] {
  return [...planRoutes(context), ...erasureRoutes(context)];
}
