// The signature headers a provider sends, by preset, for the edge and end-to-end tests: made by the providers' own
// libraries (test/support/provider-signers.ts), never by our signer (shared/webhooks/sample-delivery.ts), so a test
// fails if our verification drifts from the providers'.
import { createHmac } from 'node:crypto';
import type { GenericHmacOptions, VerifyPreset } from '../../shared/webhooks/presets.ts';
import { signers } from './provider-signers.ts';

export interface SignOptions {
  /** Unix seconds the signature claims (defaults to now). */
  timestamp?: number;
  /** webhook-id / svix-id. */
  id?: string;
  /** Standard Webhooks under the svix-* header names, signed by the svix library. */
  svix?: boolean;
  /** The generic preset's settings. */
  generic?: GenericHmacOptions;
}

export async function providerSignature(preset: VerifyPreset, secret: string, payload: string, options: SignOptions = {}): Promise<Record<string, string>> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (preset === 'hmac-sha256') {
    const generic = options.generic ?? { header: 'x-signature', encoding: 'hex', prefix: '' };
    return { [generic.header]: generic.prefix + createHmac('sha256', secret).update(payload, 'utf8').digest(generic.encoding) };
  }
  const signer = signers[preset === 'standard-webhooks' && options.svix === true ? 'svix' : preset];
  return (await signer.sign(secret, payload, timestamp, options.id)).headers;
}

/** A signing secret shaped as the provider issues it. */
export function providerSecret(preset: VerifyPreset): string {
  return preset === 'hmac-sha256' ? signers.github.newSecret() : signers[preset].newSecret();
}
