// The governance renderers (erasure by hash, retention by age, purge, drop) for Trino and DuckDB, and what both
// check first (governance-input.ts): quoted identifiers, checked hashes and cutoffs, statements under the length limit.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { columnType, type ColumnType } from '../../../processor/schema/column-types.ts';
import * as duck from '../../../processor/warehouse/duckdb-governance-sql.ts';
import { checkedCutoff, checkedHashes, presentMatch } from '../../../processor/warehouse/governance-input.ts';
import * as trino from '../../../processor/warehouse/trino-governance-sql.ts';
import { renderCreateTable } from '../../../processor/warehouse/trino-sql.ts';
import type { HashMatch, TableRef } from '../../../processor/warehouse/warehouse.ts';

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const ref: TableRef = { catalog: 'iceberg', schema: 'tenant_a', table: 'ev"ents' };
const [H1, H2] = [hash('a'), hash('b')];

describe('governance input', () => {
  it('accepts 64 lowercase hex digits only, once each, and never repeats a refused value', () => {
    expect(checkedHashes([H1, H2, H1])).toEqual([H1, H2]);
    for (const bad of [H1.toUpperCase(), H1.slice(1), `${H1}0`, "x' OR 1=1 --", 'ana@example.com']) {
      expect(() => checkedHashes([H1, bad])).toThrow(
        expect.objectContaining({ kind: 'permanent', errorName: 'invalid_hash', message: expect.stringContaining('#2') }),
      );
      try {
        checkedHashes([bad]);
      } catch (error) {
        expect((error as Error).message).not.toContain(bad);
      }
    }
  });

  it('accepts canonical timestamp text only as a cutoff', () => {
    expect(checkedCutoff('2026-06-12 10:00:00.123456 +05:30')).toBe('2026-06-12 10:00:00.123456 +05:30');
    expect(checkedCutoff('2026-06-12 10:00:00.000000 -03:00')).toBe('2026-06-12 10:00:00.000000 -03:00');
    for (const bad of ['2026-06-12T10:00:00Z', '2026-06-12', "2026-06-12 10:00:00.000000 +00:00' OR true --", '2026-06-12 10:00:00.000000 +00:00\n']) {
      expect(() => checkedCutoff(bad)).toThrow(expect.objectContaining({ errorName: 'invalid_cutoff' }));
    }
  });

  it('keeps the text columns the table has, and the rescue only when asked for and present', () => {
    const table = new Map<string, ColumnType>([
      ['email_hash', 'varchar'],
      ['legacy', columnType('varchar(64)')],
      ['id', 'bigint'],
      ['_boitata_rescue', 'varchar'],
    ]);
    const match: HashMatch = { columns: ['email_hash', 'missing', 'id', 'legacy', 'email_hash'], hashes: [H1, H1], rescue: true };
    expect(presentMatch(match, table)).toEqual({ columns: ['email_hash', 'legacy'], hashes: [H1], rescue: true, quoted: [] });
    expect(presentMatch({ ...match, columns: ['missing'], rescue: false }, table)).toBeNull();
    // Quoted columns: the present text ones, once; the rescue column only through `rescue`.
    const quarantine = new Map<string, ColumnType>([...table, ['_boitata_row', 'varchar']]);
    const quoted = { columns: [], hashes: [H1], rescue: false, quoted: ['_boitata_row', 'id', 'missing', '_boitata_row', '_boitata_rescue'] };
    expect(presentMatch(quoted, quarantine)).toEqual({ columns: [], hashes: [H1], rescue: false, quoted: ['_boitata_row'] });
    expect(presentMatch(quoted, table)).toBeNull();
    expect(presentMatch({ ...match, columns: [], rescue: true }, new Map<string, ColumnType>([['id', 'bigint']]))).toBeNull();
    expect(presentMatch({ ...match, hashes: [] }, table)).toBeNull();
  });
});

describe('Trino governance SQL', () => {
  const match: HashMatch = { columns: ['email"hash', 'phone'], hashes: [H1, H2], rescue: true };

  it('matches the hash in any column, or quoted as a JSON string in the rescue, every identifier quoted', () => {
    expect(trino.renderMatching('delete', ref, match, 1_000_000)).toEqual([
      `DELETE FROM "iceberg"."tenant_a"."ev""ents" WHERE ("email""hash" IN ('${H1}', '${H2}') OR "phone" IN ('${H1}', '${H2}') OR ` +
        `strpos("_boitata_rescue", '"${H1}"') > 0 OR strpos("_boitata_rescue", '"${H2}"') > 0)`,
    ]);
    expect(trino.renderMatching('count', ref, { ...match, rescue: false }, 1_000_000)).toEqual([
      `SELECT count(*) FROM "iceberg"."tenant_a"."ev""ents" WHERE ("email""hash" IN ('${H1}', '${H2}') OR "phone" IN ('${H1}', '${H2}'))`,
    ]);
  });

  it('matches `"<hash>"` in every quoted column (a quarantine row), the rescue first', () => {
    expect(trino.renderMatching('delete', ref, { columns: [], hashes: [H1, H2], rescue: true, quoted: ['_boitata_"row'] }, 1_000_000)).toEqual([
      `DELETE FROM "iceberg"."tenant_a"."ev""ents" WHERE (strpos("_boitata_rescue", '"${H1}"') > 0 OR strpos("_boitata_rescue", '"${H2}"') > 0 OR ` +
        `strpos("_boitata_""row", '"${H1}"') > 0 OR strpos("_boitata_""row", '"${H2}"') > 0)`,
    ]);
    expect(trino.renderMatching('count', ref, { columns: [], hashes: [H1], rescue: false, quoted: ['_boitata_row'] }, 1_000_000)).toEqual([
      `SELECT count(*) FROM "iceberg"."tenant_a"."ev""ents" WHERE (strpos("_boitata_row", '"${H1}"') > 0)`,
    ]);
    const hashes = Array.from({ length: 300 }, (_, i) => hash(String(i)));
    const statements = trino.renderMatching('keys', ref, { columns: ['email'], hashes, rescue: true, quoted: ['_boitata_row'] }, 5_000);
    for (const statement of statements) expect(statement.length).toBeLessThanOrEqual(5_000);
    expect(statements.flatMap((statement) => [...statement.matchAll(/strpos\("_boitata_row", '"([0-9a-f]{64})"'\)/g)].map((m) => m[1]))).toEqual(hashes);
  });

  it('renders nothing when there is nothing to look at, and refuses a value that is not a hash', () => {
    expect(trino.renderMatching('count', ref, { columns: [], hashes: [H1], rescue: false }, 1_000_000)).toEqual([]);
    expect(trino.renderMatching('count', ref, { ...match, hashes: [] }, 1_000_000)).toEqual([]);
    expect(() => trino.renderMatching('delete', ref, { ...match, hashes: ["') OR true --"] }, 1_000_000)).toThrow(/not 64 lowercase hex/);
  });

  it('splits the hashes so that every statement stays under the length, each hash in exactly one', () => {
    const hashes = Array.from({ length: 500 }, (_, i) => hash(String(i)));
    for (const maxLength of [1_500, 10_000, 50_000]) {
      const statements = trino.renderMatching('keys', ref, { ...match, hashes }, maxLength);
      expect(statements.length).toBeGreaterThan(1);
      for (const statement of statements) expect(statement.length).toBeLessThanOrEqual(maxLength);
      const seen = statements.flatMap((statement) => [...statement.matchAll(/strpos\("_boitata_rescue", '"([0-9a-f]{64})"'\)/g)].map((m) => m[1]));
      expect(seen).toEqual(hashes);
    }
    expect(trino.renderMatching('keys', ref, { ...match, hashes }, 1_000_000)).toHaveLength(1);
  });

  it('renders the retention cutoff as a checked timestamp literal', () => {
    expect(trino.renderDeleteReceivedBefore(ref, '2026-06-12 00:00:00.000000 +00:00')).toBe(
      `DELETE FROM "iceberg"."tenant_a"."ev""ents" WHERE "_boitata_received_at" < TIMESTAMP '2026-06-12 00:00:00.000000 +00:00'`,
    );
    expect(() => trino.renderCountReceivedBefore(ref, "2026-06-12' OR true --")).toThrow(/not canonical/);
  });

  it('purges by rewriting files with deletes, then expiring every older snapshot and removing orphan files older than an hour (a write may be committing)', () => {
    expect(trino.renderPurge(ref)).toEqual({
      rewrite: `ALTER TABLE "iceberg"."tenant_a"."ev""ents" EXECUTE optimize(file_size_threshold => '1B')`,
      expire: `ALTER TABLE "iceberg"."tenant_a"."ev""ents" EXECUTE expire_snapshots(retention_threshold => '0s')`,
      removeOrphans: `ALTER TABLE "iceberg"."tenant_a"."ev""ents" EXECUTE remove_orphan_files(retention_threshold => '1h')`,
    });
    expect(trino.renderFormatVersion(ref)).toBe(`SELECT value FROM "iceberg"."tenant_a"."ev""ents$properties" WHERE key = 'format-version'`);
    expect(trino.renderDeleteFileCount(ref)).toBe(`SELECT count(*) FROM "iceberg"."tenant_a"."ev""ents$files" WHERE content <> 0`);
    expect(trino.renderDropTable(ref)).toBe(`DROP TABLE IF EXISTS "iceberg"."tenant_a"."ev""ents"`);
    expect(trino.renderDropSchema(ref)).toBe(`DROP SCHEMA IF EXISTS "iceberg"."tenant_a"`);
  });

  it('creates new tables partitioned by the day a row was received', () => {
    const ddl = renderCreateTable(ref, [{ physical: 'id', type: 'bigint' }], false);
    expect(ddl).toMatch(/^CREATE TABLE IF NOT EXISTS "iceberg"\."tenant_a"\."ev""ents" \("_boitata_message_id" varchar, .*"id" bigint\) /);
    expect(ddl.endsWith(`WITH (format = 'PARQUET', partitioning = ARRAY['day("_boitata_received_at")'])`)).toBe(true);
  });
});

describe('DuckDB governance SQL', () => {
  it('matches through the hash list parameter, every identifier quoted', () => {
    expect(duck.renderDeleteMatching(ref, { columns: ['email"hash'], rescue: true })).toBe(
      `DELETE FROM "tenant_a"."ev""ents" AS t WHERE (t."email""hash" IN (SELECT unnest($1)) OR ` +
        `EXISTS (SELECT 1 FROM unnest($1) AS u(h) WHERE strpos(t."_boitata_rescue", '"' || u.h || '"') > 0))`,
    );
    expect(duck.renderCountMatching(ref, { columns: ['a', 'b'], rescue: false })).toBe(
      `SELECT count(*) FROM "tenant_a"."ev""ents" AS t WHERE (t."a" IN (SELECT unnest($1)) OR t."b" IN (SELECT unnest($1)))`,
    );
    expect(() => duck.renderCountMatching(ref, { columns: [], rescue: false })).toThrow(/no column/);
    expect(duck.renderDeleteMatching(ref, { columns: [], rescue: false, quoted: ['_boitata_"row'] })).toBe(
      `DELETE FROM "tenant_a"."ev""ents" AS t WHERE (EXISTS (SELECT 1 FROM unnest($1) AS u(h) WHERE strpos(t."_boitata_""row", '"' || u.h || '"') > 0))`,
    );
  });

  it('writes the cutoff offset the way DuckDB reads it, after checking it', () => {
    expect(duck.renderCountReceivedBefore(ref, '2026-06-12 10:00:00.123456 +05:30')).toBe(
      `SELECT count(*) FROM "tenant_a"."ev""ents" WHERE "_boitata_received_at" < TIMESTAMPTZ '2026-06-12 10:00:00.123456+05:30'`,
    );
    expect(() => duck.renderDeleteReceivedBefore(ref, '2026-06-12')).toThrow(/not canonical/);
    expect(duck.renderDropTable(ref)).toBe(`DROP TABLE IF EXISTS "tenant_a"."ev""ents"`);
    expect(duck.renderDropSchema(ref)).toBe(`DROP SCHEMA IF EXISTS "tenant_a"`);
  });
});
