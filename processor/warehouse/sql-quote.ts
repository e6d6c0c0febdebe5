// Quoting shared by the Trino and DuckDB dialects: both follow standard SQL here (a quote inside is doubled). Pure.

/** A name as a delimited identifier: payload field names reach SQL only through this. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Text as a string literal, for values that cannot travel as parameters (every Trino statement, DuckDB's COMMENT ON). */
export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
