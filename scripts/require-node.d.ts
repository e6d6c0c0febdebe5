// Types for require-node.js (plain JavaScript, so an older Node can run it).
export function nodeVersionProblem(version: string): string | null;
