// The documented bounds of one accepted message: the edge refuses past them, the processor relies on them. Pure.

/** Rows in one message (every format; a multi-table push counts the rows of all its tables). */
export const MAX_ROWS_PER_MESSAGE = 10_000;
/** Tables one multi-table push may name: each table is its own warehouse commit. */
export const MAX_TABLES_PER_MESSAGE = 20;
/** Leaf fields of one row once flattened (`a.b.c` counts one; an array counts one). */
export const MAX_FIELDS_PER_ROW = 1_000;
/** Data columns of one table (metadata columns aside); fields past it are kept in `_boitata_rescue`. */
export const MAX_COLUMNS_PER_TABLE = 1_000;
/**
 * A number written with an exponent must keep it within ±this: Postgres stores numbers exactly and writes
 * them out digit by digit, so `1e-400` (6 bytes) would be read back as 402 characters.
 */
export const MAX_NUMBER_EXPONENT = 50;
