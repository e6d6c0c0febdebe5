// `boitata connections …`: create, list, change and revoke connections, with their provider verification and
// signing secrets (read from a file or standard input, sealed, never printed), and send a signed test delivery.
import type pg from 'pg';
import { visiblePrefix } from '../shared/credential-format.ts';
import type { SecretsKeyring } from '../shared/secret-box.ts';
import type { GenericHmacOptions, VerifyPreset } from '../shared/webhooks/presets.ts';
import { optionalInt, parseDuration, readSigningSecret, required, UsageError, type Values } from './arguments.ts';
import { recordCliAudit } from './cli-audit.ts';
import { table, type Output } from './output.ts';
import { addConnection, listConnections, revokeConnection, updateConnection, type ConnectionInfo } from './connections.ts';
import { ProvisionError } from './provision-error.ts';
import { rotateSigningSecret } from './signing-secrets.ts';
import { checkSigningSecret, checkVerifySetting, verifiedHeaders, type VerifySetting } from './verify-settings.ts';

const DEFAULT_OVERLAP_SECONDS = 86_400;

/** Where each provider takes the URL and shows the signing secret. */
const WHERE_TO_PASTE: Record<VerifyPreset, string> = {
  stripe: 'Stripe: Developers → Webhooks → Add endpoint (its signing secret is the whsec_… you gave)',
  github: 'GitHub: Settings → Webhooks → Add webhook, as the Payload URL (either content type), with the same Secret',
  shopify: "Shopify: Settings → Notifications → Webhooks (or the app's webhook subscriptions), signed with the secret you gave",
  slack: 'Slack: your app → Event Subscriptions → Request URL (the Signing Secret is under Basic Information)',
  'standard-webhooks': "the sender's webhook settings (Svix, Clerk, Resend, …) as the endpoint URL",
  'hmac-sha256': "the sender's webhook settings as the endpoint URL",
};

export async function runConnectionCommand(
  db: pg.Pool,
  out: Output,
  action: string | undefined,
  rest: string[],
  values: Values,
  keyring: () => Promise<SecretsKeyring>,
): Promise<void> {
  switch (action) {
    case 'add':
      return addConnectionCommand(db, out, values, keyring);
    case 'list': {
      const connections = await listConnections(db, values.tenant ? { tenant: values.tenant } : {});
      return out.print(connections, () =>
        table(connections as never, [
          'id',
          'tenant_id',
          'name',
          'token_prefix',
          'default_table',
          'rate_limit_per_minute',
          'allowed_ips',
          'verify_preset',
          'signing_secrets',
          'signing_secret_next_expiry',
          'max_body_bytes',
          'revoked_at',
        ]),
      );
    }
    case 'update':
      return updateConnectionCommand(db, out, rest, values, keyring);
    case 'rotate-secret':
      return rotateSecretCommand(db, out, rest, values, keyring);
    case 'revoke': {
      const connection = await revokeConnection(db, required(rest[0], 'connection id'));
      await recordCliAudit(db, values, 'connection.revoke', connection.tenant_id, { connection_id: connection.id, name: connection.name });
      return out.print(connection, () => `Revoked connection ${connection.id}; the edge refuses its token within GATE_CONFIG_TTL_SECONDS (default 30 s).`);
    }
    default:
      throw new UsageError(`unknown command "connections ${action ?? ''}" (see boitata --help)`);
  }
}

/** `connections add`: prints the token once, and for a provider webhook where to paste its URL. */
async function addConnectionCommand(db: pg.Pool, out: Output, values: Values, keyring: () => Promise<SecretsKeyring>): Promise<void> {
  const verify = verifyFromValues(values);
  if (verify === 'none') throw new UsageError('--verify none is for `connections update`: a new connection verifies nothing unless --verify names a preset');
  const tenant = required(values.tenant, '--tenant');
  const name = required(values.name, '--name');
  const signingSecret = await readSigningSecret(values);
  const { connection, token } = await addConnection(
    db,
    {
      tenant,
      name,
      table: values.table,
      allowedIps: values['allowed-ips']?.split(',').filter((s) => s.trim() !== ''),
      rateLimitPerMinute: optionalInt(values['rate-limit'], '--rate-limit'),
      verify,
      signingSecret,
      maxBodyBytes: optionalInt(values['max-body-bytes'], '--max-body-bytes'),
    },
    signingSecret === undefined ? undefined : await keyring(),
  );
  await recordCliAudit(db, values, 'connection.create', connection.tenant_id, {
    ...connectionSettings(connection),
    signing_secret: signingSecret === undefined ? 'none' : 'added',
  });
  const preset = connection.verify_preset;
  const verified = preset === null ? null : verifiedHeaders(preset, connection.verify_options);
  return out.print({ ...connection, token, ...(verified === null ? {} : { push_path: `/v1/ingest/push/${token}`, verified_headers: verified }) }, () =>
    preset === null ? plainAddText(connection, token) : presetAddText(connection, preset, token),
  );
}

/** `connections update <id>`: `none` clears the allowlist, the default table or verification; `default` the body limit. */
async function updateConnectionCommand(db: pg.Pool, out: Output, rest: string[], values: Values, keyring: () => Promise<SecretsKeyring>): Promise<void> {
  const allowed = values['allowed-ips'];
  const maxBody = values['max-body-bytes'];
  const signingSecret = await readSigningSecret(values);
  const connection = await updateConnection(
    db,
    required(rest[0], 'connection id'),
    {
      allowedIps: allowed === undefined ? undefined : allowed === 'none' ? [] : allowed.split(',').filter((s) => s.trim() !== ''),
      rateLimitPerMinute: optionalInt(values['rate-limit'], '--rate-limit'),
      table: values.table === undefined ? undefined : values.table === 'none' ? null : values.table,
      verify: verifyFromValues(values),
      signingSecret,
      maxBodyBytes: maxBody === 'default' ? null : optionalInt(maxBody, '--max-body-bytes'),
    },
    signingSecret === undefined ? undefined : await keyring(),
  );
  const verify = values.verify;
  await recordCliAudit(db, values, 'connection.update', connection.tenant_id, {
    ...connectionSettings(connection),
    changed: CHANGE_FLAGS.filter((flag) => values[flag] !== undefined).map((flag) => `--${flag}`),
    signing_secret: signingSecret !== undefined ? 'replaced' : verify === 'none' ? 'removed' : 'unchanged',
  });
  return out.print(
    connection,
    () =>
      `Updated connection ${connection.id}: rate limit ${connection.rate_limit_per_minute}/min, default table ${connection.default_table ?? '-'}, ` +
      `allowed IPs ${connection.allowed_ips.join(',') || 'any'}, ${verificationSummary(connection)}, ` +
      `body limit ${connection.max_body_bytes ?? 'default (1048576)'} bytes. Gates apply it within GATE_CONFIG_TTL_SECONDS (default 30 s).`,
  );
}

/** `connections rotate-secret`: the new signing secret verifies now, the previous ones until the overlap ends. */
async function rotateSecretCommand(db: pg.Pool, out: Output, rest: string[], values: Values, keyring: () => Promise<SecretsKeyring>): Promise<void> {
  const id = required(values.id ?? rest[0], '--id');
  const secret = await readSigningSecret(values);
  if (secret === undefined)
    throw new UsageError('rotate-secret needs the new secret: --signing-secret-file F, or --signing-secret - to read it from standard input');
  const overlap = values.overlap === undefined ? DEFAULT_OVERLAP_SECONDS : parseDuration(values.overlap, '--overlap');
  const rotated = await rotateSigningSecret(db, id, secret, overlap, await keyring());
  const [connection] = await listConnections(db, { id });
  await recordCliAudit(db, values, 'signing_secret.rotate', connection?.tenant_id ?? null, {
    connection_id: id,
    secret_id: rotated.secret_id,
    overlap_seconds: overlap,
    previous: rotated.previous,
    previous_expires_at: rotated.previous_expires_at,
  });
  return out.print(
    rotated,
    () =>
      `Stored the new signing secret of connection ${id} (encrypted; not shown). ` +
      (rotated.previous === 0
        ? 'There was no previous secret: only the new one verifies.'
        : `The previous ${rotated.previous === 1 ? 'secret verifies' : `${rotated.previous} secrets verify`} until ${rotated.previous_expires_at?.toISOString()}, ` +
          'the new one from now (gates reload within GATE_CONFIG_TTL_SECONDS): switch the provider to the new secret before then.'),
  );
}

/** `connections test-delivery`: signs a sample event as the preset's provider would and posts it (no database). */
export async function runTestDelivery(values: Values, out: Output): Promise<number> {
  const url = required(values.url, '--url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError("--url must be the connection's push URL, http(s)://EDGE/v1/ingest/push/TOKEN");
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError('--url must be an http:// or https:// URL');
  const verify = verifyFromValues(values);
  if (verify === undefined || verify === 'none') throw new UsageError('test-delivery needs --verify PRESET: the signature scheme to sign with');
  const { preset, options } = checkVerifySetting(verify);
  const secret = checkSigningSecret((await readSigningSecret(values)) ?? required(undefined, '--signing-secret-file F (or --signing-secret -)'), preset);
  const { sendTestDelivery } = await import('./test-delivery.ts');
  const result = await sendTestDelivery({ url, preset, options, secret }).catch((error: Error) => {
    // fetch's own message ("fetch failed") says nothing: its cause does (refused, DNS, TLS) — without the token.
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    throw new ProvisionError(`could not reach ${redactPushUrl(parsed)}: ${cause}. Is the edge running at that address?`);
  });
  const ok = result.status >= 200 && result.status < 300;
  out.print({ status: result.status, delivery_id: result.deliveryId, headers: result.headers, body: result.body }, () =>
    [
      `Sent a signed ${preset} test delivery${result.deliveryId === null ? '' : ` (delivery id ${result.deliveryId})`} to ${redactPushUrl(parsed)}: ${result.status}`,
      ...(result.headers['idempotent-replayed'] === 'true' ? ['Idempotent-Replayed: true (this delivery id was already accepted)'] : []),
      result.body,
    ].join('\n'),
  );
  return ok ? 0 : 1;
}

/** The options `connections update` changes (an audit entry names them; the signing secret itself never). */
const CHANGE_FLAGS = ['allowed-ips', 'rate-limit', 'table', 'verify', 'signature-header', 'signature-encoding', 'signature-prefix', 'max-body-bytes'] as const;

/** A connection's settings for its audit entry: ids and settings, never its token (nor the token's prefix) or secret. */
function connectionSettings(connection: ConnectionInfo): Record<string, unknown> {
  return {
    connection_id: connection.id,
    name: connection.name,
    default_table: connection.default_table,
    rate_limit_per_minute: connection.rate_limit_per_minute,
    allowed_ips: connection.allowed_ips,
    verify_preset: connection.verify_preset,
    max_body_bytes: connection.max_body_bytes,
  };
}

function verifyFromValues(values: Values): VerifySetting | 'none' | undefined {
  const generic = [values['signature-header'], values['signature-encoding'], values['signature-prefix']].some((value) => value !== undefined);
  if (values.verify === undefined || values.verify === 'none') {
    if (generic) throw new UsageError('--signature-header, --signature-encoding and --signature-prefix go with --verify hmac-sha256');
    return values.verify;
  }
  // checkVerifySetting validates the preset name and every option before anything is stored.
  const options = generic ? { header: values['signature-header'], encoding: values['signature-encoding'], prefix: values['signature-prefix'] } : undefined;
  return { preset: values.verify as VerifyPreset, options: options as GenericHmacOptions | undefined };
}

function plainAddText(connection: ConnectionInfo, token: string): string {
  return [
    `Created connection ${connection.id} (${connection.tenant_id}/${connection.name}).`,
    `Ingest token (shown once, store it now): ${token}`,
    `Push:    curl -X POST "$EDGE/v1/ingest/push/${token}?table=${connection.default_table ?? 'events'}" -H "x-tenant-id: ${connection.tenant_id}" -H "content-type: application/json" -d '[{"id":1}]'`,
    `Webhook: curl -X POST "$EDGE/api/webhook/${connection.default_table ?? 'events'}" -H "Authorization: Bearer ${token}" -H "content-type: application/json" -d '{"id":1}'`,
    ...(connection.max_body_bytes === null ? [] : [`Body limit: ${connection.max_body_bytes} bytes.`]),
  ].join('\n');
}

function presetAddText(connection: ConnectionInfo, preset: VerifyPreset, token: string): string {
  const options = connection.verify_options;
  const genericFlags =
    options === null
      ? ''
      : ` --signature-header ${options.header} --signature-encoding ${options.encoding}${options.prefix === '' ? '' : ` --signature-prefix '${options.prefix}'`}`;
  return [
    `Created connection ${connection.id} (${connection.tenant_id}/${connection.name}), verifying ${preset} signatures.`,
    `Ingest token (shown once, store it now): ${token}`,
    '',
    `Webhook URL — paste it in ${WHERE_TO_PASTE[preset]}:`,
    `  $EDGE/v1/ingest/push/${token}`,
    'No x-tenant-id or other header is needed: the signature is checked on the raw body.',
    `Verified: ${verifiedHeaders(preset, options).join('; ')}.`,
    'The signing secret is stored encrypted (BOITATA_SECRETS_KEY) and is never shown.',
    connection.default_table === null
      ? preset === 'hmac-sha256'
        ? 'The generic preset has no event type: the table comes from ?table= or the payload, as for any push (or set --table).'
        : `Each event type lands in its own table, ${preset.replace('-', '_')}_<event type> (or set --table for one table).`
      : `Every event lands in table ${connection.default_table}.`,
    ...(connection.max_body_bytes === null ? [] : [`Body limit: ${connection.max_body_bytes} bytes.`]),
    '',
    'Send a signed test delivery:',
    `  boitata connections test-delivery --url "$EDGE/v1/ingest/push/${token}" --verify ${preset}${genericFlags} --signing-secret-file F`,
  ].join('\n');
}

function verificationSummary(connection: ConnectionInfo): string {
  if (connection.verify_preset === null) return 'verifies no signature';
  const expiry = connection.signing_secret_next_expiry === null ? '' : `, one expiring ${connection.signing_secret_next_expiry.toISOString()}`;
  return `verifies ${connection.verify_preset} signatures (${connection.signing_secrets} signing secret${connection.signing_secrets === 1 ? '' : 's'}${expiry})`;
}

/** The URL without its ingest token (only the token's visible prefix): output never repeats a credential. */
function redactPushUrl(url: URL): string {
  const path = url.pathname.replace(/(\/push\/)([^/]+)/, (_, head: string, token: string) => `${head}${visiblePrefix(token)}…`);
  return `${url.origin}${path}`;
}
