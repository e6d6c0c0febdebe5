// A connection URL fit for logs and errors: its password replaced. Pure; used by the processor, the CLI and dev.

/** A DATABASE_URL or TRINO_URL with its password replaced, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
