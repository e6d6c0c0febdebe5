// The dev stack keeps no ingest token at rest: after pushes (and mistyped push URLs) through the real Worker under
// `wrangler dev`, no file in wrangler's state, temp or log directories contains the token.
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { edgeUrl, newConnection } from './support.ts';

const root = new URL('../../../', import.meta.url).pathname;

/** Everywhere wrangler and miniflare write: the project's .wrangler (state, tmp) and wrangler's debug log folders. */
const wranglerDirs = [join(root, '.wrangler'), join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), '.wrangler'), join(homedir(), '.wrangler')];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
    }),
  );
  return nested.flat();
}

async function filesHolding(secret: string): Promise<string[]> {
  const needle = Buffer.from(secret);
  const holding: string[] = [];
  for (const dir of wranglerDirs) {
    for (const file of await filesUnder(dir)) {
      if ((await stat(file).catch(() => undefined))?.isFile() !== true) continue;
      const bytes = await readFile(file).catch(() => Buffer.alloc(0));
      if (bytes.includes(needle)) holding.push(file);
    }
  }
  return holding;
}

it('no file of the local Worker stack holds a pushed token', async () => {
  const conn = await newConnection();
  const pushed = await fetch(`${edgeUrl}/v1/ingest/push/${conn.token}?table=events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': conn.tenant },
    body: JSON.stringify([{ a: 1 }]),
  });
  expect(pushed.status).toBe(202);
  // Mistyped and wrong-method URLs are recorded (or not) the same way as good ones.
  for (const [method, path] of [
    ['POST', `/V1/INGEST/PUSH/${conn.token}`],
    ['POST', `/v1//ingest/push/${conn.token}`],
    ['GET', `/v1/ingest/push/${conn.token}`],
  ] as const) {
    const response = await fetch(`${edgeUrl}${path}`, { method, ...(method === 'POST' ? { body: '[]' } : {}) });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.text()).not.toContain(conn.token.slice(6));
  }
  // A trace or log writer flushes in the background: give it time before looking.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await filesHolding(conn.token)).toEqual([]);
  // Only the random part is secret: a store that kept it without the prefix would leak as much.
  expect(await filesHolding(conn.token.slice(6))).toEqual([]);
});
