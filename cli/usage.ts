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
  tenants delete --tenant T --requested-by WHO [--dry-run]
                                            remove a tenant completely: credentials, queue and dead letters, registry,
                                            policies (Postgres, one transaction), then its warehouse tables and schema;
                                            leaves a receipt, and the id cannot be used again. --dry-run lists what
                                            would go; run it again to finish a deletion that was interrupted
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
  tables set --tenant T --table X [--contract evolve|freeze|quarantine|inherit] [--retention 90d|36h|none|inherit]
                [--requested-by WHO]        a table's schema contract and retention (h or d; none: keep for ever);
                                            inherit: follow the tenant default. Audited; a contract change is in the
                                            table's schema history and applies from the processors' next batch
  tenants set --tenant T [--contract ...] [--retention ...] [--requested-by WHO]
                                            the tenant default, for every table without a setting of its own
  tables policy --tenant T [--table X]      each table's effective contract and retention, and where each comes from
                                            (table, tenant, default); also tables show
  quarantine list --tenant T [--table X]    rows a quarantine contract kept out, per table: count, oldest, newest,
                                            reasons by count (never the values)
  quarantine redrive --tenant T --table X [--dry-run] [--requested-by WHO]
                                            after a contract or schema change, land the quarantined rows (each once)
                                            by re-driving their messages; rows whose message the queue pruned stay
  retention run [--tenant T] [--dry-run] [--requested-by WHO]
                                            apply each table's retention now (maintenance does it every
                                            MAINTENANCE_INTERVAL_MINUTES): delete rows received before now − retention;
                                            --dry-run counts them and deletes nothing
  plan --tenant T --table X <payload.json> [--ask-model]
                                            dry run: what landing this push body would do (new columns, aliases and
                                            who decides them, the model's question and cached answer, widenings,
                                            rescued values, PII flags); writes nothing. --ask-model asks the model
                                            (spends budget; caches its answer)
  erase --tenant T --match COLUMN=VALUE [--match ...] --requested-by WHO [--dry-run]
                                            erase a data subject: rows whose PII columns (aliases too) or rescue
                                            column hold the value's hash, in every table and its quarantine; the
                                            value in queued payloads, dead letters and error text. Matched exactly
                                            as sent: repeat --match for variants. Uses the processor's configuration
                                            and PII key. Keep values off the command line: --match COLUMN=- (from
                                            standard input) or --match-file F (COLUMN=VALUE lines)
  erasures list --tenant T | erasures show <id>
                                            erasure receipts (match keys as hashes, counts per table and store)
  audit list [--tenant T] [--action A] [--since WHEN] [--limit N]
                                            operator actions, newest first (default 50, at most 1000): who, when,
                                            what (credentials, replays, re-drives, tenants, …; never a secret).
                                            --action key matches key.create, key.rotate, …
  (commands that change something are recorded as --requested-by WHO, else the OS user)
  query "SELECT ..."                        run SQL on the warehouse (Trino or DuckDB) and print the rows
`;

/** A command that does not exist: a usage error that prints the whole text (exit code 2). */
export const unknownCommand = (command: string): UsageError => new UsageError(`unknown command "${command}"\n\n${USAGE}`);
