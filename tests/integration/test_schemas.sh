#!/usr/bin/env bash
# test_schemas.sh - PostgreSQL schemas other than public (docs/schemas.md),
# on the neosync "sqlmanager" set of ../shared/data: 28 tables in three
# schemas ("sqlmanagerpostgres@special", "CaPiTaL", "bookings") and none in
# public. A copy of the default schema refuses to copy nothing (exit 2) and
# names the 28 tables it would leave behind; --all-schemas copies every one
# to SQLite and to MariaDB (schema__table names, a name too long for MariaDB
# fitted), with each table's rows counted on both sides and `sluice diff
# --all-schemas` finding no difference; --schema NAME copies one schema
# under its own names and says where the rest are; `check` finds a rule's
# table by the same names on the source and on the copy; a table of the
# default schema keeps its name next to prefixed ones.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
SET="$SLUICE_SOURCE_DIR/../shared/data/neosync-testdata/postgres/sqlmanager"
if ! echo "$ENGINES" | grep -qx postgres; then echo "SKIP: needs PostgreSQL" >&2; finish; exit; fi
[ -d "$SET" ] || { echo "SKIP: $SET is absent" >&2; finish; exit; }
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

SRC=$(scratch_url postgres sluice_schemas_src)
psql -q -v ON_ERROR_STOP=1 "$SRC" -f "$SET/create-schemas.sql" -f "$SET/setup.sql" >/dev/null || bad "load the sqlmanager set"

# every base table of the source as "schema<TAB>table<TAB>rows", sorted
pg_tables() {
  local t
  sql postgres "$SRC" "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\_%' ORDER BY 1, 2" |
  while IFS=$'\t' read -r s t; do
    printf '%s\t%s\t%s\n' "$s" "$t" "$(sql postgres "$SRC" "SELECT count(*) FROM \"$s\".\"$t\"")"
  done
}
pg_tables >"$TMP/src_tables"
[ "$(wc -l <"$TMP/src_tables")" = 28 ] && ok || bad "the set has 28 tables: $(wc -l <"$TMP/src_tables")"
[ "$(awk -F'\t' '$1 == "public"' "$TMP/src_tables" | wc -l)" = 0 ] && ok || bad "no table in public"

# --- the default schema holds nothing: refused, and the 28 are named --------
run "$SLUICE" copy "$SRC" "sqlite:$TMP/none.db"
expect_rc 2 "copy of an empty default schema"
expect_err "nothing to copy" "says nothing would be copied"
expect_err 'left behind: 28 tables in schemas not selected: "CaPiTaL" (2), "bookings" (8), "sqlmanagerpostgres@special" (18)' \
  "says how many tables are left behind and where"
run "$SLUICE" copy "$SRC" "sqlite:$TMP/none.db" --plan
expect_out "left behind: 28 tables" "--plan says what is left behind"

# --- --all-schemas: every table, to SQLite and MariaDB ----------------------
# target_rows ENGINE URL NAME: rows of one target table
target_rows() {
  case $1 in
    sqlite) sql sqlite "$2" "SELECT count(*) FROM \"$3\"" ;;
    mysql) sql mysql "$2" "SELECT count(*) FROM \`$3\`" ;;
  esac
}
for e in sqlite mysql; do
  echo "$ENGINES" | grep -qx "$e" || continue
  url=$(scratch_url "$e" sluice_schemas_all)
  run "$SLUICE" copy "$SRC" "$url" --all-schemas --json
  expect_rc 0 "$e: copy --all-schemas"
  expect_out '"finished": true' "$e: finished"
  expect_out '"left_behind": 0' "$e: nothing left behind"
  python3 - "$TMP/out" "$TMP/src_tables" "$e" >"$TMP/pairs" <<'PY' || bad "$e: the copy's tables"
import json, sys
res = json.load(open(sys.argv[1]))
src = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
got = {t["table"]: t for t in res["tables"]}
assert len(got) == 28, len(got)
for schema, table, rows in src:
    t = got["%s__%s" % (schema, table)]          # every table, under its flat name
    assert t["read"] == int(rows) == t["written"], (t, rows)
    assert t["done"] and t["rejected"] == 0, t
    if sys.argv[3] == "mysql" and len(t["table"]) > 64:
        assert len(t["target"]) == 64 and t["target"] != t["table"], t
    print("%s\t%s" % (t["target"], rows))
PY
  n=0
  while IFS=$'\t' read -r name rows; do
    got=$(target_rows "$e" "$url" "$name")
    [ "$got" = "$rows" ] && n=$((n + 1)) || bad "$e: \"$name\" has $got rows, the source $rows"
  done <"$TMP/pairs"
  [ $n = 28 ] && ok || bad "$e: $n of 28 tables present with the source's rows"
  run "$SLUICE" diff "$SRC" "$url" --all-schemas
  expect_rc 0 "$e: diff --all-schemas after the copy"
  expect_out "0 discrepancies" "$e: no discrepancy"
  [ "$e" = mysql ] && sql mysql "$url" "DROP DATABASE sluice_schemas_all"
done

# --- --schema NAME: one schema under its own names --------------------------
run "$SLUICE" copy "$SRC" "sqlite:$TMP/bookings.db" --schema bookings -q
expect_rc 0 "copy --schema bookings"
expect_err 'left behind: 20 tables in schemas not selected: "CaPiTaL" (2), "sqlmanagerpostgres@special" (18)' \
  "--schema says where the rest are"
[ "$(sql sqlite "sqlite:$TMP/bookings.db" "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master
    WHERE type = 'table' AND name NOT LIKE 'sluice%' AND name NOT LIKE 'sqlite%' ORDER BY name)")" = \
  "aircrafts_data,airports_data,boarding_passes,bookings,flights,seats,ticket_flights,tickets" ] && ok ||
  bad "--schema bookings: the 8 tables under their own names"
run "$SLUICE" copy "$SRC" "sqlite:$TMP/two.db" --schema bookings --schema CaPiTaL -q
expect_rc 0 "copy --schema twice"
[ "$(sql sqlite "sqlite:$TMP/two.db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND (name LIKE 'bookings\_\_%' ESCAPE '\' OR name LIKE 'CaPiTaL\_\_%' ESCAPE '\')")" = 10 ] &&
  ok || bad "two schemas: 10 tables named schema__table"
run "$SLUICE" copy "$SRC" "sqlite:$TMP/x.db" --schema nosuch
expect_rc 2 "an unknown schema"; expect_err 'schema "nosuch" does not exist' "the unknown schema is named"
run "$SLUICE" copy "$SRC" "sqlite:$TMP/x.db" --schema bookings --all-schemas
expect_rc 2 "--schema and --all-schemas exclude each other"

# --- check: the same names on the source and on the copy --------------------
cat >"$TMP/sluice.yaml" <<YAML
project: schemas
environments:
  src: { url: "$SRC" }
  copy: { url: "sqlite:$TMP/all.db" }
rules:
  - { name: flights have ids, type: not_null, table: bookings__flights, columns: [flight_id] }
  - { name: one name each, type: unique, table: CaPiTaL__BadName, columns: [NAME] }
  - { name: names known, type: relationship, table: "CaPiTaL__Bad Name 123!@#", columns: [NAME],
      references: { table: CaPiTaL__BadName, columns: [NAME] } }
YAML
run "$SLUICE" copy -C "$TMP/sluice.yaml" src copy --all-schemas -q; expect_rc 0 "copy for check"
for env in src copy; do
  run "$SLUICE" check -C "$TMP/sluice.yaml" "$env" --all-schemas --json
  expect_rc 0 "check $env --all-schemas"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; assert len(r) == 3 and all(x["status"] == "pass" for x in r), r' \
    "$TMP/out" && ok || bad "check $env: three rules pass"
done
run "$SLUICE" check -C "$TMP/sluice.yaml" src
expect_rc 2 "check without --all-schemas does not find the tables"
expect_err 'table "bookings__flights" does not exist' "the rule's table is named"

# --- a table of the default schema keeps its name ---------------------------
sql postgres "$SRC" "CREATE TABLE public.users (id int PRIMARY KEY); INSERT INTO public.users VALUES (1), (2)" >/dev/null
run "$SLUICE" copy "$SRC" "sqlite:$TMP/mixed.db" --all-schemas -q; expect_rc 0 "copy with public"
[ "$(sql sqlite "sqlite:$TMP/mixed.db" "SELECT count(*) FROM users")" = 2 ] && ok || bad "public.users is users"
[ "$(sql sqlite "sqlite:$TMP/mixed.db" "SELECT count(*) FROM \"sqlmanagerpostgres@special__users\"")" = 0 ] && ok ||
  bad "the other users is schema__users"
run "$SLUICE" copy "$SRC" "sqlite:$TMP/public.db" -q; expect_rc 0 "copy of public alone"
expect_err "left behind: 28 tables" "public alone: the others are named"

psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS sluice_schemas_src WITH (FORCE)"
finish
