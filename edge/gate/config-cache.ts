// A gate's copy of its credential's config: read from Postgres at most once per GATE_CONFIG_TTL_SECONDS, one read
// shared by concurrent admissions, each of which waits for it only until its own deadline.
import { compileAllowlist, type IpAllowlist } from '../../shared/ip-allowlist.ts';
import type { CredentialKind } from '../../shared/credential-format.ts';
import { noAnswerInTime, type SqlClient } from '../db/sql-client.ts';
import { loadCredentialConfig, type CredentialConfig } from './credential-config.ts';

export interface CachedConfig {
  /** Null when no credential has this hash. */
  config: CredentialConfig | null;
  allowlist: IpAllowlist;
  loadedAt: number;
}

export interface ConfigSource {
  /** The HTTP path: config reads are rare, so they need no warm connection. */
  sql: SqlClient;
  ttlMs: number;
}

export class ConfigCache {
  private source: ConfigSource;
  private cached: CachedConfig | undefined;
  private loading: Promise<CachedConfig> | undefined;

  constructor(source: ConfigSource) {
    this.source = source;
  }

  /** Another database or TTL (tests redeploy a running gate): the next admission reads the config again. */
  reset(source: ConfigSource): void {
    this.source = source;
    this.cached = undefined;
  }

  /** The credential (or its tenant) is gone from Postgres: the next admission reads the config again, and finds none. */
  forget(): void {
    this.cached = undefined;
  }

  /** The cached config, re-read once it is older than the TTL; rejects with a 503 past `deadlineAt`. */
  async current(kind: CredentialKind, hashHex: string, deadlineAt: number): Promise<CachedConfig> {
    const fresh = this.cached !== undefined && Date.now() - this.cached.loadedAt < this.source.ttlMs;
    if (fresh) return this.cached!;
    this.loading ??= this.load(kind, hashHex, deadlineAt).finally(() => {
      this.loading = undefined;
    });
    const waitedFrom = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(noAnswerInTime(Date.now() - waitedFrom)), Math.max(0, deadlineAt - waitedFrom));
    });
    try {
      return await Promise.race([this.loading, timedOut]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private async load(kind: CredentialKind, hashHex: string, deadlineAt: number): Promise<CachedConfig> {
    const config = await loadCredentialConfig(this.source.sql, kind, hashHex, { deadlineAt });
    this.cached = { config, allowlist: compileAllowlist(config?.allowedCidrs ?? []), loadedAt: Date.now() };
    return this.cached;
  }
}
