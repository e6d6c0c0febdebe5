// The rule every table name from a sender (query, header, envelope, multi-table key, webhook stream) must follow.

export const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

export const TABLE_NAME_RULE = 'a table name is 1-128 characters: letters, digits, "_" or "-", starting with a letter or "_"';

export function isValidTableName(name: string): boolean {
  return TABLE_NAME_PATTERN.test(name);
}
