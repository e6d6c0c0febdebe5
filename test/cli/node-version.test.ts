// Every entry point checks the Node version first (scripts/require-node.js, plain JavaScript), so an older Node
// prints one line naming the version needed instead of ERR_UNKNOWN_FILE_EXTENSION.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../scripts/require-node.js';

const run = promisify(execFile);

describe('the Node version check', () => {
  it('names the version needed for anything older than 22.18, and accepts 22.18 and later', () => {
    for (const old of ['20.19.5', '22.17.1', '18.20.0']) {
      expect(nodeVersionProblem(old)).toBe(`Boitatá needs Node >= 22.18 (this is v${old}): \`nvm use\` (.nvmrc), or put a newer node first on PATH.`);
    }
    for (const fine of ['22.18.0', '22.23.3', '23.0.0', '24.1.0']) expect(nodeVersionProblem(fine)).toBeNull();
  });

  it('runs first in every npm entry point, and package.json says the same version', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
    expect(pkg.engines.node).toBe('>=22.18');
    for (const name of ['dev', 'processor', 'test', 'bench', 'bench:edge', 'bench:processor', 'bench:noisy']) {
      expect(pkg.scripts[name], name).toMatch(/^node scripts\/require-node\.js && /);
    }
    expect(await readFile('bin/boitata.js', 'utf8')).toContain("import '../scripts/require-node.js';");
    const { stdout, stderr } = await run(process.execPath, ['scripts/require-node.js']);
    expect([stdout, stderr]).toEqual(['', '']);
  });
});
