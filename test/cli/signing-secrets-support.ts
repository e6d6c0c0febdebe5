// What the signing-secret CLI tests share: `boitata` run as a child process with this run's secrets key, secret
// files, the tenant they provision into, and what they read back from Postgres and a pg_dump. Each test file
// imports this module afresh (vitest isolates files), so each gets its own tenant, directory and pool.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject } from 'vitest';

const databaseUrl = inject('databaseUrl');
export const runKey = inject('secretsKey');
export const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
export const tenant = `sigs-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
export let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boitata-signing-secrets-'));
});
afterAll(async () => {
  await db.end();
  await rm(dir, { recursive: true, force: true });
});

export interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

/** `boitata …` as an operator runs it, with this run's secrets key unless `env` says otherwise. */
export function boitata(args: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    BOITATA_SECRETS_KEY: runKey,
    BOITATA_SECRETS_KEY_PREVIOUS: undefined,
    ...options.env,
  };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/boitata.js', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Adds this file's tenant with the CLI, for the files whose first test is not the one that does. */
export async function addTenant(): Promise<void> {
  const result = await boitata(['tenants', 'add', tenant]);
  if (result.code !== 0) throw new Error(`boitata tenants add ${tenant} exited ${result.code}: ${result.stderr}`);
}

export async function secretFile(content: string): Promise<string> {
  const file = join(dir, `secret-${randomBytes(4).toString('hex')}`);
  await writeFile(file, content, { mode: 0o600 });
  return file;
}

export const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;
/** Every secret a test stores, to look for in Postgres, dumps and output. */
export const secrets: string[] = [];
export const remember = (secret: string) => (secrets.push(secret), secret);

export async function storedSecrets(connectionId: string): Promise<Array<{ key_id: string; sealed: Buffer; expires_at: Date | null }>> {
  const { rows } = await db.query('SELECT key_id, sealed, expires_at FROM boitata_signing_secrets WHERE connection_id = $1 ORDER BY created_at', [
    connectionId,
  ]);
  return rows;
}

export interface Added {
  id: string;
  token: string;
  verify_preset: string | null;
  verify_options: unknown;
  max_body_bytes: number | null;
  signing_secrets: number;
  verified_headers?: string[];
}

export async function addWithFile(name: string, secret: string, flags: string[]): Promise<Added> {
  const result = await boitata([
    'connections',
    'add',
    '--tenant',
    tenant,
    '--name',
    name,
    ...flags,
    '--signing-secret-file',
    await secretFile(`${secret}\n`),
    '--json',
  ]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).not.toContain(secret);
  return JSON.parse(result.stdout) as Added;
}

/** `pg_dump --data-only` of the test database, by the newest pg_dump installed (it must not be older than the server). */
export async function pgDump(): Promise<string> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...versions.map((v) => `/usr/lib/postgresql/${v}/bin/pg_dump`), 'pg_dump'].filter((path) => path === 'pg_dump' || existsSync(path));
  const run = (bin: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(bin, ['--data-only', '--dbname', databaseUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`${bin} exited ${code}: ${err}`))));
    });
  return run(candidates[0]!);
}
