// The text of `boitata --help`: every command with its options, and the variables that choose the databases.
import { UsageError } from './arguments.ts';

export const USAGE = `Usage: boitata <command> [options]        (--json prints JSON)

  DATABASE_URL selects the PostgreSQL (unset: the embedded one, data in BOITATA_DATA_DIR, default .boitata);
  TRINO_URL selects Trino for \`query\` (unset: the DuckDB file DUCKDB_PATH, default .boitata/warehouse.duckdb);
  BOITATA_SECRETS_KEY seals signing secrets, the same key as the edge's (unset and no DATABASE_URL: generated once
  and kept in BOITATA_DATA_DIR/secrets-key); BOITATA_SECRETS_KEY_PREVIOUS opens those sealed before a key rotation.

  migrate                                   create the database if needed and apply migrations
  tenants add <id> [--name NAME]            create a tenant (id: lowercase letters, digits, _ -)
  tenants list
  connections add --tenant T --name N [--table DEFAULT] [--allowed-ips CIDR,...] [--rate-limit N] [--max-body-bytes N]
                  [--verify PRESET (--signing-secret-file F | --signing-secret -)]
                                            create a connection; prints its ingest token ONCE. --verify makes it a
                                            provider webhook: stripe, github, shopify, slack, standard-webhooks, or
                                            hmac-sha256 --signature-header H --signature-encoding hex|base64
                                            [--signature-prefix P]. The signing secret is read from the file or
                                            standard input (never an argument), stored encrypted, never shown.
                                            --max-body-bytes: 1024..10485760 (default 1 MiB)
  connections list [--tenant T]
  connections update <connection-id> [--allowed-ips CIDR,...|none] [--rate-limit N] [--table T|none]
                  [--verify PRESET|none [--signing-secret-file F | --signing-secret -]] [--max-body-bytes N|default]
                                            change settings; gates apply them within GATE_CONFIG_TTL_SECONDS
  connections rotate-secret --id C (--signing-secret-file F | --signing-secret -) [--overlap 24h]
                                            a new signing secret now; the old one verifies for the overlap too
                                            (30m, 24h, 2d or seconds; default 24h; 0 switches at once)
  connections test-delivery --url PUSH_URL --verify PRESET (--signing-secret-file F | --signing-secret -)
                                            sign a sample event as the provider would and post it; prints the answer
  connections revoke <connection-id>
  keys add --tenant T --kind metrics|source [--source-id S] [--rate-limit N]
                                            create an API key; prints the key ONCE
  keys list [--tenant T]
  keys revoke <key-id>
  keys rotate <key-id> [--overlap 24h]      new key now, old key valid for the overlap (default 24h)
  secrets generate-key                      print a new BOITATA_SECRETS_KEY (32 random bytes, base64)
  secrets rekey                             re-seal every signing secret with BOITATA_SECRETS_KEY, opening those
                                            sealed with BOITATA_SECRETS_KEY_PREVIOUS (one transaction)
  dead-letters list [--tenant T] [--all]    messages the processor could never load, with the reason
                                            (--all includes those already replayed)
  dead-letters replay <id>... | --tenant T  put them back in the queue (rows that did land are not written twice)
  messages list --tenant T [--status queued|processing|landed|dead[,...]] [--table X] [--since WHEN] [--until WHEN]
                [--idempotency-key K] [--source S] [--limit N]
                                            a tenant's messages, newest first (metadata only; default 50, at most
                                            1000). WHEN: 30m, 2h, 1d (back from now) or 2026-06-12T10:00:00Z; --until
                                            is exclusive. --source: a connection's id or name, a source key's source
                                            id or key id, or a provider (stripe, github, …)
  messages show <message-id>                a message's state, tables and rows, attempts, dead letters, and its
                                            payload with personal data replaced by the processor's hashes (needs
                                            the processor's PII_HASH_MODE / PII_HASH_KEY, or its development key)
  messages redrive --tenant T --since S --until U [--table X] [--include-dead-on-arrival] [--dry-run]
                                            land a tenant's landed and dead messages received in [S, U) again (after a
                                            schema or alias fix), each row replacing its earlier version; --dry-run counts
                                            (messages dead on arrival only with --include-dead-on-arrival)
  columns list --tenant T --table X         a table's columns: types, aliases, descriptions, tags, PII flags
  aliases list --tenant T [--table X]       field names mapped onto columns, and who decided (typo, dictionary, model)
  aliases remove --tenant T --table X <alias>
                                            undo an alias: from the next batch on, the field gets its own column
  query "SELECT ..."                        run SQL on the warehouse (Trino or DuckDB) and print the rows
`;

/** A command that does not exist: a usage error that prints the whole text (exit code 2). */
export const unknownCommand = (command: string): UsageError => new UsageError(`unknown command "${command}"\n\n${USAGE}`);
