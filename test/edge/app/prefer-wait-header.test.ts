// The `wait` preference of a Prefer header (RFC 7240), table-driven: what is honoured, capped, and ignored.
import { describe, expect, it } from 'vitest';
import { preferredWaitSeconds } from '../../../edge/http/prefer-wait.ts';

const cases: Array<[string | undefined, number | undefined]> = [
  [undefined, undefined],
  ['', undefined],
  ['wait=10', 10],
  ['wait=0', 0],
  ['WAIT=7', 7],
  ['wait = 5', 5],
  ['wait="12"', 12],
  ['respond-async, wait=3', 3],
  ['return=minimal; foo="a,b", wait=4', 4],
  ['wait=8; extra=1', 8],
  // joined from two Prefer headers: the first wait counts
  ['wait=2, wait=9', 2],
  ['wait=31', 30],
  ['wait=3600', 30],
  ['wait=99999999999999999999999', 30],
  // malformed: ignored, as RFC 7240 asks
  ['wait=soon', undefined],
  ['wait=-1', undefined],
  ['wait=1.5', undefined],
  ['wait=', undefined],
  ['wait', undefined],
  ['waiting=5', undefined],
  ['handling=lenient', undefined],
  ['wait=soon, wait=5', undefined],
];

describe('preferredWaitSeconds', () => {
  it.each(cases)('%j → %j', (header, expected) => {
    expect(preferredWaitSeconds(header)).toBe(expected);
  });
});
