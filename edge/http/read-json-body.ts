// Reads a request body as JSON under the 1 MiB limit, counting the bytes actually received (chunked bodies too).
import { BoitataError } from '../../shared/errors.ts';
import { assertStorableJson, MAX_BODY_BYTES } from '../../shared/json-safety.ts';

export interface JsonBody {
  /** The body as sent, decoded as UTF-8. */
  text: string;
  bytes: Uint8Array;
  value: unknown;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

export function assertJsonContentType(contentType: string | undefined): void {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (!JSON_MEDIA_TYPE.test(mediaType) || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new BoitataError(
      'unsupported_media_type',
      `Send the body as JSON with "Content-Type: application/json" (got ${contentType === undefined ? 'no Content-Type' : JSON.stringify(contentType)}).`,
    );
  }
}

export async function readJsonBody(request: Request): Promise<JsonBody> {
  assertJsonContentType(request.headers.get('content-type') ?? undefined);
  const bytes = await readLimited(request, MAX_BODY_BYTES);
  if (bytes.byteLength === 0) throw new BoitataError('empty_payload', 'The request body is empty: send a JSON object or array.');

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
  return { text, bytes, value };
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new BoitataError('payload_too_large', `The body exceeds the ${limit}-byte (1 MiB) limit; split it into smaller requests.`);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
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
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
