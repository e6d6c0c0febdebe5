import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../shared/redact-url.ts';

describe('redactUrl', () => {
  it('replaces a password, keeps the rest, and never echoes what it cannot parse', () => {
    expect(redactUrl('postgres://app:s3cr%40t@db.example.com:5432/boitata?sslmode=require')).toBe(
      'postgres://app:***@db.example.com:5432/boitata?sslmode=require',
    );
    expect(redactUrl('http://127.0.0.1:8090')).toBe('http://127.0.0.1:8090/');
    expect(redactUrl('not a url with password hunter2')).toBe('(unparseable URL)');
  });
});
