// `boitata connections test-delivery`: POSTs a signed sample delivery to a push URL, as the provider would, and reports
// what the edge answered.
import { deliveryFacts } from '../shared/webhooks/delivery-facts.ts';
import type { GenericHmacOptions, VerifyPreset } from '../shared/webhooks/presets.ts';
import { sampleDelivery } from '../shared/webhooks/sample-delivery.ts';

export interface TestDeliveryArgs {
  /** The connection's push URL, `…/v1/ingest/push/{ingestToken}`. */
  url: string;
  preset: VerifyPreset;
  options: GenericHmacOptions | null;
  secret: string;
  fetchImpl?: typeof fetch;
  /** Your own event to sign and send instead of the preset's sample. */
  body?: string;
}

export interface TestDeliveryOutcome {
  status: number;
  /** The edge's answer, as text. */
  body: string;
  /** The provider delivery id the edge will deduplicate on (null for the generic preset). */
  deliveryId: string | null;
  /** The edge's response headers (e.g. `idempotent-replayed`), lower-case names. */
  headers: Record<string, string>;
}

export async function sendTestDelivery(args: TestDeliveryArgs): Promise<TestDeliveryOutcome> {
  const delivery = await sampleDelivery({
    preset: args.preset,
    options: args.options,
    secret: args.secret,
    nowMs: Date.now(),
    ...(args.body === undefined ? {} : { body: args.body }),
  });
  const response = await (args.fetchImpl ?? fetch)(args.url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    status: response.status,
    body: await response.text(),
    deliveryId: deliveryFacts(args.preset, delivery.headers, parseJson(delivery.body)).deliveryId,
    headers,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
