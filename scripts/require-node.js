// Node >= 22.18 runs this project's TypeScript natively (type stripping); an older Node fails with
// ERR_UNKNOWN_FILE_EXTENSION before any of our code runs. So every entry point (npm run dev, npm test, the processor,
// the benches, the boitata command) runs this plain-JavaScript check first, and says in one line what is needed.

/** The one line to print when `version` (process.versions.node) is too old, or null when it will do. */
export function nodeVersionProblem(version) {
  const [major, minor] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 18)) return null;
  return `Boitatá needs Node >= 22.18 (this is v${version}): \`nvm use\` (.nvmrc), or put a newer node first on PATH.`;
}

const problem = nodeVersionProblem(process.versions.node);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
