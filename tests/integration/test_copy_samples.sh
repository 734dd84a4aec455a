#!/usr/bin/env bash
# test_copy_samples.sh - the real sample databases of ../shared/data, loaded (lib/fixtures.sh)
# into their own engine with that engine's client, then copied by sluice to
# each other engine: chinook (PostgreSQL and MariaDB scripts), pagila
# (PostgreSQL), sakila (MariaDB) and northwind (PostgreSQL port).
# Each copy ends with a reconciliation: exit 0 with no rejects, the plan's
# tables all there, per-table row counts equal to the source's (counted with
# the engines' own clients), and `sluice diff` reporting exactly the expected
# differences (docs/copy.md, "Sample databases", says why each one is there).
# A sample whose folder is absent is skipped with a message.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/fixtures.sh"
ENGINES=$(engines) || exit 1
DATA="$SLUICE_SOURCE_DIR/../shared/data"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

have() { echo "$ENGINES" | grep -qx "$1"; }
skip() { echo "SKIP: $*" >&2; }
made=() # server databases this test created: dropped at the end

# src_url ENGINE NAME: a fresh, remembered server database
src_url() { made+=("$1:$2"); scratch_url "$1" "$2"; }

# q ENGINE NAME: NAME quoted for ENGINE
q() { case $1 in mysql) printf '`%s`' "$2" ;; *) printf '"%s"' "$2" ;; esac; }

# base_tables ENGINE URL: the user tables, sorted (partitions count in their parent)
base_tables() {
  case $1 in
    sqlite) sql sqlite "$2" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'" ;;
    postgres) sql postgres "$2" "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition" ;;
    mysql) sql mysql "$2" "SELECT table_name FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'" ;;
  esac | grep -v '^sluice_' | LC_ALL=C sort
}

# copy_check LABEL SE SURL TE TNAME [TABLE:COLUMN:N ...]
# Copies SURL (engine SE) into a fresh TE database TNAME and reconciles. Each
# TABLE:COLUMN:N is an expected difference: N rows of TABLE differ in COLUMN
# only. Leaves the target URL in $TURL and the diff's JSON lines in $TMP/diff.
copy_check() {
  local label=$1 se=$2 surl=$3 te=$4 tname=$5; shift 5
  [ "$te" = sqlite ] || made+=("$te:$tname")
  TURL=$(scratch_url "$te" "$tname")
  run "$SLUICE" copy "$surl" "$TURL" --json
  expect_rc 0 "$label: copy"
  expect_out '"finished": true' "$label: finished"
  expect_out '"rejected": 0,' "$label: no rejects"
  grep -q '"constraint":' "$TMP/out" && bad "$label: constraint problems" || ok
  # every source table was planned, under the name the target has
  sed -n '/"tables": \[/,/"violations"/p' "$TMP/out" >"$TMP/tables"
  local pairs; pairs=$(paste <(grep -o '"table": "[^"]*"' "$TMP/tables" | cut -d'"' -f4) \
                             <(grep -o '"target": "[^"]*"' "$TMP/tables" | cut -d'"' -f4))
  local planned; planned=$(cut -f1 <<<"$pairs" | LC_ALL=C sort)
  [ "$planned" = "$(base_tables "$se" "$surl")" ] && ok || bad "$label: planned tables differ from the source's"
  [ "$(cut -f2 <<<"$pairs" | LC_ALL=C sort)" = "$(base_tables "$te" "$TURL")" ] && ok ||
    bad "$label: target tables differ from the plan"
  local t tt a b n=0
  while IFS=$'\t' read -r t tt; do
    a=$(sql "$se" "$surl" "SELECT count(*) FROM $(q "$se" "$t")")
    b=$(sql "$te" "$TURL" "SELECT count(*) FROM $(q "$te" "$tt")")
    n=$((n + a))
    [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "$label: \"$tt\" has '$b' rows, source '$a'"
  done <<<"$pairs"
  echo "$label: $(wc -l <<<"$pairs") tables, $n rows" >&2
  # sluice diff: exactly the expected differences, each in its one column
  local want=0 spec tbl col cnt got
  for spec in "$@"; do want=$((want + ${spec##*:})); done
  "$SLUICE" diff "$surl" "$TURL" --json >"$TMP/diff" 2>"$TMP/differr"
  rc=$?
  [ "$rc" -eq $((want > 0)) ] && ok || bad "$label: diff exit $rc: $(head -c 300 "$TMP/differr")"
  got=$(grep -o '"kind":"total","discrepancies":[0-9]*' "$TMP/diff" | grep -o '[0-9]*$')
  [ "$got" = "$want" ] && ok || bad "$label: diff found '$got' discrepancies, expected $want: $(grep -v '"summary"' "$TMP/diff" | head -3)"
  for spec in "$@"; do
    IFS=: read -r tbl col cnt <<<"$spec"
    got=$(grep -F "\"table\":\"$tbl\",\"kind\":\"changed\"" "$TMP/diff" | grep -F "\"changed\":{\"$col\":{" |
          grep -cvF '}},"')
    [ "$got" = "$cnt" ] && ok || bad "$label: $tbl.$col: $got rows differ in it alone, expected $cnt"
  done
}

# ---- chinook: the PostgreSQL script, then the MySQL script ----------------------
if [ ! -d "$DATA/chinook" ]; then
  skip "chinook: $DATA/chinook is absent"
else
  if have postgres; then
    src=$(src_url postgres copy_smp_chinook_pg)
    chinook_pg "$src" && ok || bad "chinook: psql load: $(head -c 300 "$TMP/load.err")"
    copy_check "chinook pg->sqlite" postgres "$src" sqlite chinook_pg
    have mysql && {
      copy_check "chinook pg->mysql" postgres "$src" mysql copy_smp_chinook_pg_my
      # LOAD DATA keeps the 5 backslashes of the 4 track names the PostgreSQL script has
      [ "$(sql mysql "$TURL" "SELECT count(*) FROM track WHERE locate(char(92), name) > 0")" = 4 ] && ok ||
        bad "chinook pg->mysql: backslashes lost"
    }
  fi
  if have mysql; then
    src=$(src_url mysql copy_smp_chinook_my)
    chinook_my "$src" && ok || bad "chinook: mariadb load: $(head -c 300 "$TMP/load.err")"
    # the reconcile trap: MySQL's default escaping ate the backslashes of these 4
    # names while loading ('\ ' is ' '); the copies carry the loaded values as they are
    [ "$(sql mysql "$src" "SELECT Name FROM Track WHERE TrackId = 3435")" = \
      "Cavalleria Rusticana  Act  Intermezzo Sinfonico" ] && ok || bad "chinook: the MariaDB load kept a backslash"
    copy_check "chinook mysql->sqlite" mysql "$src" sqlite chinook_my
    have postgres && {
      copy_check "chinook mysql->pg" mysql "$src" postgres copy_smp_chinook_my_pg
      [ "$(sql postgres "$TURL" "SELECT count(*) FROM \"Track\" WHERE strpos(\"Name\", chr(92)) > 0")" = 0 ] && ok ||
        bad "chinook mysql->pg: backslashes appeared"
    }
  fi
fi

# ---- pagila (PostgreSQL, pg_dump with COPY data) -------------------------------
if [ ! -d "$DATA/pagila" ]; then
  skip "pagila: $DATA/pagila is absent"
elif have postgres; then
  src=$(src_url postgres copy_smp_pagila)
  pagila_pg "$src" && ok || bad "pagila: psql load: $(head -c 300 "$TMP/load.err")"
  # film.special_features text[] becomes a JSON array (docs/copy.md); diff compares lists by
  # their elements, so the declared cast is not a difference
  copy_check "pagila pg->sqlite" postgres "$src" sqlite pagila
  # payment is read through its parent: the 7 partitions hold 16,049 rows, none twice
  [ "$(sql sqlite "$TURL" "SELECT count(*), count(DISTINCT payment_id) FROM payment")" = $'16049\t16049' ] && ok ||
    bad "pagila: payment rows"
  [ "$(sql sqlite "$TURL" "SELECT count(*) FROM film WHERE special_features LIKE '[\"%'")" = 1000 ] && ok ||
    bad "pagila: the arrays as JSON arrays"
  # language.name character(20) loses its padding in MySQL's CHAR(20): insignificant in CHAR
  have mysql && copy_check "pagila pg->mysql" postgres "$src" mysql copy_smp_pagila_my
fi

# ---- sakila (MariaDB: schema and data scripts with DELIMITER blocks) ---------
if [ ! -d "$DATA/sakila/mysql" ]; then
  skip "sakila: $DATA/sakila/mysql is absent"
elif have mysql; then
  src=$(src_url mysql copy_smp_sakila)
  sakila_my "$src" && ok || bad "sakila: mariadb load: $(head -c 300 "$TMP/load.err")"
  # MySQL names indexes per table (idx_fk_film_id on film_actor and inventory)
  copy_check "sakila mysql->sqlite" mysql "$src" sqlite sakila
  # SET special_features becomes a text[] (same elements); CHAR(20) language.name is padded again
  have postgres && copy_check "sakila mysql->pg" mysql "$src" postgres copy_smp_sakila_pg
fi

# ---- northwind, the PostgreSQL port ------------------------------------------
if [ ! -f "$DATA/northwind/postgres/northwind.sql" ]; then
  skip "northwind: $DATA/northwind/postgres is absent"
elif have postgres; then
  src=$(src_url postgres copy_smp_northwind)
  northwind_pg "$src" && ok || bad "northwind: psql load: $(head -c 300 "$TMP/load.err")"
  copy_check "northwind pg->sqlite" postgres "$src" sqlite northwind
  have mysql && copy_check "northwind pg->mysql" postgres "$src" mysql copy_smp_northwind_my
fi

# ---- drop the server databases (kept on failure, for a look) -----------------
if [ "$failures" -eq 0 ]; then
  for m in "${made[@]}"; do
    case ${m%%:*} in
      postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS ${m#*:} WITH (FORCE)" ;;
      mysql) my_client -e "DROP DATABASE IF EXISTS ${m#*:}" ;;
    esac
  done
fi
finish
