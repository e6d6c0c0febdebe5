#!/usr/bin/env node
// The `boitata` operator command. Needs Node >= 22.18 (TypeScript runs natively by type stripping): checked first.
import '../scripts/require-node.js';

const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
