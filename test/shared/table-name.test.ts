// Pure: the table-name rule every sender's name follows — names starting with `_boitata_` (in any case) are reserved
// for Boitatá's own tables (quarantines) and refused with a message saying so, wherever a table is named.
import { describe, expect, it } from 'vitest';
import { BoitataError } from '../../shared/errors.ts';
import { assertTableName, detectPushPayload } from '../../shared/push-format.ts';
import { isReservedTableName, isValidTableName, RESERVED_TABLE_NAME_RULE } from '../../shared/table-name.ts';

function refusal(run: () => unknown): { code: string; message: string; problems: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof BoitataError) return { code: error.code, message: error.message, problems: error.problems };
    throw error;
  }
  throw new Error('accepted');
}

describe('reserved table names', () => {
  it.each(['_boitata_quarantine_orders', '_BOITATA_x', '_Boitata_', '_boitata_orders'])('%s is reserved and not a valid table name', (name) => {
    expect(isReservedTableName(name)).toBe(true);
    expect(isValidTableName(name)).toBe(false);
  });

  it.each(['boitata_orders', '_boitataorders', '__boitata_x', 'orders_boitata_', '_orders'])('%s is an ordinary name', (name) => {
    expect(isReservedTableName(name)).toBe(false);
    expect(isValidTableName(name)).toBe(true);
  });

  it('the refusal says the prefix is reserved: ?table=, an envelope, a multi-table key, a webhook stream', () => {
    const reserved = {
      code: 'invalid_payload',
      message: 'Invalid table name "_boitata_quarantine_orders".',
      problems: [{ path: 'table', message: RESERVED_TABLE_NAME_RULE }],
    };
    expect(refusal(() => detectPushPayload([{ a: 1 }], '_boitata_quarantine_orders'))).toEqual(reserved);
    expect(refusal(() => detectPushPayload({ table: '_boitata_quarantine_orders', rows: [{ a: 1 }] }, undefined))).toEqual(reserved);
    expect(refusal(() => assertTableName('_boitata_quarantine_orders', 'table'))).toEqual(reserved);
    expect(refusal(() => detectPushPayload({ orders: [{ a: 1 }], _boitata_quarantine_orders: [{ a: 1 }] }, undefined))).toEqual({
      code: 'invalid_payload',
      message: 'A multi-table payload is keyed by table names.',
      problems: [{ path: '_boitata_quarantine_orders', message: RESERVED_TABLE_NAME_RULE }],
    });
    expect(RESERVED_TABLE_NAME_RULE).toContain('"_boitata_"');
  });
});
