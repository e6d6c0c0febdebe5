// Where `boitata erase` reads the subject's values from without them being on the command line (shell history, the
// process list): `--match column=-` takes the value from standard input (one such match at most), `--match-file F`
// holds `column=value` lines. The values are never repeated in a message: only match names, file names and lines.
import { readFile } from 'node:fs/promises';
import { MAX_MATCHES, MAX_VALUE_LENGTH, parseMatchTexts, type MatchSpec } from '../processor/governance/erasure-match.ts';
import { UsageError } from './arguments.ts';

/** More than this in a match file or on standard input is not a subject's keys: refused before it is read whole. */
const MAX_INPUT_BYTES = MAX_MATCHES * (MAX_VALUE_LENGTH + 256);

/** The `--match` and `--match-file` keys, with a `column=-` value read from `stdin`; throws ErasureInputError or UsageError. */
export async function readMatchInput(
  texts: readonly string[] | undefined,
  matchFile: string | undefined,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<MatchSpec[]> {
  const fromStdin = (texts ?? []).filter(isStdinMatch);
  if (fromStdin.length > 1) {
    throw new UsageError('only one --match column=- can read its value from standard input: put several keys in a --match-file F (one column=value a line)');
  }
  let resolved = texts;
  if (fromStdin.length === 1) {
    const column = fromStdin[0]!.slice(0, -2);
    const value = await readStdinValue(stdin, column);
    resolved = texts!.map((text) => (isStdinMatch(text) ? `${column}=${value}` : text));
  }
  const file = matchFile === undefined ? undefined : { name: matchFile, text: await readMatchFile(matchFile) };
  return parseMatchTexts(resolved, file);
}

function isStdinMatch(text: string): boolean {
  return text.endsWith('=-') && text.indexOf('=') === text.length - 2;
}

async function readMatchFile(name: string): Promise<string> {
  if (name === '') throw new UsageError('--match-file needs a file name');
  const bytes = await readFile(name).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--match-file: cannot read ${name} (${error.code ?? error.message})`);
  });
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    throw new UsageError(`--match-file: ${name} is ${bytes.byteLength} bytes, far more than ${MAX_MATCHES} column=value lines: is it the right file?`);
  }
  return bytes.toString('utf8');
}

/** One line from standard input, without its final line ending (`echo` adds one); a second line is refused. */
async function readStdinValue(stdin: NodeJS.ReadableStream, column: string): Promise<string> {
  if ((stdin as { isTTY?: boolean }).isTTY) process.stderr.write(`Type the value of ${column}, then press Enter and Ctrl+D:\n`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.byteLength;
    if (size > MAX_INPUT_BYTES) throw new UsageError(`--match ${column}=-: standard input holds far more than one value`);
    chunks.push(buffer);
  }
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`--match ${column}=-: standard input is empty: pipe the value in, e.g. --match ${column}=- < value.txt`);
  if (/[\r\n]/.test(value)) {
    throw new UsageError(`--match ${column}=-: standard input holds more than one line: one value for one --match; use --match-file F for several keys`);
  }
  return value;
}
