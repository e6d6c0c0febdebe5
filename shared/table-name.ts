// The rule every table name from a sender (query, header, envelope, multi-table key, webhook stream) must follow.
// Names starting with `_boitata_` are Boitatá's own (a table's quarantine, `_boitata_quarantine_<table>`): a sender
// can never write to one, and the processor never creates one from a payload.

export const RESERVED_TABLE_PREFIX = '_boitata_';

// The negative lookahead refuses the reserved prefix in any case (table names are folded to lower case).
export const TABLE_NAME_PATTERN = /^(?![_][Bb][Oo][Ii][Tt][Aa][Tt][Aa]_)[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

export const TABLE_NAME_RULE =
  'a table name is 1-128 characters: letters, digits, "_" or "-", starting with a letter or "_"; names starting with "_boitata_" are reserved';

/** The reason a reserved name is refused, said apart so a sender knows it is the prefix, not the characters. */
export const RESERVED_TABLE_NAME_RULE = 'table names starting with "_boitata_" are reserved for Boitatá\'s own tables (quarantines): choose another name';

export function isValidTableName(name: string): boolean {
  return TABLE_NAME_PATTERN.test(name);
}

export function isReservedTableName(name: string): boolean {
  return name.toLowerCase().startsWith(RESERVED_TABLE_PREFIX);
}
