// Values the global setup hands to every test project (and to the Workers pool's bindings).
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    unreachableDatabaseUrl: string;
    neonSqlUrl: string;
    neonWsHost: string;
    fixturesUrl: string;
    /** this run's BOITATA_SECRETS_KEY: the edge's, the fixture service's, and the one CLI tests seal with */
    secretsKey: string;
    /** '' when no Trino is reachable: the warehouse tests are skipped (never in CI, see BOITATA_REQUIRE_TRINO) */
    trinoUrl: string;
    trinoSkipReason: string;
    /** the real Worker under wrangler dev */
    edgeUrl: string;
  }
}
export {};
