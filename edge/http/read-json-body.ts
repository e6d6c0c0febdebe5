// Reads a request body (plain or gzip) under its limit (1 MiB unless the connection raised it), counting the bytes
// actually received and inflated, and decodes it as JSON.
import { concatBytes } from '../../shared/bytes.ts';
import { BoitataError } from '../../shared/errors.ts';
import { assertStorableJson, assertUnambiguousJsonText, MAX_BODY_BYTES } from '../../shared/json-safety.ts';

export interface JsonBody {
  /** The body as sent (decompressed when it came gzipped), decoded as UTF-8: what the queue stores. */
  text: string;
  /** The bytes of `text`: what an Idempotency-Key's fingerprint covers, so gzip or not is the same request. */
  bytes: Uint8Array;
  value: unknown;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

export function assertJsonContentType(contentType: string | undefined): void {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!JSON_MEDIA_TYPE.test(mediaType) || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new BoitataError(
      'unsupported_media_type',
      `Send the body as JSON with "Content-Type: application/json" (got ${contentType === undefined ? 'no Content-Type' : JSON.stringify(contentType)}).`,
    );
  }
}

type ContentEncoding = 'identity' | 'gzip';

/** `gzip` (or its alias `x-gzip`) and no encoding are accepted; anything else is a 415 naming what is. */
export function readContentEncoding(header: string | undefined): ContentEncoding {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  throw new BoitataError(
    'unsupported_media_type',
    `Content-Encoding ${JSON.stringify(header)} is not supported: send the body uncompressed, or gzip-compressed with "Content-Encoding: gzip".`,
  );
}

/** How many bytes a body may have: `limit`, or more once `raise` (asked only past `limit`) allows it. */
export interface BodyLimit {
  limit: number;
  /** The larger limit a body past `limit` may have (the connection's own, asked of its gate), or throws why not. */
  raise?: () => Promise<number>;
}

/**
 * The body's bytes, inflated when it came gzipped, within the limit (which applies to the inflated bytes). Throws
 * `empty_payload` for an empty body and `payload_too_large` past the limit.
 */
export async function readBodyBytes(request: Request, bodyLimit: BodyLimit): Promise<Uint8Array> {
  const encoding = readContentEncoding(request.headers.get('content-encoding') ?? undefined);
  let limit = bodyLimit.limit;
  const raise = async (): Promise<number> => {
    if (bodyLimit.raise !== undefined && limit === bodyLimit.limit) limit = Math.max(limit, await bodyLimit.raise());
    return limit;
  };
  const received = await readLimited(request, limit, raise);
  const bytes = encoding === 'gzip' && received.byteLength > 0 ? await gunzipLimited(received, limit, raise) : received;
  if (bytes.byteLength === 0) throw new BoitataError('empty_payload', 'The request body is empty: send a JSON object or array.');
  return bytes;
}

/** UTF-8 JSON text that can be stored as it is: parsed, checked for storability and ambiguity. */
export function decodeJsonBody(bytes: Uint8Array): JsonBody {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new BoitataError('invalid_json', 'The body is not valid UTF-8 text.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'it is nested too deeply to parse';
    throw new BoitataError('invalid_json', `The body is not valid JSON: ${reason}`);
  }
  assertStorableJson(value);
  assertUnambiguousJsonText(text);
  return { text, bytes, value };
}

function tooLarge(limit: number): BoitataError {
  const mib = limit === MAX_BODY_BYTES ? ' (1 MiB)' : '';
  return new BoitataError('payload_too_large', `The body exceeds the ${limit}-byte${mib} limit; split it into smaller requests.`);
}

async function readLimited(request: Request, initial: number, raise: () => Promise<number>): Promise<Uint8Array> {
  let limit = initial;
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    limit = await raise();
    if (declared > limit) throw tooLarge(limit);
  }
  if (request.body === null) return new Uint8Array(0);
  // The runtime never delivers more bytes than a declared Content-Length, so a declared body within the limit
  // can be read in one call; only a body of unknown length (chunked) has to be counted as it arrives.
  if (Number.isFinite(declared)) return new Uint8Array(await request.arrayBuffer());

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) limit = await raise();
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

// Deflate expands at most ~1,032 times, so one slice of input makes at most ~16 MiB of output.
const GZIP_INPUT_SLICE = 16_384;
const IDLE = Symbol('idle');

/**
 * Inflates a gzip body, counting the output as it comes: past `limit` bytes it stops (413) without inflating the
 * rest, so a decompression bomb costs at most the limit plus one slice's output. The compressed body itself was
 * already read under the same limit.
 *
 * workerd's DecompressionStream inflates each write eagerly, without backpressure (measured: 256 MiB queued from
 * 250 KB written and nothing read). So the input goes in one slice at a time, and the next slice is written only
 * once the output of the last one has been read and counted.
 */
async function gunzipLimited(compressed: Uint8Array, initial: number, raise: () => Promise<number>): Promise<Uint8Array> {
  let limit = initial;
  const inflate = new DecompressionStream('gzip');
  const writer = inflate.writable.getWriter();
  const reader = inflate.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Every read, write and stream state is observed as soon as it exists: a corrupt body rejects them all at once.
  // (`observed` attaches the handler, so a `void observed(…)` leaves no rejection unhandled.)
  const observed = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined);
    return promise;
  };
  void observed(writer.closed);
  void observed(reader.closed);
  let pending = observed(reader.read());
  const count = async (value: Uint8Array) => {
    total += value.byteLength;
    if (total > limit) limit = await raise();
    if (total > limit) {
      throw new BoitataError(
        'payload_too_large',
        `The body inflates past the ${limit}-byte${limit === MAX_BODY_BYTES ? ' (1 MiB)' : ''} limit, which applies to the decompressed bytes; split it into smaller requests.`,
      );
    }
    chunks.push(value);
    pending = observed(reader.read());
  };

  try {
    for (let offset = 0; offset < compressed.byteLength; offset += GZIP_INPUT_SLICE) {
      await observed(writer.write(compressed.slice(offset, offset + GZIP_INPUT_SLICE)));
      // Drain what this slice made: a read still waiting after a turn of the event loop means it is all out.
      for (;;) {
        let result = await Promise.race([pending, microtaskTurns()]);
        if (result === IDLE) result = await Promise.race([pending, eventLoopTurn()]);
        if (result === IDLE || result.done) break;
        await count(result.value);
      }
    }
    const closing = observed(writer.close());
    for (let result = await pending; !result.done; result = await pending) await count(result.value);
    await closing;
  } catch (error) {
    void observed(reader.cancel());
    if (error instanceof BoitataError) throw error;
    throw new BoitataError('invalid_json', 'The body is declared "Content-Encoding: gzip" but is not valid gzip data.');
  }
  return concatBytes(chunks);
}

// Waiting for a timer after every read made a 655 KB body take 240–400 ms to drain in workerd; a few microtask
// turns deliver most chunks, so the timer is only the last check of each slice (a 1 GiB bomb is refused in ~0.3 s).
// Microtasks alone are not enough: a bomb's output arrives later than that, and the whole GiB got inflated.
async function microtaskTurns(): Promise<typeof IDLE> {
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  return IDLE;
}

function eventLoopTurn(): Promise<typeof IDLE> {
  return new Promise((resolve) => setTimeout(() => resolve(IDLE), 0));
}
