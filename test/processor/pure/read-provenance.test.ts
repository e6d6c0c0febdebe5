// Pure: a queued message's provider provenance (the edge's jsonb) read into the reserved columns' values, defensively.
import { describe, expect, it } from 'vitest';
import { readProvenance } from '../../../processor/normalize/read-provenance.ts';
import { toLoadRow } from '../../../processor/schema/load-row.ts';
import type { StoredMessage } from '../../../processor/queue/stored-message.ts';
import { storedMessage } from './support/stored-message.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';

const NONE = { provider: null, deliveryId: null, eventType: null, providerTimestamp: null, shopDomain: null, hookId: null };

describe('readProvenance', () => {
  it('reads what the edge records, with the timestamp in canonical form', () => {
    expect(
      readProvenance({
        provider: 'stripe',
        delivery_id: 'evt_1',
        event_type: 'payment_intent.succeeded',
        provider_timestamp: '2026-11-29T13:00:00.000Z',
        shop_domain: null,
        hook_id: null,
      }),
    ).toEqual({
      provider: 'stripe',
      deliveryId: 'evt_1',
      eventType: 'payment_intent.succeeded',
      providerTimestamp: '2026-11-29 13:00:00.000000 +00:00',
      shopDomain: null,
      hookId: null,
    });
    expect(readProvenance({ provider: 'github', delivery_id: 'd', event_type: 'push', hook_id: '42' })).toEqual({
      ...NONE,
      provider: 'github',
      deliveryId: 'd',
      eventType: 'push',
      hookId: '42',
    });
  });

  it('is null for a message that is not a provider delivery', () => {
    expect(readProvenance(null)).toBeNull();
    expect(readProvenance(undefined)).toBeNull();
  });

  it.each([
    ['a string', 'stripe'],
    ['a number', 7],
    ['an array', [{ provider: 'stripe' }]],
    ['a boolean', true],
  ])('gives no values for a provenance that is %s', (_name, stored) => expect(readProvenance(stored)).toBeNull());

  it('keeps each readable value and makes each unreadable one null, on its own', () => {
    expect(
      readProvenance({
        provider: 12,
        delivery_id: { id: 'evt' },
        event_type: '',
        provider_timestamp: 'yesterday',
        shop_domain: 'x'.repeat(1025),
        hook_id: 292430182,
      }),
    ).toEqual({ ...NONE, hookId: '292430182' });
    expect(readProvenance({ providerTimestamp: '2026-11-29T13:00:00Z', deliveryId: 'evt_1' })).toEqual(NONE); // camelCase is not the queue's shape
    expect(readProvenance({})).toEqual(NONE);
  });

  it.each([
    ['2026-11-29T13:00:00Z', '2026-11-29 13:00:00.000000 +00:00'],
    ['2026-11-29T13:00:00.1234567+05:30', '2026-11-29 13:00:00.123456 +05:30'],
    ['2026-11-29 13:00-0300', '2026-11-29 13:00:00.000000 -03:00'],
    ['2024-02-29T00:00:00Z', '2024-02-29 00:00:00.000000 +00:00'],
    // What the timestamp column would refuse, failing the batch: null instead.
    ['2026-02-30T13:00:00Z', null],
    ['2026-11-29T24:00:00Z', null],
    ['2026-11-29T23:59:60Z', null],
    ['2026-11-29T13:00:00+25:00', null],
    ['2026-11-29T13:00:00', null], // no offset: which instant is unknown
    ['2026-11-29', null],
    ['1764421200', null],
    [1764421200, null],
    ['+022026-11-29T13:00:00Z', null],
  ])('reads the provider timestamp %j as %j', (stored, expected) => {
    expect(readProvenance({ provider_timestamp: stored })?.providerTimestamp).toBe(expected);
  });
});

describe('toLoadRow', () => {
  const schema = { ref: { catalog: 'c', schema: 's', table: 't' }, columns: new Map(), aliases: new Map(), version: 1, provenance: true };
  const hasher = new PiiHasher('hmac', Buffer.from('k'.repeat(32)));
  const message = (provenance: StoredMessage['provenance']) => storedMessage({ payloadFormat: 'object', targetTable: 't', provenance });

  it("gives every row of the message its provenance, and none to a plain message's", () => {
    const provenance = readProvenance({ provider: 'slack', delivery_id: 'Ev1', event_type: 'app_mention' });
    for (const rowId of [0, 1]) expect(toLoadRow(message(provenance), rowId, new Map(), [], schema, hasher).provenance).toEqual(provenance);
    expect(toLoadRow(message(null), 0, new Map(), [], schema, hasher).provenance).toBeNull();
  });
});
