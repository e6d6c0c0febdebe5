// A queue message as the processor claimed it, and the error that sends one to the dead letters for good.
import type { PayloadFormat } from '../../shared/push-format.ts';
import type { Endpoint } from '../../shared/queue-message.ts';
import type { MessageProvenance } from '../normalize/read-provenance.ts';

export interface StoredMessage {
  queueId: string;
  messageId: string;
  tenantId: string;
  endpoint: Endpoint;
  payloadFormat: PayloadFormat;
  targetTable: string | null;
  itemKey: string | null;
  payload: unknown;
  receivedAt: string;
  /** how many times this message was claimed (more than once: check the table before writing) */
  attempts: number;
  /** how many of those claims failed for a reason that counts towards PROCESSOR_MAX_ATTEMPTS */
  failures: number;
  /**
   * an operator re-drove it (`boitata messages redrive`): its rows replace their earlier versions, found by (message
   * id, row id), instead of being skipped as already landed; false again once it is acknowledged
   */
  redrive: boolean;
  /** an erasure rewrote its payload: rows holding an erasure marker are its subject's and never land */
  erased: boolean;
  /** what the edge verified, not what the payload claims: `connection:<uuid>` or `api_key:<uuid>` */
  credential: string;
  /** the source an events API key is bound to (the key proved it); null for every other credential */
  sourceId: string | null;
  /** what a verified provider delivery said about itself (read-provenance.ts); null for every other message */
  provenance: MessageProvenance | null;
}

/** A message that can never load as it is (a permanent failure): it goes to the dead letters with its code. */
export class UnloadableMessageError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'UnloadableMessageError';
    this.code = code;
  }
}
