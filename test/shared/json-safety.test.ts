// What the storable-JSON walk refuses, and where it says the problem is.
import { describe, expect, it } from 'vitest';
import { BoitataError, formatPath } from '../../shared/errors.ts';
import { assertStorableJson, MAX_NESTING_DEPTH } from '../../shared/json-safety.ts';

function problemsOf(value: unknown): string[] {
  try {
    assertStorableJson(value);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(BoitataError);
    return (error as BoitataError).problems.map((p) => p.path);
  }
}

describe('assertStorableJson', () => {
  it('accepts ordinary JSON, including emoji and paired surrogates', () => {
    expect(problemsOf(JSON.parse('[{"name":"Zoë 🐍","n":1.5,"ok":true,"none":null,"tags":["a"],"nested":{"x":{"y":1}}}]'))).toEqual([]);
  });

  it('refuses prototype keys, NUL characters, lone surrogates and empty keys, naming each path', () => {
    const value = JSON.parse('[{"__proto__":1,"a":{"constructor":2},"b":"x\\u0000","c":"\\udc00","":1,"ok":"fine"}]');
    expect(problemsOf(value).sort()).toEqual(['[0][""]', '[0].__proto__', '[0].a.constructor', '[0].b', '[0].c'].sort());
  });

  it(`refuses nesting deeper than ${MAX_NESTING_DEPTH} levels but accepts exactly that`, () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : { a: nest(depth - 1) });
    expect(problemsOf(nest(MAX_NESTING_DEPTH))).toEqual([]);
    expect(problemsOf(nest(MAX_NESTING_DEPTH + 1))).toHaveLength(1);
  });

  it('formats paths readably', () => {
    expect(formatPath([])).toBe('$');
    expect(formatPath(['rows', 3, 'value'])).toBe('rows[3].value');
    expect(formatPath([0, 'location.city'])).toBe('[0]["location.city"]');
  });
});
