// A signed sample delivery per preset, as the provider would send it: for `boitata connections test-delivery` and the
// bench only. Tests never take it as the source of truth; they sign with the providers' own libraries.
import { toBase64, toHex } from '../bytes.ts';
import { hmacSha256, utf8Bytes } from './encoding.ts';
import type { GenericHmacOptions, VerifyPreset } from './presets.ts';
import { sampleEvent } from './sample-events.ts';
import { signingKeyBytes, signingSecretProblem } from './signing-secret.ts';

export interface SampleDeliveryArgs {
  preset: VerifyPreset;
  /** Required for `hmac-sha256`. */
  options: GenericHmacOptions | null;
  secret: string;
  nowMs: number;
  /** A body to sign instead of the preset's sample event (sent as is, so it should be the provider's JSON). */
  body?: string;
}

export interface SampleDelivery {
  /** Lower-case names, as the edge's HeaderMap has them. */
  headers: Record<string, string>;
  body: string;
}

export async function sampleDelivery(args: SampleDeliveryArgs): Promise<SampleDelivery> {
  const key = signingKeyBytes(args.preset, args.secret);
  if (key === null) throw new Error(`cannot sign a sample ${args.preset} delivery: ${signingSecretProblem(args.preset, args.secret)}`);
  const t = String(Math.floor(args.nowMs / 1000));
  const sample = sampleEvent(args.preset, Number(t));
  const body = args.body ?? JSON.stringify(sample.body);
  const bodyBytes = utf8Bytes(body);
  const mac = (prefix: string) => hmacSha256(key, prefix === '' ? bodyBytes : utf8Bytes(prefix + body));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...sample.headers };

  switch (args.preset) {
    case 'stripe':
      headers['stripe-signature'] = `t=${t},v1=${toHex(await mac(`${t}.`))}`;
      break;
    case 'github':
      headers['x-hub-signature-256'] = `sha256=${toHex(await mac(''))}`;
      break;
    case 'shopify':
      headers['x-shopify-hmac-sha256'] = toBase64(await mac(''));
      break;
    case 'slack':
      headers['x-slack-request-timestamp'] = t;
      headers['x-slack-signature'] = `v0=${toHex(await mac(`v0:${t}:`))}`;
      break;
    case 'standard-webhooks':
      headers['webhook-id'] = sample.deliveryId;
      headers['webhook-timestamp'] = t;
      headers['webhook-signature'] = `v1,${toBase64(await mac(`${sample.deliveryId}.${t}.`))}`;
      break;
    case 'hmac-sha256': {
      if (args.options === null) throw new Error('cannot sign a sample hmac-sha256 delivery without the header settings');
      const signature = await mac('');
      headers[args.options.header.toLowerCase()] = args.options.prefix + (args.options.encoding === 'hex' ? toHex(signature) : toBase64(signature));
      break;
    }
  }
  return { headers, body };
}
