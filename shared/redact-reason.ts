// Dead-letter reasons made safe to show: a warehouse error may quote the value it refused (a cast error names
// the string it could not cast), so quoted literals, e-mail-like words, long tokens and digit runs are removed.
// It errs on the side of removing too much: an operator can still read the code and the shape of the error.

export const REDACTED = '‹redacted›';

/** The reason with every quoted literal and value-like run replaced by ‹redacted›, on one line, at most `maxLength` characters. */
export function redactReason(reason: string, maxLength = 400): string {
  const oneLine = reason.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  const redacted = redactQuoted(oneLine)
    // e-mail addresses and URLs with credentials: any word with an @ in it
    .replace(/[^\s'"`]*@[^\s'"`]+/g, REDACTED)
    // tokens, hashes, base64: a long word that mixes letters and digits
    .replace(/[A-Za-z0-9_+/=-]{24,}/g, (word) => (/\d/.test(word) ? REDACTED : word))
    // phone, card, account and ID numbers, dates: five digits or more, separators allowed between them
    .replace(/\+?\d(?:[\d\s().\/-]*\d)?/g, (run) => (run.replace(/\D/g, '').length >= 5 ? REDACTED : run));
  return redacted.length <= maxLength ? redacted : `${redacted.slice(0, maxLength - 1)}…`;
}

const isWordChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}]/u.test(char);

// An apostrophe inside a word of two letters or more ("doesn't", "it's") is not a quote; N'…' or a quote after
// a space or a symbol is. A quote followed by a letter does not close a literal ('O'Brien' stays whole), and
// SQL's doubled '' is an escaped quote. A literal left open runs to the end of the text.
function redactQuoted(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const opens = char === '"' || char === '`' || (char === "'" && !isApostrophe(text, i));
    if (!opens) {
      out += char;
      i += 1;
      continue;
    }
    const close = findClose(text, i + 1, char);
    out += char + REDACTED + (close < text.length ? char : '');
    i = close + 1;
  }
  return out;
}

function isApostrophe(text: string, at: number): boolean {
  return isWordChar(text[at - 1]) && isWordChar(text[at - 2]) && isWordChar(text[at + 1]);
}

/** Index of the quote that closes the literal opened before `from`, or text.length when it is never closed. */
function findClose(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i += 1) {
    const char = text[i];
    if (char === '\\' && quote !== "'") {
      i += 1;
    } else if (char === quote) {
      if (quote === "'" && text[i + 1] === "'") i += 1;
      else if (!isWordChar(text[i + 1])) return i;
    }
  }
  return text.length;
}
