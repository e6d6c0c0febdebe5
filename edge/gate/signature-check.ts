// A gate's signature check for connections that verify provider webhooks: opens the connection's sealed signing
// secrets once per config load (they stay in the Durable Object's memory only) and verifies a delivery with them.
import { BoitataError } from '../../shared/errors.ts';
import { parseSecretsKey, SecretsKeyring } from '../../shared/secret-box.ts';
import type { HeaderMap, VerifyResult } from '../../shared/webhooks/presets.ts';
import { verifySignature } from '../../shared/webhooks/verify-signature.ts';
import type { EdgeConfig } from '../config.ts';
import type { Verification } from './credential-config.ts';

interface OpenSecret {
  secret: string;
  expiresAt: number | null;
}

export class SignatureCheck {
  private keyring: Promise<SecretsKeyring> | undefined;
  private readonly opened = new WeakMap<Verification, Promise<OpenSecret[]>>();
  private readonly config: Pick<EdgeConfig, 'secretsKey' | 'previousSecretsKey'>;

  constructor(config: Pick<EdgeConfig, 'secretsKey' | 'previousSecretsKey'>) {
    this.config = config;
  }

  /**
   * Verifies a delivery against every secret of the connection valid now (two during a rotation's overlap).
   * Throws a system error (500, logged by the gate) when the secrets cannot be opened: the provider retries then.
   */
  async verify(connectionId: string, verification: Verification, signed: { headers: HeaderMap; body: Uint8Array }, now: number): Promise<VerifyResult> {
    let secrets = this.opened.get(verification);
    if (secrets === undefined) {
      secrets = this.open(connectionId, verification);
      this.opened.set(verification, secrets);
      secrets.catch(() => this.opened.delete(verification));
    }
    const valid = (await secrets).filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.secret);
    if (valid.length === 0) {
      // Every secret expired (an overlap ended with no newer secret): nothing can verify, and the sender must be told.
      return {
        ok: false,
        code: 'signature_invalid',
        message: 'The connection has no valid signing secret: an operator must set one (`boitata connections rotate-secret`).',
      };
    }
    return verifySignature({
      preset: verification.preset,
      options: verification.options,
      secrets: valid,
      headers: signed.headers,
      body: signed.body,
      nowMs: now,
    });
  }

  private async open(connectionId: string, verification: Verification): Promise<OpenSecret[]> {
    const keyring = await this.loadKeyring();
    return Promise.all(
      verification.secrets.map(async (sealed) => ({
        secret: await keyring.open(sealed.keyId, sealed.sealed, connectionId),
        expiresAt: sealed.expiresAt,
      })),
    ).catch((error: unknown) => {
      throw new BoitataError('internal_error', 'A signing secret could not be opened.', { cause: error });
    });
  }

  private loadKeyring(): Promise<SecretsKeyring> {
    this.keyring ??= (async () => {
      const { secretsKey, previousSecretsKey } = this.config;
      if (secretsKey === undefined) {
        throw new BoitataError('internal_error', 'Signing secrets cannot be opened.', {
          cause: new Error('BOITATA_SECRETS_KEY is not set: `wrangler secret put BOITATA_SECRETS_KEY` with the key the CLI sealed the secrets with'),
        });
      }
      const current = await parseSecretsKey(secretsKey);
      const previous = previousSecretsKey === undefined ? undefined : await parseSecretsKey(previousSecretsKey, 'BOITATA_SECRETS_KEY_PREVIOUS');
      return new SecretsKeyring(current, previous);
    })().catch((error: unknown) => {
      this.keyring = undefined;
      throw error instanceof BoitataError ? error : new BoitataError('internal_error', 'Signing secrets cannot be opened.', { cause: error });
    });
    return this.keyring;
  }
}
