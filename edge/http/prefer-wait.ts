// The `wait` preference of a Prefer header (RFC 7240): how many seconds a sender is willing to wait for its answer.
import { MAX_WAIT_SECONDS } from '../../shared/message-status.ts';

// A preference is `token [BWS "=" BWS (token | quoted-string)]`, then `;`-separated parameters; `wait`'s value is
// delta-seconds (1*DIGIT). Preferences are separated by commas, and several Prefer headers arrive joined by ", ".
const WAIT = /^wait[ \t]*=[ \t]*(?:(\d+)|"(\d+)")$/i;

/**
 * The seconds of the first `wait` preference, capped at MAX_WAIT_SECONDS, or undefined when there is none. RFC 7240
 * says a server ignores what it does not understand: a malformed `wait` (`wait=soon`, `wait=-1`, `wait=1.5`) is no
 * preference, and only the first `wait` counts when it is given more than once.
 */
export function preferredWaitSeconds(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  for (const preference of splitPreferences(header)) {
    const [head = ''] = preference.split(';');
    const name = head.split('=')[0]!.trim().toLowerCase();
    if (name !== 'wait') continue;
    const match = WAIT.exec(head.trim());
    if (match === null) return undefined;
    const seconds = Number(match[1] ?? match[2]);
    return Math.min(seconds, MAX_WAIT_SECONDS);
  }
  return undefined;
}

/** The header split at commas outside quoted strings (a quoted value may hold a comma). */
function splitPreferences(header: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const char = header[i]!;
    if (quoted && char === '\\') {
      current += char + (header[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}
