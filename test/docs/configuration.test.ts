// The README's configuration reference against the code: every variable the code reads is listed, and every
// processor default listed is the one the code applies.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, PROCESSOR_VARIABLES } from '../../processor/config.ts';

const root = new URL('../../', import.meta.url).pathname;

/** variable → its default cell, from every table row of the README's "## Configuration" section */
async function documented(): Promise<Map<string, string>> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 5));
  const variables = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, '').trim());
    if (cells.length < 3 || !cells[0]!.startsWith('`')) continue;
    const names = cells[0]!.split(' / ').map((name) => name.replaceAll('`', ''));
    const defaults = cells[1]!.split(' / ');
    names.forEach((name, i) => variables.set(name, (names.length === defaults.length ? defaults[i] : cells[1])!));
  }
  return variables;
}

/** Every `process.env['X']` / `env['X']` the product's code reads (tests' own helpers included). */
async function readByCode(): Promise<Set<string>> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = await readFile(join(root, path), 'utf8');
        for (const match of text.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) found.add(match[1]!);
      }
    }
  };
  for (const dir of ['processor', 'cli', 'database', 'dev', 'scripts', 'bench', 'test/support']) await walk(dir);
  const setup = await readFile(join(root, 'test/global-setup.ts'), 'utf8');
  for (const match of setup.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) found.add(match[1]!);
  return found;
}

describe('README configuration reference', () => {
  it('lists every processor variable with the default the code applies', async () => {
    const docs = await documented();
    const defaults = parseConfig({}) as unknown as Record<string, unknown>;
    for (const name of PROCESSOR_VARIABLES) {
      expect(docs.has(name), `${name} is missing from the README's configuration tables`).toBe(true);
      const value = defaults[name];
      if (value !== undefined) expect(docs.get(name), `${name}'s default`).toBe(`\`${String(value)}\``);
    }
  });

  it('lists every Worker variable of wrangler.toml and every variable the tools read', async () => {
    const docs = await documented();
    const wrangler = await readFile(join(root, 'wrangler.toml'), 'utf8');
    const vars = wrangler.slice(wrangler.indexOf('[vars]'), wrangler.indexOf('\n[', wrangler.indexOf('[vars]') + 1));
    const workerVariables = [...vars.matchAll(/^([A-Z][A-Z0-9_]+)\s*=/gm)].map((match) => match[1]!);
    expect(workerVariables.length).toBeGreaterThan(0);
    const missing = [...workerVariables, 'DATABASE_URL', ...(await readByCode())].filter((name) => !docs.has(name));
    expect(missing).toEqual([]);
  });
});
