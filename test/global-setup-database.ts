// Global setup of the projects that need only the database (the CLI's): fresh and migrated, with the run's
// secrets key. Shared with every other project of the run (test/support/test-stack.ts); no edge, no Neon endpoint.
import type { TestProject } from 'vitest/node';
import { acquireTestDatabase } from './support/test-stack.ts';
import './support/provided-context.ts';

/** Provides the database's keys to the project; the returned function lets go of it. */
export async function provideDatabase(project: TestProject): Promise<() => Promise<void>> {
  const database = await acquireTestDatabase();
  project.provide('databaseUrl', database.value.url);
  project.provide('unreachableDatabaseUrl', database.value.unreachableUrl);
  project.provide('secretsKey', database.value.secretsKey);
  return () => database.release();
}

export default provideDatabase;
