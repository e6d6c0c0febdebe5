// A database to use and how it came to be: configured (DATABASE_URL) or the embedded one, started here or shared.
export interface DatabaseHandle {
  url: string;
  /** true when this process started the embedded server (and `stop` stops it) */
  started: boolean;
  /** 'configured' (DATABASE_URL), 'embedded' (started here) or 'embedded, shared' (another process runs it) */
  origin: 'configured' | 'embedded' | 'embedded, shared';
  stop(): Promise<void>;
}
