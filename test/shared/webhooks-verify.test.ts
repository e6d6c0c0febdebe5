// verifySignature against deliveries signed by the providers' own libraries: every preset, every way to fail.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HeaderMap, VerifyPreset, VerifyResult } from '../../shared/webhooks/presets.ts';
import { verifySignature } from '../../shared/webhooks/verify-signature.ts';
import { signers, stripe, type ProviderSigner, type SignedDelivery } from '../support/provider-signers.ts';

const NOW_MS = Date.UTC(2026, 10, 29, 13, 0, 0);
const NOW = NOW_MS / 1000;
// Non-ASCII on purpose: signatures are over UTF-8 bytes, and a verifier that re-encoded the text would break here.
const BODY = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', note: 'São Paulo ✓ 🐍', amount: 2000 });

const encoder = new TextEncoder();

function verify(preset: VerifyPreset, secrets: string[], delivery: SignedDelivery, nowMs = NOW_MS): Promise<VerifyResult> {
  return verifySignature({ preset, options: null, secrets, headers: delivery.headers, body: encoder.encode(delivery.body), nowMs });
}

/** A failure message names what to fix, never a secret, an expected signature or the signature that was sent. */
function expectNoLeak(result: VerifyResult, secrets: string[], delivery: SignedDelivery): void {
  if (result.ok) return;
  for (const secret of secrets) expect(result.message).not.toContain(secret);
  for (const value of Object.values(delivery.headers)) {
    for (const part of value.split(/[ ,=]/)) if (part.length >= 16) expect(result.message).not.toContain(part);
  }
  for (const secret of secrets) {
    const mac = createHmac('sha256', secret).update(delivery.body).digest();
    expect(result.message).not.toContain(mac.toString('hex'));
    expect(result.message).not.toContain(mac.toString('base64'));
  }
  expect(result.message).not.toMatch(/[0-9a-f]{16}/i);
  expect(result.message).not.toMatch(/[A-Za-z0-9+/]{24}/);
}

const presets: Array<[string, VerifyPreset, ProviderSigner]> = [
  ['stripe', 'stripe', signers.stripe],
  ['github', 'github', signers.github],
  ['shopify', 'shopify', signers.shopify],
  ['slack', 'slack', signers.slack],
  ['standard-webhooks (webhook-* headers)', 'standard-webhooks', signers['standard-webhooks']],
  ['standard-webhooks (svix-* headers)', 'standard-webhooks', signers.svix],
];
const TIMED = new Set(['stripe', 'slack', 'standard-webhooks']);

for (const [name, preset, signer] of presets) {
  describe(`verifySignature: ${name}`, () => {
    const secret = signer.newSecret();
    const other = signer.newSecret();

    it('accepts a delivery signed by the provider', async () => {
      expect(await verify(preset, [secret], await signer.sign(secret, BODY, NOW))).toEqual({ ok: true });
    });

    it('refuses a tampered body as signature_invalid', async () => {
      const delivery = await signer.sign(secret, BODY, NOW);
      const tampered = { ...delivery, body: BODY.replace('2000', '2001') };
      const result = await verify(preset, [secret], tampered);
      expect(result).toMatchObject({ ok: false, code: 'signature_invalid' });
      expectNoLeak(result, [secret], tampered);
    });

    it('refuses a delivery signed with another secret as signature_invalid', async () => {
      const delivery = await signer.sign(other, BODY, NOW);
      const result = await verify(preset, [secret], delivery);
      expect(result).toMatchObject({ ok: false, code: 'signature_invalid' });
      expectNoLeak(result, [secret, other], delivery);
    });

    for (const header of signer.signatureHeaders) {
      it(`refuses a delivery without ${header} as signature_missing`, async () => {
        const delivery = await signer.sign(secret, BODY, NOW);
        const { [header]: _dropped, ...headers } = delivery.headers;
        const result = await verify(preset, [secret], { ...delivery, headers });
        expect(result).toMatchObject({ ok: false, code: 'signature_missing' });
        expectNoLeak(result, [secret], delivery);
        const blank = await verify(preset, [secret], { ...delivery, headers: { ...delivery.headers, [header]: '' } });
        expect(blank).toMatchObject({ ok: false, code: 'signature_missing' });
      });
    }

    it('accepts either secret during a rotation overlap, in either order', async () => {
      for (const signedWith of [secret, other]) {
        const delivery = await signer.sign(signedWith, BODY, NOW);
        expect(await verify(preset, [secret, other], delivery)).toEqual({ ok: true });
        expect(await verify(preset, [other, secret], delivery)).toEqual({ ok: true });
      }
    });

    if (TIMED.has(preset)) {
      for (const [label, offset, code] of [
        ['300 s old', -300, null],
        ['300 s ahead', 300, null],
        ['301 s old (stale)', -301, 'timestamp_out_of_tolerance'],
        ['301 s ahead (future)', 301, 'timestamp_out_of_tolerance'],
        ['a day old', -86_400, 'timestamp_out_of_tolerance'],
      ] as const) {
        it(`${code === null ? 'accepts' : 'refuses'} a signature ${label}`, async () => {
          const delivery = await signer.sign(secret, BODY, NOW + offset);
          const result = await verify(preset, [secret], delivery);
          if (code === null) expect(result).toEqual({ ok: true });
          else expect(result).toMatchObject({ ok: false, code });
          expectNoLeak(result, [secret], delivery);
        });
      }
    }
  });
}

describe('verifySignature: timestamps that are not Unix seconds', () => {
  const cases: Array<[string, VerifyPreset, ProviderSigner]> = [
    ['slack', 'slack', signers.slack],
    ['standard-webhooks', 'standard-webhooks', signers['standard-webhooks']],
    ['svix', 'standard-webhooks', signers.svix],
  ];
  for (const [name, preset, signer] of cases) {
    it(`${name}: a non-numeric timestamp header is signature_invalid`, async () => {
      const secret = signer.newSecret();
      const delivery = await signer.sign(secret, BODY, NOW);
      for (const bad of ['yesterday', '1.7e9', '-1', `${NOW} `.repeat(2)]) {
        const headers = { ...delivery.headers, [signer.timestampHeader!]: bad };
        expect(await verify(preset, [secret], { ...delivery, headers })).toMatchObject({ ok: false, code: 'signature_invalid' });
      }
    });
  }

  it('stripe: a non-numeric t= is signature_invalid, a missing t= too', async () => {
    const secret = signers.stripe.newSecret();
    const { headers } = await signers.stripe.sign(secret, BODY, NOW);
    const v1 = headers['stripe-signature']!.split(',')[1]!;
    for (const header of [`t=soon,${v1}`, v1, `t=${NOW},t=${NOW},${v1}`]) {
      expect(await verify('stripe', [secret], { headers: { 'stripe-signature': header }, body: BODY })).toMatchObject({ ok: false, code: 'signature_invalid' });
    }
  });
});

describe('verifySignature: Stripe header forms', () => {
  const secret = signers.stripe.newSecret();
  const other = signers.stripe.newSecret();
  const header = (s: string, scheme?: string) =>
    stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: s, timestamp: NOW, ...(scheme === undefined ? {} : { scheme }) });
  const v = (h: string) => h.split(',')[1]!;
  const verifyHeader = (value: string) => verify('stripe', [secret], { headers: { 'stripe-signature': value }, body: BODY });

  it('accepts several v1 signatures when any one matches (Stripe sends both while an endpoint secret is rolled)', async () => {
    expect(await verifyHeader(`t=${NOW},${v(header(other))},${v(header(secret))}`)).toEqual({ ok: true });
    expect(await verifyHeader(`t=${NOW},${v(header(secret))},${v(header(other))}`)).toEqual({ ok: true });
  });

  it('ignores v0 and unknown schemes', async () => {
    expect(await verifyHeader(`t=${NOW},${v(header(secret, 'v0'))},${v(header(secret))},v9=zz`)).toEqual({ ok: true });
    expect(await verifyHeader(`t=${NOW},${v(header(secret, 'v0'))}`)).toMatchObject({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a garbled header as signature_invalid', async () => {
    for (const garbled of ['garbage', 't=', `t=${NOW},v1=`, `t=${NOW},v1=not-hex`, `t=${NOW},v1=abcd`]) {
      const result = await verifyHeader(garbled);
      expect(result, garbled).toMatchObject({ ok: false, code: 'signature_invalid' });
    }
  });

  it('bounds the signatures a header may offer', async () => {
    const many = Array.from({ length: 17 }, () => v(header(other))).join(',');
    expect(await verifyHeader(`t=${NOW},${many},${v(header(secret))}`)).toMatchObject({ ok: false, code: 'signature_invalid' });
  });
});

describe('verifySignature: Standard Webhooks header forms', () => {
  const signer = signers['standard-webhooks'];
  const secret = signer.newSecret();
  const other = signer.newSecret();

  it('accepts several space-separated signatures and ignores other versions', async () => {
    const good = await signer.sign(secret, BODY, NOW);
    const id = good.headers['webhook-id']!;
    const wrong = new (await import('standardwebhooks')).Webhook(other).sign(id, new Date(NOW * 1000), BODY);
    const mixed = `v1a,abcd ${wrong} v2,${good.headers['webhook-signature']!.slice(3)} ${good.headers['webhook-signature']}`;
    expect(await verify('standard-webhooks', [secret], { ...good, headers: { ...good.headers, 'webhook-signature': mixed } })).toEqual({ ok: true });
    const onlyOthers = `v2,${good.headers['webhook-signature']!.slice(3)} ${wrong}`;
    expect(await verify('standard-webhooks', [secret], { ...good, headers: { ...good.headers, 'webhook-signature': onlyOthers } })).toMatchObject({
      ok: false,
      code: 'signature_invalid',
    });
  });

  it('accepts the secret without its whsec_ prefix (bare base64)', async () => {
    const delivery = await signer.sign(secret, BODY, NOW);
    expect(await verify('standard-webhooks', [secret.slice('whsec_'.length)], delivery)).toEqual({ ok: true });
  });

  it('the id is signed: another webhook-id is signature_invalid', async () => {
    const delivery = await signer.sign(secret, BODY, NOW);
    const headers = { ...delivery.headers, 'webhook-id': 'msg_other' };
    expect(await verify('standard-webhooks', [secret], { ...delivery, headers })).toMatchObject({ ok: false, code: 'signature_invalid' });
  });

  it('a secret that is not base64 cannot verify, and says so without quoting it', async () => {
    const delivery = await signer.sign(secret, BODY, NOW);
    const result = await verify('standard-webhooks', ['whsec_not base64!'], delivery);
    expect(result).toMatchObject({ ok: false, code: 'signature_invalid' });
    if (!result.ok) expect(result.message).not.toContain('not base64!');
  });
});

describe('verifySignature: GitHub, Shopify and the generic preset', () => {
  it('github: only the SHA-1 X-Hub-Signature is signature_missing (the SHA-256 header is required)', async () => {
    const secret = signers.github.newSecret();
    const sha1 = `sha1=${createHmac('sha1', secret).update(BODY).digest('hex')}`;
    expect(await verify('github', [secret], { headers: { 'x-hub-signature': sha1 }, body: BODY })).toMatchObject({ ok: false, code: 'signature_missing' });
  });

  it('github: a form-encoded delivery is verified over the raw form bytes', async () => {
    const secret = signers.github.newSecret();
    const form = `payload=${encodeURIComponent(BODY)}`;
    expect(await verify('github', [secret], await signers.github.sign(secret, form, NOW))).toEqual({ ok: true });
  });

  it('github: a header without sha256= is signature_invalid', async () => {
    const secret = signers.github.newSecret();
    const { headers } = await signers.github.sign(secret, BODY, NOW);
    const bare = headers['x-hub-signature-256']!.slice('sha256='.length);
    expect(await verify('github', [secret], { headers: { 'x-hub-signature-256': bare }, body: BODY })).toMatchObject({ ok: false, code: 'signature_invalid' });
  });

  it('github: a 25 MiB body verifies, and one changed byte in it does not', async () => {
    const secret = signers.github.newSecret();
    const body = new Uint8Array(25 * 1024 * 1024).fill(0x61);
    const headers: HeaderMap = { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
    expect(await verifySignature({ preset: 'github', options: null, secrets: [secret], headers, body, nowMs: NOW_MS })).toEqual({ ok: true });
    body[body.length - 1] = 0x62;
    expect(await verifySignature({ preset: 'github', options: null, secrets: [secret], headers, body, nowMs: NOW_MS })).toMatchObject({
      ok: false,
      code: 'signature_invalid',
    });
  });

  it('shopify: the un-prefixed Shopify-Hmac-Sha256 of event subscriptions verifies too', async () => {
    const secret = signers.shopify.newSecret();
    const { headers } = await signers.shopify.sign(secret, BODY, NOW);
    expect(await verify('shopify', [secret], { headers: { 'shopify-hmac-sha256': headers['x-shopify-hmac-sha256']! }, body: BODY })).toEqual({ ok: true });
  });

  const generic: Array<[string, { header: string; encoding: 'hex' | 'base64'; prefix: string }, (mac: Buffer) => string]> = [
    ['hex with a prefix', { header: 'x-signature', encoding: 'hex', prefix: 'sha256=' }, (mac) => `sha256=${mac.toString('hex')}`],
    ['hex, upper case', { header: 'x-signature', encoding: 'hex', prefix: '' }, (mac) => mac.toString('hex').toUpperCase()],
    ['base64 without a prefix', { header: 'x-webhook-signature', encoding: 'base64', prefix: '' }, (mac) => mac.toString('base64')],
  ];
  for (const [name, options, render] of generic) {
    it(`hmac-sha256: ${name}`, async () => {
      const secret = 'generic-secret-0123456789';
      const mac = createHmac('sha256', secret).update(BODY).digest();
      const run = (headers: HeaderMap, body = BODY, secrets = [secret]) =>
        verifySignature({ preset: 'hmac-sha256', options, secrets, headers, body: encoder.encode(body), nowMs: NOW_MS });
      expect(await run({ [options.header]: render(mac) })).toEqual({ ok: true });
      expect(await run({ [options.header]: render(mac) }, `${BODY} `)).toMatchObject({ ok: false, code: 'signature_invalid' });
      expect(await run({ [options.header]: render(mac) }, BODY, ['another'])).toMatchObject({ ok: false, code: 'signature_invalid' });
      expect(await run({})).toMatchObject({ ok: false, code: 'signature_missing' });
      expect(await run({ [options.header]: `x${render(mac)}` })).toMatchObject({ ok: false, code: 'signature_invalid' });
    });
  }

  it('hmac-sha256 without settings, or a connection without a usable secret, is signature_invalid (not a throw)', async () => {
    const body = encoder.encode(BODY);
    expect(
      await verifySignature({ preset: 'hmac-sha256', options: null, secrets: ['s'], headers: { 'x-signature': 'ab' }, body, nowMs: NOW_MS }),
    ).toMatchObject({ ok: false, code: 'signature_invalid' });
    const { headers } = await signers.github.sign('s', BODY, NOW);
    expect(await verifySignature({ preset: 'github', options: null, secrets: [], headers, body, nowMs: NOW_MS })).toMatchObject({
      ok: false,
      code: 'signature_invalid',
    });
    expect(await verifySignature({ preset: 'github', options: null, secrets: [''], headers, body, nowMs: NOW_MS })).toMatchObject({
      ok: false,
      code: 'signature_invalid',
    });
  });
});
