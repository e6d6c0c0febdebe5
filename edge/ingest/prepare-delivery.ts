// What a verified provider delivery becomes: the table (explicit, default, or one per event type), the stored
// payload, its provenance, and — when it breaks a content rule — the dead letter it is stored as. Pure.
import { toBase64 } from '../../shared/bytes.ts';
import { BoitataError } from '../../shared/errors.ts';
import { assertStorableJson } from '../../shared/json-safety.ts';
import { scanJsonText } from '../../shared/json-scan.ts';
import { assertRowCaps } from '../../shared/message-caps.ts';
import { detectPushPayload, isJsonObject, type PayloadFormat, type TableRows } from '../../shared/push-format.ts';
import { decodeFormPayload, deliveryFacts, eventTableName, slackChallenge } from '../../shared/webhooks/delivery-facts.ts';
import type { HeaderMap, Provenance, VerifyPreset } from '../../shared/webhooks/presets.ts';

export interface DeliveryRequest {
  preset: VerifyPreset;
  headers: HeaderMap;
  /** The bytes the provider signed (inflated, when they came gzipped). */
  body: Uint8Array;
  /** ?table= or x-target-table, already checked to agree; it wins over everything else. */
  explicitTable: string | undefined;
  defaultTable: string | undefined;
}

export type PreparedDelivery =
  /** Slack's url_verification: answered with the challenge, not stored. */
  | { kind: 'challenge'; challenge: string }
  | {
      kind: 'message';
      payloadFormat: PayloadFormat;
      targetTable: string | null;
      payloadText: string;
      /** `payloadText` is the body's bytes decoded as they are: the gate can verify the signature over it. */
      payloadIsBody: boolean;
      rowCount: number;
      tables: TableRows[];
      provenance: Provenance;
      deadOnArrival: { code: string; reason: string } | null;
    };

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

// The header each provider signs into: a delivery carrying exactly one of them is prepared for that preset before
// the gate says which one the connection verifies (one round trip instead of two; the gate checks the guess).
const PRESET_BY_HEADER: ReadonlyArray<readonly [string, VerifyPreset]> = [
  ['stripe-signature', 'stripe'],
  ['x-hub-signature-256', 'github'],
  ['x-shopify-hmac-sha256', 'shopify'],
  ['shopify-hmac-sha256', 'shopify'],
  ['x-slack-signature', 'slack'],
  ['webhook-signature', 'standard-webhooks'],
  ['svix-signature', 'standard-webhooks'],
];

/** The preset the request's signature header names, or null when none or several do (or the generic preset). */
export function presetNamedBy(headers: HeaderMap): VerifyPreset | null {
  const named = new Set(PRESET_BY_HEADER.filter(([header]) => headers[header] !== undefined).map(([, preset]) => preset));
  return named.size === 1 ? [...named][0]! : null;
}

export function prepareDelivery(request: DeliveryRequest): PreparedDelivery {
  const { preset, headers } = request;
  const read = readDeliveryJson(preset, headers['content-type'], request.body);
  const provenance = deliveryFacts(preset, headers, read.kind === 'json' ? read.value : undefined);
  if (read.kind === 'unreadable') return deadOnArrival(read, provenance, request);

  const challenge = preset === 'slack' ? slackChallenge(read.value) : null;
  if (challenge !== null) return { kind: 'challenge', challenge };

  const table = request.explicitTable ?? request.defaultTable ?? eventTableName(preset, routableEventType(preset, provenance.eventType));
  try {
    if (read.problem !== null) throw read.problem;
    let format: PayloadFormat;
    let tables: TableRows[];
    if (preset === 'hmac-sha256') {
      // A generic sender may send any push format; one object with no table lands in `hmac_sha256_events`.
      ({ format, tables } = detectPushPayload(read.value, request.explicitTable, request.defaultTable ?? table));
    } else {
      // A provider event is one object: one row.
      if (!isJsonObject(read.value)) {
        throw new BoitataError('invalid_payload', `A ${preset} delivery is one JSON object; this body is not an object.`);
      }
      assertRowCaps([{ rows: [read.value], path: null }]);
      format = 'object';
      tables = [{ table, rows: [read.value] }];
    }
    return {
      kind: 'message',
      payloadFormat: format,
      targetTable: tables.length === 1 ? tables[0]!.table : null,
      payloadText: read.text,
      payloadIsBody: read.exact,
      rowCount: tables.reduce((sum, t) => sum + t.rows.length, 0),
      tables,
      provenance,
      deadOnArrival: null,
    };
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    return deadOnArrival({ kind: 'readable', text: read.text, exact: read.exact, problem: error }, provenance, request, table);
  }
}

// GitHub's and Shopify's event headers are not covered by their signatures: only names shaped like theirs choose a
// table (`pull_request`, `orders/create`); anything else lands in `{preset}_events`, its type kept in the column.
const UNSIGNED_EVENT_TYPE: Partial<Record<VerifyPreset, RegExp>> = {
  github: /^[a-z][a-z_]{0,63}$/,
  shopify: /^[a-z][a-z_]{0,31}(?:\/[a-z][a-z_]{0,31}){1,2}$/,
};

function routableEventType(preset: VerifyPreset, eventType: string | null): string | null {
  const shape = UNSIGNED_EVENT_TYPE[preset];
  return eventType !== null && shape !== undefined && !shape.test(eventType) ? null : eventType;
}

type ReadJson = { kind: 'json'; text: string; value: unknown; problem: BoitataError | null; exact: boolean } | { kind: 'unreadable'; problem: BoitataError };

/**
 * The delivery's JSON: the body (application/json), or the `payload` field of a GitHub or Slack form post. Text that
 * cannot be stored as it is (not UTF-8 or JSON, a NUL, an exponent jsonb would write out in full) is `unreadable`;
 * text that can but breaks a rule (a repeated key) carries the rule as its `problem`.
 */
function readDeliveryJson(preset: VerifyPreset, contentType: string | undefined, body: Uint8Array): ReadJson {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let bytes = body;
  // GitHub's form content type, and Slack's interactivity posts, carry the JSON in a `payload` field.
  if ((preset === 'github' || preset === 'slack') && mediaType === FORM_MEDIA_TYPE) {
    const payload = decodeFormPayload(body);
    if (payload === null) return unreadable('invalid_payload', 'The form-encoded delivery has no "payload" field.');
    bytes = new TextEncoder().encode(payload);
  } else if (!JSON_MEDIA_TYPE.test(mediaType)) {
    return unreadable('unsupported_media_type', `The delivery is ${JSON.stringify(mediaType || 'untyped')}, not JSON.`);
  }
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    return unreadable('invalid_json', 'The delivery is not valid UTF-8 JSON.');
  }
  try {
    assertStorableJson(value);
  } catch (error) {
    if (error instanceof BoitataError) return { kind: 'unreadable', problem: error };
    throw error;
  }
  const findings = scanJsonText(text);
  if (findings.some((finding) => finding.kind === 'exponent_out_of_range')) {
    return unreadable('invalid_payload', 'A number has an exponent outside what is stored as it is.');
  }
  const problem =
    findings.length === 0
      ? null
      : new BoitataError('invalid_payload', 'A key appears more than once in one object.', {
          problems: findings.map(({ path, message }) => ({ path, message })),
        });
  // The text is the body as sent unless it came out of a form field, or a byte order mark was dropped decoding it.
  const exact = bytes === body && !(body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf);
  return { kind: 'json', text, value, problem, exact };
}

function unreadable(code: BoitataError['code'], message: string): ReadJson {
  return { kind: 'unreadable', problem: new BoitataError(code, message) };
}

/**
 * A verified delivery that breaks a content rule is stored dead, not refused: a 4xx makes a provider give up on it.
 * Its text is kept as sent when Postgres can store it as it is, else as base64 beside the reason.
 */
function deadOnArrival(
  read: { kind: 'readable'; text: string; exact: boolean; problem: BoitataError } | { kind: 'unreadable'; problem: BoitataError },
  provenance: Provenance,
  request: DeliveryRequest,
  table?: string,
): PreparedDelivery {
  const problem = read.problem;
  const paths = problem.problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`);
  const reason = `${problem.message}${paths.length > 0 ? ` (${paths.join('; ')})` : ''}`;
  const targetTable =
    table ?? request.explicitTable ?? request.defaultTable ?? eventTableName(request.preset, routableEventType(request.preset, provenance.eventType));
  if (read.kind === 'unreadable') return storedAsBase64(request.body, provenance, targetTable, problem.code, reason);
  return {
    kind: 'message',
    payloadFormat: 'object',
    targetTable,
    payloadText: read.text,
    payloadIsBody: read.exact,
    rowCount: 1,
    tables: [],
    provenance,
    deadOnArrival: { code: problem.code, reason: cut(reason) },
  };
}

/**
 * A dead letter holding the body as base64: for text Postgres cannot store as it is (not JSON, a NUL, a number
 * jsonb cannot hold), found here or by Postgres refusing it.
 */
export function storedAsBase64(
  body: Uint8Array,
  provenance: Provenance,
  targetTable: string | null,
  code: string,
  reason: string,
): PreparedDelivery & { kind: 'message' } {
  return {
    kind: 'message',
    payloadFormat: 'object',
    targetTable,
    payloadText: JSON.stringify({ unreadable_body_base64: toBase64(body) }),
    payloadIsBody: false,
    rowCount: 1,
    tables: [],
    provenance,
    deadOnArrival: { code, reason: cut(reason) },
  };
}

/** At most 1,000 characters, never half of a surrogate pair (which Postgres would refuse). */
function cut(text: string): string {
  const head = text.slice(0, 1000);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}
