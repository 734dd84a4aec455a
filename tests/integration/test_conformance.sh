#!/usr/bin/env bash
# test_conformance.sh - every database of ../shared/data the project can load,
# loaded with its engine's own client (lib/fixtures.sh), copied by sluice to
# each other engine (pgloader's SQLite fixtures to SQLite too) and diffed.
# Each table ends exact, quarantined (its rejects carry the reason and diff
# names exactly those rows), lossy, refused by the target (with the reason),
# or the copy or diff could not handle it (docs/conformance.md).
#
# tests/conformance/expected.tsv is the oracle: the outcome of every table in
# every direction. A different outcome fails the test, listing both rows; so
# does docs/conformance.md when its generated part is not what expected.tsv
# says. After a change that is meant to change outcomes:
#     SLUICE_CONFORMANCE_UPDATE=1 (with every set) rewrites both in the source
# tree; review the diff of expected.tsv before committing.
#
# SLUICE_CONFORMANCE=full (default, `make check`): every set. quick
# (`make check-quick`): pgloader's SQLite and MySQL fixtures.
# SLUICE_CONFORMANCE_SETS=a,b runs those sets only.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/fixtures.sh"
ENGINES=$(engines) || exit 1
DATA="$SLUICE_SOURCE_DIR/../shared/data"
EXPECTED="$SLUICE_SOURCE_DIR/tests/conformance/expected.tsv"
DOC="$SLUICE_SOURCE_DIR/docs/conformance.md"
OUTCOME=(python3 "$SLUICE_SOURCE_DIR/tests/conformance/outcome.py")
ACTUAL=$TMP/actual.tsv
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
: >"$ACTUAL"
cd "$TMP" || exit 1 # no sluice.yaml here: the copies use no cast rules

QUICK="pgloader-sqlite,pgloader-mysql"
FULL="$QUICK,chinook-sqlite,chinook-pg,chinook-mysql,pagila,sakila-mysql,sakila-pg,northwind-sqlite,northwind-pg"
FULL="$FULL,neosync-pg,neosync-mysql,gh-ost"
case ${SLUICE_CONFORMANCE:-full} in
  quick) SETS=${SLUICE_CONFORMANCE_SETS:-$QUICK} ;;
  full) SETS=${SLUICE_CONFORMANCE_SETS:-$FULL} ;;
  *) echo "SLUICE_CONFORMANCE must be quick or full" >&2; exit 2 ;;
esac
[ -d "$DATA" ] || { echo "SKIP: $DATA is absent" >&2; finish; exit; }
for e in postgres mysql; do
  echo "$ENGINES" | grep -qx $e || { echo "SKIP: the conformance run needs every engine ($e is missing)" >&2; finish; exit; }
done
want() { case ",$SETS," in *",$1,"*) return 0 ;; esac; return 1; }

n=0
made=() # server databases to drop at the end: ENGINE:NAME

# load_error: the client's first error line (mariadb prints the statement before it)
load_error() { grep -m1 -iE '^(ERROR|psql:|cp:)' "$TMP/load.err" || head -1 "$TMP/load.err"; }

# drop ENGINE URL
drop() {
  case $1 in
    sqlite) rm -f "${2#sqlite:}" ;;
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS ${2##*/} WITH (FORCE)" >/dev/null ;;
    mysql) my_client -e "DROP DATABASE IF EXISTS \`${2##*/}\`" >/dev/null ;;
  esac
}

# pair SET UNIT SE SURL TE: SURL copied into a fresh TE database, diffed, judged
pair() {
  local set=$1 unit=$2 se=$3 surl=$4 te=$5 turl crc w=$TMP/w
  n=$((n + 1))
  turl=$(scratch_url "$te" "conf_t$n")
  rm -rf "$w" && mkdir -p "$w"
  "$SLUICE" copy "$surl" "$turl" --json -q --max-rejects 1000000000 >"$w/copy.json" 2>"$w/copy.err"
  crc=$?
  "$SLUICE" copy --rejects "$turl" --json >"$w/rejects.json" 2>/dev/null
  "$SLUICE" diff "$surl" "$turl" --json >"$w/diff.jsonl" 2>"$w/diff.err"
  "${OUTCOME[@]}" table "$set" "$se->$te" "$unit" "$w/copy.json" "$crc" "$w/copy.err" "$w/rejects.json" \
    "$w/diff.jsonl" "$w/diff.err" >>"$ACTUAL" || bad "$set $unit $se->$te: judging failed"
  drop "$te" "$turl"
}

# targets SE [same]: the engines a source of SE is copied to
targets() {
  local e
  for e in sqlite postgres mysql; do
    [ "$e" != "$1" ] || [ "${2:-}" = same ] && echo "$e"
  done
}

# copy_unit SET UNIT SE SURL [same]: one loaded source to each target
copy_unit() {
  local t
  for t in $(targets "$3" "${5:-}"); do pair "$1" "$2" "$3" "$4" "$t"; done
}

# unit SET UNIT SE LOADER [ARG] [--same]: a fresh SE database loaded by LOADER, copied
unit() {
  local set=$1 u=$2 se=$3 loader=$4 arg=${5:-} same=${6:-} surl
  n=$((n + 1))
  surl=$(scratch_url "$se" "conf_s$n")
  [ "$se" = sqlite ] || made+=("$se:${surl##*/}")
  if ! $loader "$surl" "$arg"; then
    "${OUTCOME[@]}" unloaded "$set" "$u" "$(targets "$se" "$same" | sed "s/^/$se->/" | paste -sd,)" \
      "$(load_error)" >>"$ACTUAL"
    return
  fi
  copy_unit "$set" "$u" "$se" "$surl" "$same"
  drop "$se" "$surl"
}

# pg_schemas SET UNIT URL: each schema of a loaded PostgreSQL database holding tables is a unit,
# read through search_path (URL option), so sets outside "public" copy whole
pg_schemas() {
  local set=$1 u=$2 url=$3 s enc
  for s in $(sql postgres "$url" "SELECT DISTINCT table_schema FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1"); do
    if [ "$s" = public ]; then
      copy_unit "$set" "$u" postgres "$url"
    else
      enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote("-csearch_path=\"%s\"" % sys.argv[1], safe=""))' "$s")
      copy_unit "$set" "$u.$s" postgres "$url?options=$enc"
    fi
  done
}

# ---- the sets ------------------------------------------------------------------
if want pgloader-sqlite; then
  for f in sqlite.db storage.sqlite bad-utf8.db type-mismatch.db collision.db test_pk.db; do
    unit pgloader-sqlite "$f" sqlite pgloader_sqlite "$f" same
  done
fi
if want pgloader-mysql; then
  for f in my.sql hex.sql history.sql db789.sql; do unit pgloader-mysql "$f" mysql pgloader_my "$f"; done
fi
want chinook-sqlite && unit chinook-sqlite Chinook_Sqlite sqlite chinook_sqlite
want chinook-pg && unit chinook-pg Chinook_PostgreSql postgres chinook_pg
want chinook-mysql && unit chinook-mysql Chinook_MySql mysql chinook_my
want pagila && unit pagila pagila postgres pagila_pg
want sakila-mysql && unit sakila-mysql sakila mysql sakila_my
want sakila-pg && unit sakila-pg sakila postgres sakila_pg
want northwind-sqlite && unit northwind-sqlite northwind sqlite northwind_sqlite
want northwind-pg && unit northwind-pg northwind postgres northwind_pg
if want neosync-pg; then
  for s in alltypes edgecases complex subsetting foreignkey-violations humanresources schema-init transformers \
    uuids sqlmanager selectquerybuilder; do
    n=$((n + 1))
    src=$(scratch_url postgres "conf_s$n")
    made+=("postgres:${src##*/}")
    if neosync_pg "$src" "$s"; then
      pg_schemas neosync-pg "$s" "$src"
    else
      "${OUTCOME[@]}" unloaded neosync-pg "$s" "postgres->sqlite,postgres->mysql" "$(load_error)" >>"$ACTUAL"
    fi
    drop postgres "$src"
  done
fi
if want neosync-mysql; then
  for s in alltypes composite-keys humanresources complex edgecases schema-init; do
    unit neosync-mysql "$s" mysql neosync_my "$s"
  done
  n=$((n + 1))
  src=$(scratch_url mysql "conf_s$n")
  made+=("mysql:${src##*/}" "mysql:${src##*/}_1" "mysql:${src##*/}_2" "mysql:${src##*/}_3" "mysql:${src##*/}_4")
  if neosync_my "$src" sqlmanager; then
    for i in 1 2 3 4; do copy_unit neosync-mysql "sqlmanager.$i" mysql "${src}_$i"; done
  else
    "${OUTCOME[@]}" unloaded neosync-mysql sqlmanager "mysql->sqlite,mysql->postgres" "$(load_error)" >>"$ACTUAL"
  fi
  for i in "" _1 _2 _3 _4; do drop mysql "$src$i"; done
fi
if want gh-ost; then
  for c in "$DATA"/gh-ost-localtests/*/; do
    c=$(basename "$c")
    unit gh-ost "$c" mysql ghost_my "$c"
  done
fi

# ---- judge: the oracle, then the generated documentation ------------------------
ran=$(echo "$SETS" | tr ',' '\n' | grep -v '^$' | paste -sd,)
if [ "${SLUICE_CONFORMANCE_UPDATE:-}" = 1 ]; then
  "${OUTCOME[@]}" merge "$EXPECTED" "$ACTUAL" "$ran" >"$TMP/expected.new" && mv "$TMP/expected.new" "$EXPECTED"
  echo "conformance: rewrote $EXPECTED for $ran" >&2
fi
if "${OUTCOME[@]}" compare "$EXPECTED" "$ACTUAL" "$ran" >"$TMP/cmp"; then
  ok
else
  bad "conformance: outcomes differ from tests/conformance/expected.tsv:
$(cat "$TMP/cmp")"
fi
"${OUTCOME[@]}" docs "$EXPECTED" "$DOC" >"$TMP/doc.new"
if [ "${SLUICE_CONFORMANCE_UPDATE:-}" = 1 ]; then
  cp "$TMP/doc.new" "$DOC"
fi
cmp -s "$TMP/doc.new" "$DOC" && ok || bad "docs/conformance.md is not generated from tests/conformance/expected.tsv:
$(diff "$DOC" "$TMP/doc.new" | head -20)"
echo "conformance ($ran): $(wc -l <"$ACTUAL") table outcomes, $n databases made" >&2

for m in "${made[@]}"; do drop "${m%%:*}" "x/${m#*:}"; done
finish
