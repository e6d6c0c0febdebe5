// How `boitata` reads its arguments: the options it knows, required values, numbers, durations, and signing
// secrets — from a file or standard input only, never from the command line.
import { readFile } from 'node:fs/promises';
import type { parseArgs, ParseArgsConfig } from 'node:util';

export const OPTIONS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  name: { type: 'string' },
  tenant: { type: 'string' },
  table: { type: 'string' },
  'allowed-ips': { type: 'string' },
  'rate-limit': { type: 'string' },
  kind: { type: 'string' },
  'source-id': { type: 'string' },
  overlap: { type: 'string' },
  all: { type: 'boolean', default: false },
  id: { type: 'string' },
  url: { type: 'string' },
  verify: { type: 'string' },
  'signing-secret': { type: 'string' },
  'signing-secret-file': { type: 'string' },
  'signature-header': { type: 'string' },
  'signature-encoding': { type: 'string' },
  'signature-prefix': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'idempotency-key': { type: 'string' },
  source: { type: 'string' },
  limit: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'include-dead-on-arrival': { type: 'boolean', default: false },
  // data governance (erase, plan, tables/tenants set, audit, tenants delete)
  match: { type: 'string', multiple: true },
  'match-file': { type: 'string' },
  'requested-by': { type: 'string' },
  retention: { type: 'string' },
  contract: { type: 'string' },
  'ask-model': { type: 'boolean', default: false },
  action: { type: 'string' },
} satisfies ParseArgsConfig['options'];

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A command line that cannot be run as written (exit code 2). */
export class UsageError extends Error {}

export function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${what} is required (see boitata --help)`);
  return value;
}

export function optionalInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number`);
  return Number(value);
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** `90` (seconds), `30s`, `30m`, `24h`, `2d` → seconds. */
export function parseDuration(value: string, what: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (match === null) throw new UsageError(`${what} must be a duration such as 30m, 24h, 2d, or a number of seconds`);
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's') as keyof typeof UNIT_SECONDS];
}

const MAX_SECRET_INPUT_BYTES = 64 * 1024;

/**
 * The signing secret from --signing-secret-file F or --signing-secret - (standard input), without the one final
 * newline a file or `echo` adds; undefined when neither is given. A secret written on the command line is
 * refused without being repeated: it would be in the shell's history and, while the command runs, in the
 * process list every local user can read.
 */
export async function readSigningSecret(values: Values, stdin: NodeJS.ReadableStream = process.stdin): Promise<string | undefined> {
  const inline = values['signing-secret'];
  const file = values['signing-secret-file'];
  if (inline !== undefined && inline !== '-') {
    throw new UsageError(
      '--signing-secret only takes "-" (read the secret from standard input). A secret written on the command line ' +
        'stays in your shell history and shows in the process list: use --signing-secret-file F, or --signing-secret - < F',
    );
  }
  if (inline !== undefined && file !== undefined) throw new UsageError('give either --signing-secret-file F or --signing-secret -, not both');
  let text: string;
  if (file !== undefined) {
    if (file === '') throw new UsageError('--signing-secret-file needs a file name');
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`--signing-secret-file: cannot read ${file} (${error.code ?? error.message})`);
    });
    if (bytes.byteLength > MAX_SECRET_INPUT_BYTES)
      throw new UsageError(`--signing-secret-file: ${file} is ${bytes.byteLength} bytes, far more than a signing secret: is it the right file?`);
    text = bytes.toString('utf8');
  } else if (inline === '-') {
    text = await readStdin(stdin);
  } else {
    return undefined;
  }
  return text.replace(/\r?\n$/, '');
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  if ((stdin as { isTTY?: boolean }).isTTY) {
    process.stderr.write('Paste the signing secret, then press Enter and Ctrl+D:\n');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.byteLength;
    if (size > MAX_SECRET_INPUT_BYTES) throw new UsageError('--signing-secret -: standard input holds far more than a signing secret');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
