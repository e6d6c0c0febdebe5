// What an operator may ask the message search (`boitata messages list`, the status page's /messages): the filters
// read from text (flags or a query string), checked, with the bounds that keep every answer small. Pure.
import { messageStates, type MessageState } from '../../shared/message-status.ts';
import { isIsoDate, isIsoTimestamp } from '../../shared/timestamps.ts';

/** Messages one search returns: 50 unless asked, never more than 1,000 (the status page shows at most 100 a page). */
export const MESSAGE_SEARCH_LIMITS = { defaultLimit: 50, maxLimit: 1_000, pageMaxLimit: 100 } as const;

/** The queue's status column for each state a sender and an operator see (shared/message-status.ts). */
export const QUEUE_STATUS_OF: Readonly<Record<MessageState, 'pending' | 'processing' | 'done' | 'dead'>> = {
  queued: 'pending',
  processing: 'processing',
  landed: 'done',
  dead: 'dead',
};

export interface MessageSearch {
  tenant: string;
  /** queue statuses (pending, processing, done, dead); null: every state */
  statuses: Array<'pending' | 'processing' | 'done' | 'dead'> | null;
  /** a table the message was sent to, accepted for or landed in (lowercased, as the warehouse names it) */
  table: string | null;
  /** received at or after (timestamptz text Postgres reads, microseconds kept) */
  since: string | null;
  /** received before (exclusive, so `--until` the last time a list showed continues after it) */
  until: string | null;
  idempotencyKey: string | null;
  /** a connection's id or name, an API key's source id or id, or a provider (stripe, github, …) */
  source: string | null;
  limit: number;
  /** only messages older than this one (the status page's "older →"); a message id */
  before: string | null;
}

/** The filters as text: CLI flags or query parameters, each undefined (or '') when not given. */
export interface MessageSearchInput {
  tenant?: string | undefined;
  status?: string | undefined;
  table?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  idempotencyKey?: string | undefined;
  source?: string | undefined;
  limit?: string | undefined;
  before?: string | undefined;
}

const INPUT_FIELDS = ['tenant', 'status', 'table', 'since', 'until', 'idempotencyKey', 'source', 'limit', 'before'] as const satisfies ReadonlyArray<
  keyof MessageSearchInput
>;

/** `field` names the flag or parameter at fault (its CLI spelling, e.g. `since`, `idempotency-key`). */
export type ParsedSearch = { ok: true; search: MessageSearch } | { ok: false; field: keyof MessageSearchInput; message: string };

export const MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Longer than any tenant id, table name or Idempotency-Key the edge accepts (255).
const MAX_TEXT = 300;
const DURATION = /^(\d{1,9})([smhdw]?)$/;
// C0 controls, DEL and C1 controls: Postgres refuses a NUL in text, and none belongs in a filter a person typed.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// ISO 8601's year 0000 is 1 BC, which Postgres has no spelling for ("date/time field value out of range").
const YEAR_ZERO = /^0000-/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;

class InvalidFilter extends Error {
  readonly field: keyof MessageSearchInput;

  constructor(field: keyof MessageSearchInput, message: string) {
    super(message);
    this.field = field;
  }
}

export function parseMessageSearch(input: MessageSearchInput, now: Date, maxLimit: number = MESSAGE_SEARCH_LIMITS.maxLimit): ParsedSearch {
  try {
    // First, so no message below repeats a control character to the terminal or page that shows it.
    for (const field of INPUT_FIELDS) {
      const value = input[field];
      const problem = value === undefined ? null : controlCharacterProblem(value);
      if (problem !== null) throw new InvalidFilter(field, `${label(field)} ${problem}`);
    }
    const given = (value: string | undefined) => (value === undefined || value.trim() === '' ? null : value.trim());
    const tenant = given(input.tenant);
    if (tenant === null) throw new InvalidFilter('tenant', 'a tenant is required: the search covers one tenant at a time');
    const since = timeBound(given(input.since), 'since', now);
    const until = timeBound(given(input.until), 'until', now);
    if (since !== null && until !== null && Date.parse(since) >= Date.parse(until))
      throw new InvalidFilter('until', `until (${until}) is not after since (${since})`);
    return {
      ok: true,
      search: {
        tenant: text(tenant, 'tenant'),
        statuses: statuses(given(input.status)),
        table: optionalText(given(input.table), 'table')?.toLowerCase() ?? null,
        since,
        until,
        idempotencyKey: optionalText(given(input.idempotencyKey), 'idempotencyKey'),
        source: optionalText(given(input.source), 'source'),
        limit: limit(given(input.limit), maxLimit),
        before: messageId(given(input.before), 'before'),
      },
    };
  } catch (error) {
    if (error instanceof InvalidFilter) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}

/**
 * A point in time: an ISO-8601 timestamp with its offset (`2026-06-12T10:00:00Z`), a date (midnight UTC), or a
 * duration back from now (`90` seconds, `30m`, `2h`, `1d`, `1w`). Returned as text so microseconds survive. Years run
 * from 0001 to 9999: the 4-digit forms cannot say more, and Postgres refuses year 0000.
 */
export function parseTimeBound(value: string, now: Date): string | null {
  const duration = DURATION.exec(value);
  if (duration !== null) {
    const seconds = Number(duration[1]) * UNIT_SECONDS[(duration[2] || 's') as keyof typeof UNIT_SECONDS];
    const at = now.getTime() - seconds * 1000;
    return Number.isFinite(at) && at > Date.UTC(1970, 0, 1) ? new Date(at).toISOString() : null;
  }
  if (YEAR_ZERO.test(value)) return null;
  if (isIsoDate(value)) return `${value}T00:00:00Z`;
  return isIsoTimestamp(value) ? value : null;
}

/** When parseTimeBound refused a time only for its year: what to write instead; else null. */
export function yearProblem(value: string): string | null {
  return YEAR_ZERO.test(value) ? 'the year must be from 0001 to 9999 (Postgres has no year 0000)' : null;
}

/** Why text a person typed cannot be a filter (a control character, and where), or null. */
export function controlCharacterProblem(value: string): string | null {
  const at = CONTROL.exec(value);
  if (at === null) return null;
  const code = at[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `holds a control character (U+${code} at character ${at.index + 1}): remove it`;
}

function timeBound(value: string | null, field: 'since' | 'until', now: Date): string | null {
  if (value === null) return null;
  const parsed = parseTimeBound(value, now);
  if (parsed === null) {
    const hint =
      yearProblem(value) ??
      'use a duration back from now (30m, 2h, 1d, 1w, or seconds) or an ISO-8601 time with its offset (2026-06-12T10:00:00Z, or a date 2026-06-12)';
    throw new InvalidFilter(field, `${field} ${JSON.stringify(value.slice(0, MAX_TEXT))}: ${hint}`);
  }
  return parsed;
}

function statuses(value: string | null): MessageSearch['statuses'] {
  if (value === null) return null;
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  const unknown = names.find((name) => !(messageStates as readonly string[]).includes(name));
  if (unknown !== undefined)
    throw new InvalidFilter('status', `status ${JSON.stringify(unknown.slice(0, MAX_TEXT))}: use ${messageStates.join(', ')} (or several, comma-separated)`);
  return [...new Set(names.map((name) => QUEUE_STATUS_OF[name as MessageState]))];
}

function limit(value: string | null, max: number): number {
  if (value === null) return Math.min(MESSAGE_SEARCH_LIMITS.defaultLimit, max);
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new InvalidFilter('limit', `limit ${JSON.stringify(value.slice(0, MAX_TEXT))}: use a whole number from 1 to ${max}`);
  return Number(value);
}

function messageId(value: string | null, field: 'before'): string | null {
  if (value === null) return null;
  if (!MESSAGE_ID.test(value))
    throw new InvalidFilter(field, `${field} ${JSON.stringify(value.slice(0, MAX_TEXT))}: use a message id (a UUID) the list showed`);
  return value.toLowerCase();
}

function text(value: string, field: keyof MessageSearchInput): string {
  if (value.length > MAX_TEXT) throw new InvalidFilter(field, `${label(field)} is longer than ${MAX_TEXT} characters`);
  return value;
}

const label = (field: keyof MessageSearchInput) => (field === 'idempotencyKey' ? 'idempotency key' : field);

const optionalText = (value: string | null, field: keyof MessageSearchInput) => (value === null ? null : text(value, field));
