// The one error type: a literal code, sorted into user errors (4xx, fix the request) and system errors (5xx, retry).

export const userErrorStatus = {
  invalid_json: 400,
  invalid_payload: 400,
  ambiguous_payload: 400,
  empty_payload: 400,
  too_many_rows: 400,
  too_many_tables: 400,
  too_many_fields: 400,
  unauthorized: 401,
  signature_missing: 401,
  signature_invalid: 401,
  timestamp_out_of_tolerance: 401,
  ip_not_allowed: 403,
  source_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_request_in_flight: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
} as const;

export const systemErrorStatus = {
  internal_error: 500,
  database_unavailable: 503,
} as const;

export type UserErrorCode = keyof typeof userErrorStatus;
export type SystemErrorCode = keyof typeof systemErrorStatus;
export type ErrorCode = UserErrorCode | SystemErrorCode;

/** One problem in a request, located by a path such as `rows[3].value`. */
export interface Problem {
  path: string;
  message: string;
}

export class BoitataError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: { problems?: readonly Problem[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BoitataError';
    this.code = code;
    this.problems = options.problems ?? [];
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return isUserErrorCode(this.code) ? userErrorStatus[this.code] : systemErrorStatus[this.code];
  }

  get isUserError(): boolean {
    return isUserErrorCode(this.code);
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.problems.length > 0) error.problems = [...this.problems];
    return { error };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; problems?: Problem[] };
}

export function isUserErrorCode(code: string): code is UserErrorCode {
  return Object.hasOwn(userErrorStatus, code);
}

/** Renders a path like ['rows', 3, 'value'] as `rows[3].value`; the empty path is `$` (the whole body). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? '$' : out;
}
