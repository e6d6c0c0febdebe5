#!/usr/bin/env node
// The `boitata` operator command. Needs Node >= 22.18 (TypeScript runs natively by type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`boitata needs Node >= 22.18 (this is ${process.version}).\n`);
  process.exit(1);
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
