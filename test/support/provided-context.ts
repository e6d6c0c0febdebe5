// Values the global setup hands to every test project (and to the Workers pool's bindings).
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    unreachableDatabaseUrl: string;
    neonSqlUrl: string;
    neonWsHost: string;
    fixturesUrl: string;
  }
}
export {};
