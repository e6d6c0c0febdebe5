// Pure: PROCESSOR_COMMIT_INTERVAL_MS is parsed once, defaults to 500 ms, and a bad value is refused naming it.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../processor/config.ts';

describe('PROCESSOR_COMMIT_INTERVAL_MS', () => {
  it('defaults to 500 ms and takes 0 (no spacing) up to a minute', () => {
    expect(parseConfig({}).PROCESSOR_COMMIT_INTERVAL_MS).toBe(500);
    expect(parseConfig({ PROCESSOR_COMMIT_INTERVAL_MS: '0' }).PROCESSOR_COMMIT_INTERVAL_MS).toBe(0);
    expect(parseConfig({ PROCESSOR_COMMIT_INTERVAL_MS: ' 60000 ' }).PROCESSOR_COMMIT_INTERVAL_MS).toBe(60_000);
    expect(parseConfig({ PROCESSOR_COMMIT_INTERVAL_MS: '' }).PROCESSOR_COMMIT_INTERVAL_MS).toBe(500);
  });

  it.each([
    ['60001', /PROCESSOR_COMMIT_INTERVAL_MS: at most 60000/],
    ['-1', /PROCESSOR_COMMIT_INTERVAL_MS: at least 0/],
    ['1.5', /PROCESSOR_COMMIT_INTERVAL_MS: a whole number of milliseconds/],
    ['soon', /PROCESSOR_COMMIT_INTERVAL_MS: /],
  ])('refuses %j naming the variable', (value, message) => {
    expect(() => parseConfig({ PROCESSOR_COMMIT_INTERVAL_MS: value })).toThrow(message);
  });
});
