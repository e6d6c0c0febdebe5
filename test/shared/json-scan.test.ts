// The text scan JSON.parse cannot replace: duplicate keys and exponents jsonb would expand, each with its path.
import { describe, expect, it } from 'vitest';
import { BoitataError } from '../../shared/errors.ts';
import { MAX_NUMBER_EXPONENT } from '../../shared/ingest-limits.ts';
import { assertUnambiguousJsonText, MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { scanJsonText } from '../../shared/json-scan.ts';

const findings = (text: string) => {
  JSON.parse(text); // the scan only ever sees text JSON.parse accepted
  return scanJsonText(text).map(({ kind, path }) => `${kind} ${path}`);
};

describe('scanJsonText', () => {
  const cases: Array<[string, string, string[]]> = [
    ['ordinary JSON', '[{"a":1,"b":{"c":[1,2,{"d":"x"}]},"e":-1.5e10,"f":true,"g":null}]', []],
    ['the same key in different objects', '[{"v":1},{"v":2},{"o":{"v":3},"v":4}]', []],
    ['a duplicate key', '{"v":1,"v":2}', ['duplicate_key v']],
    ['a duplicate in a row', '[{"id":1},{"id":2,"x":1,"id":3}]', ['duplicate_key [1].id']],
    ['a duplicate in a nested object', '{"rows":[{"a":{"b":1,"b":{"c":1}}}]}', ['duplicate_key rows[0].a.b']],
    ['a duplicate spelled with an escape', '{"a":1,"\\u0061":2}', ['duplicate_key a']],
    ['a key with an escaped quote is not its prefix', '{"a\\"":1,"a":2}', []],
    ['keys that need quoting in the path', '{"a b":{"x.y":1,"x.y":2}}', ['duplicate_key ["a b"]["x.y"]']],
    ['three of a key', '{"k":1,"k":2,"k":3}', ['duplicate_key k', 'duplicate_key k']],
    ['keys inside strings are not keys', '{"s":"{\\"v\\":1,\\"v\\":2}","t":"1e-400"}', []],
    ['1e-400', '[{"n":1e-400}]', ['exponent_out_of_range [0].n']],
    ['1E51', '{"a":[1,2,1E51]}', ['exponent_out_of_range a[2]']],
    ['a top-level number', '2e+999', ['exponent_out_of_range $']],
    ['a huge exponent', '[1e1000000]', ['exponent_out_of_range [0]']],
    ['an exponent with many leading zeros is its value', `[1e${'0'.repeat(40)}50, 1e-000051]`, ['exponent_out_of_range [1]']],
    [`exactly ±${MAX_NUMBER_EXPONENT}`, '[1e50,1E-50,-2.5e+50,0e0,123.456]', []],
    ['after a nested array closes', '{"a":[[1],[2]],"b":{"c":7e77}}', ['exponent_out_of_range b.c']],
    ['whitespace everywhere', ' { "a" : [ 1 , 5e-60 ] , "a" : 2 } ', ['exponent_out_of_range a[1]', 'duplicate_key a']],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => expect(findings(text)).toEqual(expected));
  }

  it('needs no recursion: 100,000 nested arrays', () => {
    const text = `${'['.repeat(100_000)}1e99${']'.repeat(100_000)}`;
    expect(scanJsonText(text)).toHaveLength(1);
  });

  it('stops at the problem limit', () => {
    const text = `[${Array(100).fill('{"a":1,"a":2}').join(',')}]`;
    expect(scanJsonText(text, 20)).toHaveLength(20);
  });

  it('scans a 1 MiB body of small rows quickly', () => {
    const n = Math.floor((MAX_BODY_BYTES - 2) / 3);
    const text = `[${Array(n).fill('{}').join(',')}]`;
    const started = performance.now();
    expect(scanJsonText(text)).toEqual([]);
    // Measured ~15 ms on an idle development machine; the loose bound only catches a quadratic slip (minutes).
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('assertUnambiguousJsonText', () => {
  it('refuses with invalid_payload, a message for each kind found, and the paths', () => {
    try {
      assertUnambiguousJsonText('[{"v":1,"v":2,"n":1e-400}]');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BoitataError);
      const refused = error as BoitataError;
      expect(refused.code).toBe('invalid_payload');
      expect(refused.message).toMatch(/more than once.*exponent outside ±50/);
      expect(refused.problems.map((p) => p.path)).toEqual(['[0].v', '[0].n']);
    }
  });

  it('accepts JSON without either', () => {
    expect(() => assertUnambiguousJsonText('{"a":1e50,"b":{"a":1}}')).not.toThrow();
  });
});
