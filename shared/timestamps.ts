// ISO-8601 dates and timestamps as senders write them; a timestamp must carry its offset (Z or ±hh:mm).

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;

export function isIsoDate(value: string): boolean {
  const match = DATE.exec(value);
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

export function isIsoTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (match === null) return false;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6] ?? 0)];
  return isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])) && hour < 24 && minute < 60 && second < 60 && isRealOffset(match[7]!);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * Counted by hand in the proleptic Gregorian calendar ISO 8601 uses: `Date.UTC` reads years 0–99 as
 * 1900–1999, which refused `0000-02-29` (year 0 is a leap year) and accepted `0004-02-29` only by luck.
 */
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** Real UTC offsets run from -12:00 to +14:00; anything else is a typo the warehouse would refuse. */
function isRealOffset(offset: string): boolean {
  if (offset === 'Z' || offset === 'z') return true;
  const minutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(-2));
  return Number(offset.slice(-2)) < 60 && minutes <= 14 * 60;
}
