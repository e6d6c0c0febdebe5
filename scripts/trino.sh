#!/usr/bin/env bash
# Local Trino 476 with the Iceberg connector, for development and CI: scripts/trino.sh <install|start|stop|status>
# Owns: the install under $BOITATA_CACHE/trino-476 (downloads cached in $BOITATA_CACHE/trino-dl),
# the runtime dir $TRINO_DATA_DIR (etc/ is rewritten by every start; data/, var/log/, warehouse/),
# and the Iceberg JDBC catalog database (boitata_iceberg on the local PostgreSQL).
# Trino 476 is the newest release on Maven Central (477+ ship only on GitHub) and needs JDK >= 24.
set -euo pipefail

TRINO_VERSION=476
BOITATA_CACHE="${BOITATA_CACHE:-$HOME/.cache/boitata}"
TRINO_DL_DIR="${TRINO_DL_DIR:-$BOITATA_CACHE/trino-dl}"
TRINO_HOME="${TRINO_HOME:-$BOITATA_CACHE/trino-$TRINO_VERSION}"
TRINO_DATA_DIR="${TRINO_DATA_DIR:-$BOITATA_CACHE/trino-run}"
TRINO_PORT="${TRINO_PORT:-8090}"
TRINO_START_TIMEOUT="${TRINO_START_TIMEOUT:-180}"
TRINO_CATALOG_DB_URL="${TRINO_CATALOG_DB_URL:-jdbc:postgresql://127.0.0.1:5432/boitata_iceberg}"
TRINO_CATALOG_DB_USER="${TRINO_CATALOG_DB_USER:-postgres}"
TRINO_CATALOG_DB_PASSWORD="${TRINO_CATALOG_DB_PASSWORD:-}"
URL="http://127.0.0.1:$TRINO_PORT"
WAREHOUSE="$TRINO_DATA_DIR/warehouse"

log() { printf '== %s\n' "$*"; }
die() { printf 'trino.sh: %s\n' "$*" >&2; exit 1; }

# --- install: server-core tarball + Iceberg plugin zip, fetched with Maven when not cached
fetch() { # fetch <artifact-id> <type>
  local file="$TRINO_DL_DIR/$1-$TRINO_VERSION.$2"
  if [ ! -s "$file" ]; then
    command -v mvn >/dev/null || die "mvn is needed to download $1 (or put $(basename "$file") in $TRINO_DL_DIR)"
    log "downloading io.trino:$1:$TRINO_VERSION:$2 from Maven Central" >&2
    mkdir -p "$TRINO_DL_DIR"
    mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="io.trino:$1:$TRINO_VERSION:$2" -DoutputDirectory="$TRINO_DL_DIR" >&2
  fi
  echo "$file"
}
install() {
  if [ -x "$TRINO_HOME/bin/launcher" ] && compgen -G "$TRINO_HOME/plugin/iceberg/*.jar" >/dev/null; then
    log "Trino $TRINO_VERSION already installed in $TRINO_HOME"; return
  fi
  local core zip tmp
  core="$(fetch trino-server-core tar.gz)"; zip="$(fetch trino-iceberg zip)"
  log "unpacking Trino $TRINO_VERSION into $TRINO_HOME"
  tmp="$TRINO_HOME.tmp"; rm -rf "$tmp"; mkdir -p "$tmp/plugin/iceberg"
  tar -xzf "$core" -C "$tmp" --strip-components=1
  # The zip holds one top-level folder (trino-iceberg-476/*.jar): flatten it into plugin/iceberg/.
  mkdir -p "$tmp/iceberg-zip"
  if command -v unzip >/dev/null; then unzip -q "$zip" -d "$tmp/iceberg-zip"
  else python3 -m zipfile -e "$zip" "$tmp/iceberg-zip"; fi
  find "$tmp/iceberg-zip" -name '*.jar' -exec mv -t "$tmp/plugin/iceberg/" {} +
  rm -rf "$tmp/iceberg-zip" "$TRINO_HOME"; mv "$tmp" "$TRINO_HOME"
}

java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }
# Uses TRINO_JAVA_HOME, else JAVA_HOME, else the first JDK >= 24 under /usr/lib/jvm (the default java is 17).
pick_java() {
  local j v
  for j in ${TRINO_JAVA_HOME:-} ${JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -x "$j/bin/java" ] || continue
    v="$(java_major "$j")"
    if [ "${v:-0}" -ge 24 ]; then JAVA_HOME="$j"; return; fi
    log "skipping JDK $j (version ${v:-unknown})"
  done
  die "Trino $TRINO_VERSION needs a JDK >= 24; none found (set TRINO_JAVA_HOME or JAVA_HOME)"
}

# --- the Iceberg JDBC catalog database: Trino does not create its tables (Apache Iceberg JdbcUtil, V1 schema)
prepare_catalog_db() {
  [[ "$TRINO_CATALOG_DB_URL" =~ ^jdbc:postgresql://([^:/]+)(:([0-9]+))?/([^?]+) ]] ||
    die "TRINO_CATALOG_DB_URL must look like jdbc:postgresql://host:port/db"
  local host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[3]:-5432}" db="${BASH_REMATCH[4]}"
  local -a psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$TRINO_CATALOG_DB_USER")
  export PGPASSWORD="$TRINO_CATALOG_DB_PASSWORD"
  if [ -z "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    log "creating catalog database $db"
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$db\""
  fi
  "${psql[@]}" -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS iceberg_tables (
  catalog_name varchar(255) NOT NULL, table_namespace varchar(255) NOT NULL, table_name varchar(255) NOT NULL,
  metadata_location varchar(1000), previous_metadata_location varchar(1000), iceberg_type varchar(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name));
CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
  catalog_name varchar(255) NOT NULL, namespace varchar(255) NOT NULL,
  property_key varchar(255), property_value varchar(1000),
  PRIMARY KEY (catalog_name, namespace, property_key));
SQL
}

# --- configuration, rewritten on every start
write_config() {
  local etc="$TRINO_DATA_DIR/etc"
  rm -rf "$etc"; mkdir -p "$etc/catalog" "$TRINO_DATA_DIR/data" "$TRINO_DATA_DIR/var/log" "$WAREHOUSE"
  cat >"$etc/node.properties" <<EOF
node.environment=boitata
node.id=boitata-trino-1
node.data-dir=$TRINO_DATA_DIR/data
EOF
  # JDK 25: the 476 launcher adds no flags of its own for it; -Djava.security.manager=allow is rejected.
  cat >"$etc/jvm.config" <<EOF
-server
-Xmx${TRINO_HEAP:-6G}
-XX:+UseG1GC
-XX:G1HeapRegionSize=32M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:ReservedCodeCacheSize=256M
-XX:+EnableDynamicAgentLoading
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
--add-modules=jdk.incubator.vector
--enable-native-access=ALL-UNNAMED
--sun-misc-unsafe-memory-access=allow
EOF
  cat >"$etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$TRINO_PORT
discovery.uri=$URL
query.max-length=5000000
query.max-memory=1GB
query.max-memory-per-node=1GB
task.concurrency=2
# Finished queries keep their text and plan; ingestion statements are large, so keep few and not for long.
query.max-history=50
query.min-expire-age=2m
EOF
  echo 'io.trino=WARN' >"$etc/log.properties"
  cat >"$etc/catalog/iceberg.properties" <<EOF
connector.name=iceberg
iceberg.file-format=PARQUET
iceberg.catalog.type=jdbc
iceberg.jdbc-catalog.catalog-name=boitata
iceberg.jdbc-catalog.driver-class=org.postgresql.Driver
iceberg.jdbc-catalog.connection-url=$TRINO_CATALOG_DB_URL
iceberg.jdbc-catalog.connection-user=$TRINO_CATALOG_DB_USER
iceberg.jdbc-catalog.default-warehouse-dir=local:///
fs.native-local.enabled=true
local.location=$WAREHOUSE
# Erasure (data governance): purging deleted rows expires every older snapshot and orphan file at once (0s);
# the defaults (7d) make expire_snapshots/remove_orphan_files refuse a retention_threshold of 0s.
iceberg.expire-snapshots.min-retention=0s
iceberg.remove-orphan-files.min-retention=0s
EOF
  if [ -n "$TRINO_CATALOG_DB_PASSWORD" ]; then
    echo "iceberg.jdbc-catalog.connection-password=$TRINO_CATALOG_DB_PASSWORD" >>"$etc/catalog/iceberg.properties"
  fi
}

# --- server control
launcher() { JAVA_HOME="${JAVA_HOME:-}" "$TRINO_HOME/bin/launcher" --etc-dir="$TRINO_DATA_DIR/etc" --data-dir="$TRINO_DATA_DIR" "$@"; }
ready() { curl -sf --max-time 5 "$URL/v1/info" 2>/dev/null | grep -q '"starting":false'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$TRINO_PORT") 2>/dev/null; }
show_logs() {
  local f; for f in server.log launcher.log; do
    [ -f "$TRINO_DATA_DIR/var/log/$f" ] && { echo "--- tail of $TRINO_DATA_DIR/var/log/$f" >&2; tail -n 60 "$TRINO_DATA_DIR/var/log/$f" >&2; }
  done; return 0
}
# Runs one statement through the HTTP API, following nextUri; fails on an error in any response.
query() {
  local resp next
  resp="$(curl -sf -X POST -H 'X-Trino-User: boitata' --data-binary "$1" "$URL/v1/statement")" || return 1
  while :; do
    if grep -q '"error":' <<<"$resp"; then echo "$resp" >&2; return 1; fi
    next="$(sed -n 's/.*"nextUri":"\([^"]*\)".*/\1/p' <<<"$resp")"
    [ -n "$next" ] || return 0
    resp="$(curl -sf -H 'X-Trino-User: boitata' "$next")" || return 1
  done
}

start() {
  if ready; then log "Trino already running and ready at $URL"; return; fi
  pick_java; install
  if curl -sf --max-time 5 "$URL/v1/info" >/dev/null 2>&1; then
    log "Trino is already starting at $URL; waiting"
  else
    port_open && die "port $TRINO_PORT is in use by something other than Trino"
    prepare_catalog_db; write_config
    log "starting Trino $TRINO_VERSION on $URL with $JAVA_HOME (logs in $TRINO_DATA_DIR/var/log)"
    launcher start >/dev/null || { show_logs; die "launcher start failed"; }
  fi
  local t0=$SECONDS
  until ready; do
    if [ $((SECONDS - t0)) -ge "$TRINO_START_TIMEOUT" ] || ! launcher status >/dev/null 2>&1; then
      show_logs; die "Trino exited or was not ready within ${TRINO_START_TIMEOUT}s"
    fi
    sleep 2
  done
  log "Trino ready after $((SECONDS - t0))s; checking the Iceberg catalog"
  query 'SHOW SCHEMAS FROM iceberg' || { show_logs; die "SHOW SCHEMAS FROM iceberg failed"; }
  log "Trino ready at $URL"
}

stop() {
  if [ -x "$TRINO_HOME/bin/launcher" ] && [ -d "$TRINO_DATA_DIR/etc" ]; then launcher stop >/dev/null || true; fi
  local t0=$SECONDS
  while port_open; do
    [ $((SECONDS - t0)) -ge 60 ] && { launcher kill || true; }
    [ $((SECONDS - t0)) -ge 90 ] && die "port $TRINO_PORT still open"
    sleep 1
  done
  log "Trino stopped"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if ready; then log "Trino ready at $URL"; else log "Trino not ready at $URL"; exit 1; fi ;;
  *) echo "usage: $0 <install|start|stop|status>" >&2; exit 2 ;;
esac
