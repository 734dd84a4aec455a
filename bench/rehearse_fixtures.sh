#!/usr/bin/env bash
# rehearse_fixtures.sh - rehearses the migration sets of ../shared/data
# (golang-migrate, dbmate, Flyway) that apply to an engine, after turning each
# into a sluice project (up/down pairs kept; Flyway has no down, so its
# rehearsals end NO-GO at the first revert: that figure is the point). Prints
# one Markdown row per set and engine: verdict, migrations, up and down ms,
# rewrites, what failed. Needs SLUICE_TEST_PG_URL / SLUICE_TEST_MY_URL for the
# servers (tests/servers/servers.sh); SQLite always runs.
# usage: bench/rehearse_fixtures.sh SLUICE_BINARY
set -uo pipefail
SLUICE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/../shared/data
W=$(mktemp -d /tmp/sluice-rhfx.XXXXXX)
trap 'rm -rf "$W"' EXIT

header() { printf -- '-- title: %s\n-- ticket: FIXTURE\n\n' "$1"; }

# set_golang DIR OUT: N_name.up.sql / N_name.down.sql pairs
set_golang() {
  for up in "$1"/*.up.sql; do
    b=$(basename "$up" .up.sql); id=${b%%_*}; slug=${b#*_}
    # golang-migrate runs comment-only files; sluice refuses an empty up section: leave them out
    grep -qvE '^[[:space:]]*(--.*)?$' "$up" || continue
    { header "$slug"; echo "-- +sluice up"; cat "$up"; echo
      if [ -f "$1/$b.down.sql" ]; then echo "-- +sluice down"; cat "$1/$b.down.sql"; fi; } > "$2/${id}_${slug}.sql"
  done
}
# set_dbmate DIR OUT: "-- migrate:up" / "-- migrate:down" markers
set_dbmate() {
  for f in "$1"/*.sql; do
    b=$(basename "$f" .sql)
    { header "${b#*_}"; sed -e 's/^-- migrate:up.*/-- +sluice up/' -e 's/^-- migrate:down.*/-- +sluice down/' "$f"; } > "$2/$b.sql"
  done
}
# set_flyway DIR OUT: V<major>[._<minor>]__<desc>.sql, up only
set_flyway() {
  for f in "$1"/V*.sql; do
    b=$(basename "$f" .sql); v=${b%%__*}; v=${v#V}; maj=${v%%[._]*}; min=0
    [ "$v" != "$maj" ] && min=${v#*[._]} && min=${min%%[._]*}
    id=$((maj * 1000 + min + 1000)); slug=$(echo "${b#*__}" | tr 'A-Z' 'a-z' | cut -c1-40)
    { header "$slug"; echo "-- +sluice up"; cat "$f"; } > "$2/${id}_${slug}.sql"
  done
}

empty_db() { # empty_db ENGINE NAME -> URL
  case $1 in
    sqlite) rm -f "$W/$2.db"; echo "sqlite:$W/$2.db" ;;
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2" >/dev/null 2>&1
              echo "${SLUICE_TEST_PG_URL%/*}/$2" ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
             -e "DROP DATABASE IF EXISTS $2; CREATE DATABASE $2" >/dev/null 2>&1
           echo "${SLUICE_TEST_MY_URL%/*}/$2" ;;
  esac
}

rehearse_set() { # rehearse_set LABEL ENGINE KIND DIR
  local label=$1 engine=$2 kind=$3 dir=$4 P=$W/p$RANDOM
  mkdir -p "$P/migrations"; "set_$kind" "$dir" "$P/migrations"
  # an applied no-op first migration gives the database its history table
  printf -- '-- title: start\n\n-- +sluice up\nSELECT 1;\n-- +sluice down\nSELECT 1;\n' > "$P/migrations/0_start.sql"
  local url; url=$(empty_db "$engine" "rhfx_$RANDOM")
  (cd "$P" && { "$SLUICE" up "$url" --to 0 >/dev/null 2>err.txt && "$SLUICE" rehearse "$url" --json --no-record > out.json 2> err.txt; })
  python3 - "$label" "$engine" "$P/out.json" "$P/err.txt" <<'PY'
import json, sys
label, engine, out, err = sys.argv[1:5]
try:
    d = json.load(open(out))
except Exception:
    e = open(err).read().strip().replace("|", "\\|").splitlines()
    print(f"| {label} | {engine} | error | | | | | {(e[-1] if e else '')[:150]} |"); sys.exit()
ms = d["migrations"]
up = sum(m["up"]["median_us"] for m in ms) / 1000
down = sum(m["down"]["median_us"] for m in ms) / 1000
rw = sum(m["rewrites"] for m in ms)
why = "; ".join(d["failed"])[:150].replace("|", "\\|")
print(f"| {label} | {engine} | {d['verdict']} | {len(ms)} | {up:.1f} | {down:.1f} | {rw} | {why} |")
PY
}

echo "| set | engine | verdict | migrations | up ms | down ms | rewrites | failed thresholds / error |"
echo "|---|---|---|---:|---:|---:|---:|---|"
G=$DATA/migration-tool-fixtures/golang-migrate
rehearse_set golang-migrate/sqlite sqlite golang "$G/sqlite"
rehearse_set dbmate sqlite dbmate "$DATA/migration-tool-fixtures/dbmate/migrations"
rehearse_set flyway/sql sqlite flyway "$DATA/flyway-fixtures/sql"
for s in "$DATA"/flyway-fixtures/dbsupport/sqlite/sql/*/; do rehearse_set "flyway/sqlite/$(basename "$s")" sqlite flyway "$s"; done
if [ -n "${SLUICE_TEST_PG_URL:-}" ]; then
  rehearse_set golang-migrate/postgres postgres golang "$G/postgres"
  rehearse_set dbmate postgres dbmate "$DATA/migration-tool-fixtures/dbmate/migrations"
  rehearse_set flyway/sql postgres flyway "$DATA/flyway-fixtures/sql"
  for s in "$DATA"/flyway-fixtures/dbsupport/postgresql/sql/*/; do rehearse_set "flyway/postgresql/$(basename "$s")" postgres flyway "$s"; done
fi
if [ -n "${SLUICE_TEST_MY_URL:-}" ]; then
  rehearse_set golang-migrate/mysql mysql golang "$G/mysql"
  rehearse_set dbmate mysql dbmate "$DATA/migration-tool-fixtures/dbmate/migrations"
  rehearse_set flyway/sql mysql flyway "$DATA/flyway-fixtures/sql"
  for s in "$DATA"/flyway-fixtures/dbsupport/mysql/sql/*/; do rehearse_set "flyway/mysql/$(basename "$s")" mysql flyway "$s"; done
fi
