// Global setup of the projects that need the whole stack (the edge, the processor, the status page): the run's
// database, the local Neon endpoint in front of it, the fixture service, the Trino probe and `wrangler dev`.
// Started once per run however many projects list this file (test/support/test-stack.ts), provided to each.
import type { TestProject } from 'vitest/node';
import { provideDatabase } from './global-setup-database.ts';
import { acquireTestServices } from './support/test-stack.ts';
import './support/provided-context.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const releaseDatabase = await provideDatabase(project);
  const services = await acquireTestServices();
  const { neonSqlUrl, neonWsHost, fixturesUrl, trinoUrl, trinoSkipReason, edgeUrl } = services.value;
  project.provide('neonSqlUrl', neonSqlUrl);
  project.provide('neonWsHost', neonWsHost);
  project.provide('fixturesUrl', fixturesUrl);
  project.provide('trinoUrl', trinoUrl);
  project.provide('trinoSkipReason', trinoSkipReason);
  project.provide('edgeUrl', edgeUrl);
  return async () => {
    await services.release();
    await releaseDatabase();
  };
}
