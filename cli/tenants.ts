// Tenants: the operations behind `boitata tenants`, and the check every tenant-scoped command makes first.
import type pg from 'pg';
import { ProvisionError } from './provision-error.ts';

export interface Tenant {
  id: string;
  name: string;
  created_at: Date;
}

export async function addTenant(db: pg.Pool, input: { id: string; name?: string }): Promise<Tenant> {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.id)) {
    throw new ProvisionError(`tenant id ${JSON.stringify(input.id)}: use 1-63 lowercase letters, digits, "_" or "-"`);
  }
  const result = await db.query<Tenant>(`INSERT INTO boitata_tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at`, [
    input.id,
    input.name ?? input.id,
  ]);
  if (result.rows[0] === undefined) throw new ProvisionError(`tenant ${input.id} already exists`);
  return result.rows[0];
}

export async function listTenants(db: pg.Pool): Promise<Tenant[]> {
  return (await db.query<Tenant>('SELECT id, name, created_at FROM boitata_tenants ORDER BY id')).rows;
}

export async function assertTenant(db: pg.Pool, tenant: string): Promise<void> {
  const found = await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenant]);
  if (found.rowCount === 0) throw new ProvisionError(`no tenant ${JSON.stringify(tenant)}: create it with \`boitata tenants add ${tenant}\``);
}
