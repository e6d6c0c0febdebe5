// Starts the local edge: migrates the database, fronts it with the local Neon endpoint, runs the Worker under wrangler dev.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDatabase } from '../database/ensure-database.ts';
import { openPool } from '../database/open-pool.ts';
import { migrate } from '../database/migrate.ts';
import type { NeonLocal } from './neon-local.ts';
import { startNeonLocalProcess } from './neon-local-process.ts';

export interface LocalEdge {
  url: string;
  neon: NeonLocal;
  stop(): Promise<void>;
}

export interface LocalEdgeOptions {
  databaseUrl: string;
  port?: number;
  /** wrangler config file; the bench uses its own for the bare Worker. */
  config?: string;
  /** Print wrangler's output (the dev command does, the bench does not). */
  inheritOutput?: boolean;
  vars?: Record<string, string>;
}

// wrangler's package exports hide its bin; resolve the package root and go from there.
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');

export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  const url = options.databaseUrl;
  await ensureDatabase(url);
  const pool = openPool(url);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  const neon = await startNeonLocalProcess();
  let worker: WranglerDev;
  try {
    worker = await startWranglerDev({
      port: options.port ?? 8787,
      config: options.config ?? 'wrangler.toml',
      inheritOutput: options.inheritOutput ?? false,
      vars: { DATABASE_URL: url, NEON_HTTP_ENDPOINT: neon.sqlUrl, NEON_WS_PROXY: `${neon.wsProxyHost}/v1`, ...options.vars },
    });
  } catch (error) {
    await neon.close();
    throw error;
  }
  return {
    url: worker.url,
    neon,
    async stop() {
      await worker.stop();
      await neon.close();
    },
  };
}

/**
 * A push URL carries its ingest token, so nothing of `wrangler dev` may keep request URLs: no local trace store
 * (`.wrangler/state/…/miniflare-wobs-trace-store`, on by default), no local explorer over the Worker's storage, no
 * debug log file (`~/.config/.wrangler/logs`, written at every level whatever --log-level says), no metrics.
 */
export const QUIET_WRANGLER_ENV = {
  X_LOCAL_OBSERVABILITY: 'false',
  X_LOCAL_EXPLORER: 'false',
  WRANGLER_WRITE_LOGS: 'false',
  WRANGLER_SEND_METRICS: 'false',
} as const;

/** Worker variables that are secrets in production (`wrangler secret put`). */
const SECRET_VARS = new Set(['DATABASE_URL', 'BOITATA_SECRETS_KEY', 'BOITATA_SECRETS_KEY_PREVIOUS']);

export interface WranglerDev {
  url: string;
  stop(): Promise<void>;
}

/** Runs `wrangler dev` for one config on 127.0.0.1:port and resolves once GET /health answers. */
export async function startWranglerDev(options: { port: number; config: string; inheritOutput: boolean; vars: Record<string, string> }): Promise<WranglerDev> {
  if (await portAnswers(options.port)) {
    throw new Error(`port ${options.port} is already in use (a wrangler dev left from an earlier run?); stop it or pick another port`);
  }
  const args = [wranglerBin, 'dev', '--config', options.config, '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  // DATABASE_URL can hold a password (the embedded PostgreSQL's), and the secrets keys open every signing secret:
  // through a 0600 env file, not the command line (which every local user can read in the process list).
  const secrets = await mkdtemp(join(tmpdir(), 'boitata-edge-'));
  const envFile = join(secrets, '.env');
  const secretLines: string[] = [];
  for (const [name, value] of Object.entries(options.vars)) {
    if (SECRET_VARS.has(name)) secretLines.push(`${name}=${JSON.stringify(value)}`);
    else args.push('--var', `${name}:${value}`);
  }
  await writeFile(envFile, `${secretLines.join('\n')}\n`, { mode: 0o600 });
  args.push('--env-file', envFile);
  const removeSecrets = () => rm(secrets, { recursive: true, force: true });
  const child = spawn(process.execPath, args, {
    stdio: options.inheritOutput ? 'inherit' : 'ignore',
    env: { ...process.env, ...QUIET_WRANGLER_ENV },
  });
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilHealthy(url, child);
  } catch (error) {
    await stopChild(child);
    await removeSecrets();
    throw error;
  }
  // kept until stop: wrangler reads it again when it reloads the Worker
  return { url, stop: () => stopChild(child).finally(removeSecrets) };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilHealthy(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not answer ${url}/health within ${timeoutMs / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
