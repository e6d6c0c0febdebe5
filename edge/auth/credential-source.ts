// Where each endpoint finds its secret: the path token, an Authorization Bearer header, or X-API-Key.

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** A path with any ingest token cut to its visible prefix, safe to log. */
export function redactPath(path: string): string {
  return path.replace(/(\/v1\/ingest\/push\/)([^/?]{0,12})[^/?]*/, '$1$2…');
}
