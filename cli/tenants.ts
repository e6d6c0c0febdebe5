// Tenants: the operations behind `boitata tenants`, and the check every tenant-scoped command makes first.
import type pg from 'pg';
import { required, type Values } from './arguments.ts';
import { recordCliAudit } from './cli-audit.ts';
import { table, type Output } from './output.ts';
import { ProvisionError } from './provision-error.ts';
import { unknownCommand } from './usage.ts';

export interface Tenant {
  id: string;
  name: string;
  created_at: Date;
}

/** Refuses the id of a deleted tenant: its PII hash key derives from PII_HASH_KEY and the id, so its hashes would match. */
export async function addTenant(db: pg.Pool, input: { id: string; name?: string }): Promise<Tenant> {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.id)) {
    throw new ProvisionError(`tenant id ${JSON.stringify(input.id)}: use 1-63 lowercase letters, digits, "_" or "-"`);
  }
  const result = await db.query<Tenant>(
    `INSERT INTO boitata_tenants (id, name) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM boitata_deleted_tenants WHERE id = $1)
     ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at`,
    [input.id, input.name ?? input.id],
  );
  if (result.rows[0] !== undefined) return result.rows[0];
  const { rows } = await db.query<{ deleted_at: Date }>('SELECT deleted_at FROM boitata_deleted_tenants WHERE id = $1', [input.id]);
  if (rows[0] !== undefined) {
    throw new ProvisionError(
      `tenant id ${input.id} belonged to a tenant deleted on ${rows[0].deleted_at.toISOString()} and cannot be used again: personal data is ` +
        'hashed with a key derived from PII_HASH_KEY and the tenant id, so a new tenant with this id would produce the same hashes as the ' +
        'deleted one. Choose another id.',
    );
  }
  throw new ProvisionError(`tenant ${input.id} already exists`);
}

export async function listTenants(db: pg.Pool): Promise<Tenant[]> {
  return (await db.query<Tenant>('SELECT id, name, created_at FROM boitata_tenants ORDER BY id')).rows;
}

export async function assertTenant(db: pg.Pool, tenant: string): Promise<void> {
  const found = await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenant]);
  if (found.rowCount === 0) throw new ProvisionError(`no tenant ${JSON.stringify(tenant)}: create it with \`boitata tenants add ${tenant}\``);
}

/** `tenants add`, `tenants list`, `tenants delete` (the last loads the warehouse clients, so only when asked). */
export async function runTenantCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  switch (command) {
    case 'tenants add': {
      const tenant = await addTenant(db, { id: required(rest[0], 'tenant id'), ...(values.name ? { name: values.name } : {}) });
      await recordCliAudit(db, values, 'tenant.create', tenant.id, { name: tenant.name });
      return out.print(tenant, () => `Created tenant ${tenant.id}.`);
    }
    case 'tenants list': {
      const tenants = await listTenants(db);
      return out.print(tenants, () => table(tenants as never, ['id', 'name', 'created_at']));
    }
    case 'tenants delete':
      return (await import('./tenant-delete-command.ts')).runTenantDelete(db, out, rest, values);
    default:
      throw unknownCommand(command);
  }
}
