// The processor's container against the code: everything the processor and the operator CLI import (statically or
// by `await import('…')`) is copied by the Dockerfile, none of it is dev-only or test code, and every package they
// import is a runtime dependency (the image installs with --omit=dev). Also the bootstrap's place in the layering.
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../database/migrate.ts';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const ENTRY_POINTS = ['processor/main.ts', 'bin/boitata.js'];

/** The sources the Dockerfile's COPY lines take from the build context, as project-relative paths. */
async function copiedPaths(): Promise<string[]> {
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  return dockerfile.split('\n').flatMap((line) => {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'COPY') return [];
    const operands = words.slice(1).filter((word) => !word.startsWith('--'));
    return operands.slice(0, -1).map((source) => source.replace(/^\.\//, '').replace(/\/$/, ''));
  });
}

const isCopied = (file: string, copied: readonly string[]) => copied.some((source) => file === source || file.startsWith(`${source}/`));

interface Closure {
  /** project-relative file → the file that first imported it (null for an entry point) */
  files: Map<string, string | null>;
  /** npm package name → a file that imports it */
  packages: Map<string, string>;
}

/** Every module specifier of a file, comments and strings aside: imports, re-exports, `import('…')` with a literal. */
function specifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Follows relative specifiers from the entry points; records the packages named on the way. */
async function importClosure(entries: readonly string[]): Promise<Closure> {
  const files = new Map<string, string | null>(entries.map((entry) => [entry, null]));
  const packages = new Map<string, string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const specifier of specifiers(await readFile(join(root, file), 'utf8'))) {
      if (specifier.startsWith('node:')) continue;
      if (!specifier.startsWith('.')) {
        if (!packages.has(packageName(specifier))) packages.set(packageName(specifier), file);
        continue;
      }
      const target = relative(root, resolve(root, dirname(file), specifier))
        .split(sep)
        .join('/');
      if (files.has(target)) continue;
      files.set(target, file);
      pending.push(target);
    }
  }
  return { files, packages };
}

/** `a ← b ← processor/main.ts`: how the closure reached a file. */
function chain(closure: Closure, file: string): string {
  const steps = [file];
  for (let parent = closure.files.get(file); parent != null; parent = closure.files.get(parent)) steps.push(parent);
  return steps.join(' ← ');
}

describe('the processor container', () => {
  it('copies everything the processor and the CLI import, and no dev or test code', async () => {
    const closure = await importClosure(ENTRY_POINTS);
    const copied = await copiedPaths();
    const reached = [...closure.files.keys()];
    // The walk itself works: it reaches the CLI's lazily imported command and the database bootstrap.
    expect(reached).toEqual(expect.arrayContaining(['cli/main.ts', 'cli/query.ts', 'database/resolve-database.ts', 'shared/redact-url.ts']));

    const devOrTest = reached.filter((file) => /^(dev|test)\//.test(file)).map((file) => chain(closure, file));
    expect(devOrTest, 'dev-only or test code reached from an entry point of the image').toEqual([]);
    const notCopied = reached.filter((file) => !isCopied(file, copied)).map((file) => chain(closure, file));
    expect(notCopied, `imported but not copied by the Dockerfile (it copies ${copied.join(', ')})`).toEqual([]);
    // Read at run time rather than imported: the migrations the bootstrap applies.
    expect(isCopied(relative(root, MIGRATIONS_DIR).replace(/\/$/, ''), copied)).toBe(true);
  });

  it('installs every package they import (npm ci --omit=dev)', async () => {
    const closure = await importClosure(ENTRY_POINTS);
    const { dependencies } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const missing = [...closure.packages].filter(([name]) => !(name in dependencies)).map(([name, file]) => `${name} (${chain(closure, file)})`);
    expect(missing, 'imported from the image but not a runtime dependency').toEqual([]);
  });
});

describe('the database bootstrap (database/)', () => {
  it('imports only shared/ and packages, so the processor, the CLI and the dev tools can all depend on it', async () => {
    const wrong: string[] = [];
    for (const name of await readdir(join(root, 'database'))) {
      if (!name.endsWith('.ts')) continue;
      const file = `database/${name}`;
      for (const specifier of specifiers(await readFile(join(root, file), 'utf8'))) {
        if (!specifier.startsWith('.')) continue;
        const folder = relative(root, resolve(root, 'database', specifier)).split(sep)[0];
        if (folder !== 'database' && folder !== 'shared') wrong.push(`${file} → ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
