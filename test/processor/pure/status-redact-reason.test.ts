// Pure: dead-letter reasons lose every value they quote before the status page shows them.
import { describe, expect, it } from 'vitest';
import { REDACTED, redactReason } from '../../../shared/redact-reason.ts';

const R = REDACTED;

describe('redactReason', () => {
  it.each([
    [
      'Trino cast error quoting an e-mail',
      "orders: Trino INVALID_CAST_ARGUMENT: Cannot cast 'maria.silva@example.com' to bigint",
      `orders: Trino INVALID_CAST_ARGUMENT: Cannot cast '${R}' to bigint`,
    ],
    [
      'DuckDB conversion error quoting a phone',
      'Conversion Error: Could not convert string "+55 11 98765-4321" to INT64',
      `Conversion Error: Could not convert string "${R}" to INT64`,
    ],
    ['SQL-escaped quote inside the literal', "Cannot cast 'O''Brien' to date", `Cannot cast '${R}' to date`],
    ['unescaped apostrophe inside the literal', "Cannot cast 'O'Brien' to date", `Cannot cast '${R}' to date`],
    ['prefixed literal', "Cannot cast N'segredo' to integer", `Cannot cast N'${R}' to integer`],
    ['escaped double quotes', 'value "a \\"quoted\\" name" refused', `value "${R}" refused`],
    ['backticks', 'unknown value `4111111111111111`', `unknown value \`${R}\``],
    ['empty literal', "Cannot cast '' to bigint", `Cannot cast '${R}' to bigint`],
    ['a literal left open runs to the end', "Cannot cast 'maria@exa", `Cannot cast '${R}`],
    ['unquoted e-mail', 'bad value maria@example.com in field contact', `bad value ${R} in field contact`],
    ['URL with credentials', 'connect to https://user:hunter2@db.example.com failed', `connect to ${R} failed`],
    ['unquoted phone with separators', 'phone +55 (11) 98765-4321 rejected', `phone ${R} rejected`],
    ['card number in groups', 'card 4111 1111 1111 1111 declined', `card ${R} declined`],
    ['a date', '1990-04-23 is not a timestamp', `${R} is not a timestamp`],
    ['a long number', '12345678901234567890 is out of range for bigint', `${R} is out of range for bigint`],
    ['a secret-looking token', 'token bt_ik_AbCdEf0123456789abcdefGHIJKLmnopqrstuvwxyz0 leaked', `token ${R} leaked`],
  ])('%s', (_name, input, expected) => expect(redactReason(input)).toBe(expected));

  it.each([
    "The stored message doesn't match its recorded format: payload must be an array.",
    'failed 3 times; last error: line 1:45: mismatched input',
    'events: column amount is decimal(10,2), value is varchar',
    'Trino statement did not finish within 120 ms; cancelled',
  ])('keeps text without values: %s', (reason) => expect(redactReason(reason)).toBe(reason));

  it('puts the reason on one line and bounds its length', () => {
    expect(redactReason('first line\n\tsecond\u0000line')).toBe('first line second line');
    const long = redactReason('x '.repeat(1000), 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith('…')).toBe(true);
  });

  it('never lets a seeded value through, whatever surrounds it', () => {
    const secrets = ['maria.silva@example.com', '98765-4321', "O'Brien", '4111111111111111'];
    for (const secret of secrets) {
      for (const wrap of [(s: string) => `'${s}'`, (s: string) => `"${s}"`, (s: string) => `value=${s};`, (s: string) => `(${s})`]) {
        const out = redactReason(`orders: Cannot cast ${wrap(secret)} to bigint`);
        expect(out, out).not.toContain(secret.replace(/^O'/, ''));
      }
    }
  });
});
