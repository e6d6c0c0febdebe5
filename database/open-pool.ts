// The operator tools' Postgres pool (the CLI, `npm run dev`, the local edge): a few clients, default timeouts.
// The processor opens its own, sized and bounded for its loop (processor/main.ts).
import pg from 'pg';

export function openPool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 4 });
}
