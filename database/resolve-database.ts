// Which PostgreSQL a process uses: DATABASE_URL when set, else the embedded one under BOITATA_DATA_DIR. Whether a
// production processor may fall back to the embedded one is its configuration's call (BOITATA_ALLOW_EMBEDDED).
import type { DatabaseHandle } from './database-handle.ts';
import { DEFAULT_DATA_DIR } from './data-dir.ts';
import { startEmbeddedPostgres, type EmbeddedOptions } from './embedded-postgres.ts';

export const DEFAULT_EMBEDDED_PORT = 54329;

/** DATABASE_URL when set; otherwise the embedded server, started here unless another process already runs it. */
export async function resolveDatabase(env: NodeJS.ProcessEnv = process.env, options: Partial<EmbeddedOptions> = {}): Promise<DatabaseHandle> {
  const configured = env['DATABASE_URL']?.trim();
  if (configured) return { url: configured, started: false, origin: 'configured', stop: async () => undefined };
  return startEmbeddedPostgres({
    dataDir: options.dataDir ?? (env['BOITATA_DATA_DIR']?.trim() || DEFAULT_DATA_DIR),
    port: options.port ?? Number(env['BOITATA_EMBEDDED_POSTGRES_PORT']?.trim() || DEFAULT_EMBEDDED_PORT),
    ...(options.database === undefined ? {} : { database: options.database }),
  });
}
