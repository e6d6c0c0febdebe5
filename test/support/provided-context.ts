// Values the global setups hand to their projects (and to the Workers pool's bindings). The 'pure' project has no
// global setup and gets none of them; 'cli' gets the database's (test/global-setup-database.ts); every other
// project gets them all (test/global-setup.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    // test/global-setup-database.ts (and test/global-setup.ts)
    databaseUrl: string;
    unreachableDatabaseUrl: string;
    /** this run's BOITATA_SECRETS_KEY: the edge's, the fixture service's, and the one CLI tests seal with */
    secretsKey: string;

    // test/global-setup.ts only
    neonSqlUrl: string;
    neonWsHost: string;
    fixturesUrl: string;
    /** '' when no Trino is reachable: the warehouse tests are skipped (never in CI, see BOITATA_REQUIRE_TRINO) */
    trinoUrl: string;
    trinoSkipReason: string;
    /** the real Worker under wrangler dev */
    edgeUrl: string;
  }
}
export {};
