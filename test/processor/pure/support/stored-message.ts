// A claimed queue message for pure tests: a plain push of one array, with what a test cares about overridden.
import type { StoredMessage } from '../../../../processor/queue/stored-message.ts';

export function storedMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    queueId: '1',
    messageId: 'm',
    tenantId: 't',
    endpoint: 'push',
    payloadFormat: 'array',
    targetTable: 'x',
    itemKey: null,
    payload: null,
    receivedAt: '2026-06-12T10:00:00Z',
    attempts: 1,
    failures: 0,
    redrive: false,
    erased: false,
    credential: 'connection:c',
    sourceId: null,
    provenance: null,
    ...overrides,
  };
}
