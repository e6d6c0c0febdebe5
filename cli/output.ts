// How the CLI prints: JSON for scripts (--json), readable lines for people; secrets only in the one creation answer.
// Much of what it prints was written by a sender (field names, table names, idempotency keys, item key fields) or
// read from a warehouse: no control character of it reaches the terminal, where ESC ] 0; … BEL would set the
// window title and other sequences worse. Each is shown as its \uXXXX escape instead.

export interface Output {
  json: boolean;
  print(value: unknown, text: () => string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    print(value, text) {
      process.stdout.write(json ? `${escapeJsonControls(JSON.stringify(value, null, 2))}\n` : `${printableLines(text())}\n`);
    },
  };
}

// C0 controls, DEL and C1 controls (0x9B alone is CSI to a terminal reading 8-bit controls).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const escape = (character: string) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line (a cell, a value) with every control character, newlines and tabs included, as its \uXXXX escape. */
export function printable(text: string): string {
  return text.replace(CONTROL, escape);
}

/** Text of several lines: each line made printable, the line breaks kept. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** JSON.stringify escapes C0 controls itself; DEL and C1 it leaves raw. Their escapes are the same JSON value. */
function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, escape);
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (value: unknown) =>
    printable(
      value === null || value === undefined ? '-' : value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(',') || '-' : String(value),
    );
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => cell(row[column]))))].join('\n');
}
