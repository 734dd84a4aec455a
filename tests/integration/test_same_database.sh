#!/usr/bin/env bash
# test_same_database.sh - copy and diff refuse a source and target that are
# the same database (exit 6, before anything is written), however the two
# are named: the same SQLite path, a symlink, a relative path, a hard link, an
# environment of sluice.yaml; PostgreSQL through 127.0.0.1, localhost and its
# unix socket; MariaDB through 127.0.0.1, localhost over TCP and its socket.
# Then --restart over tables sluice did not create: refused without a
# terminal (exit 6, the tables named, nothing dropped), asked on a terminal
# (no keeps them, yes drops them), and --force. Each refusal ends with the
# source's rows counted again.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
have() { echo "$ENGINES" | grep -qx "$1"; }

MSG="source and target are the same database: refusing to"

# refused CMD LABEL SOURCE TARGET: copy (or diff) exits 6 with the message
refused() {
  local cmd=$1 label=$2; shift 2
  run "$SLUICE" "$cmd" "$@"
  expect_rc 6 "$label: $cmd refused"
  expect_err "$MSG $cmd" "$label: $cmd says why"
  expect_nowhere "sluice-test-pw" "$label: no password"
}

# --- SQLite ---------------------------------------------------------------
DB=$TMP/app.db
sqlite3 "$DB" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) INSERT INTO t SELECT x, 'v' || x FROM c;"
ln -s "$DB" "$TMP/link.db"
ln "$DB" "$TMP/hard.db"
mkdir -p "$TMP/sub"
cat >"$TMP/sluice.yaml" <<YAML
project: same
environments:
  prod: { url: "sqlite:$DB" }
  also_prod: { url: "sqlite:$TMP/sub/../link.db" }
YAML
for flag in "" --restart --data-only; do
  refused copy "same path $flag" "sqlite:$DB" "sqlite:$DB" $flag
done
refused copy "symlink" "sqlite:$DB" "sqlite:$TMP/link.db" --restart
refused copy "hard link" "sqlite:$TMP/hard.db" "sqlite:$DB" --restart
cd "$TMP/sub" || exit 1
run "$SLUICE" copy "sqlite:../app.db" "sqlite:$DB" --restart
expect_rc 6 "relative path: copy refused"; expect_err "$MSG copy" "relative path"
cd "$TMP" || exit 1
run "$SLUICE" copy prod also_prod --restart
expect_rc 6 "environment names: copy refused"; expect_err "$MSG copy" "environment names"
run "$SLUICE" copy prod "sqlite:$TMP/link.db"
expect_rc 6 "environment and URL: copy refused"
run "$SLUICE" diff prod also_prod
expect_rc 6 "environment names: diff refused"; expect_err "$MSG diff" "environment names: diff"
cd "$SLUICE_SOURCE_DIR" || exit 1
refused diff "symlink" "sqlite:$DB" "sqlite:$TMP/link.db"
[ "$(sqlite3 "$DB" "SELECT count(*) || ' ' || sum(id) FROM t")" = "100 5050" ] && ok || bad "the SQLite source lost rows"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sluice%'")" = 0 ] && ok ||
  bad "a refused copy wrote its state tables into the source"
# a different file is not refused
cp "$DB" "$TMP/other.db"
run "$SLUICE" diff "sqlite:$DB" "sqlite:$TMP/other.db"; expect_rc 0 "a copy of the file is another database"

# --- PostgreSQL -----------------------------------------------------------
if have postgres; then
  url=$(scratch_url postgres same_db)
  sql postgres "$url" "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g" >/dev/null
  local_url="postgresql://postgres@localhost:$SLUICE_TEST_PG_PORT/same_db"
  sock_url="postgres:host=$SLUICE_TEST_PG_SOCKET port=$SLUICE_TEST_PG_PORT user=postgres dbname=same_db"
  refused copy "pg 127.0.0.1 vs localhost" "$url" "$local_url" --restart
  refused copy "pg TCP vs unix socket" "$url" "$sock_url" --restart
  refused diff "pg localhost vs 127.0.0.1" "$local_url" "$url"
  cat >"$TMP/pg.yaml" <<YAML
project: same
environments:
  a: { url: "$url" }
  b: { url: "$local_url" }
YAML
  run "$SLUICE" copy -C "$TMP/pg.yaml" a b --restart
  expect_rc 6 "pg environments: copy refused"; expect_err "$MSG copy" "pg environments"
  [ "$(sql postgres "$url" "SELECT count(*) || ' ' || sum(id) FROM t")" = "100 5050" ] && ok || bad "the PostgreSQL source lost rows"
  # another database of the same server is not the same database
  other=$(scratch_url postgres same_db_other)
  run "$SLUICE" copy "$url" "$other" -q; expect_rc 0 "pg: another database of the server"
  psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE same_db WITH (FORCE)" -c "DROP DATABASE same_db_other WITH (FORCE)"
fi

# --- MariaDB --------------------------------------------------------------
if have mysql; then
  url=$(scratch_url mysql same_db)
  sql mysql "$url" "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_100"
  local_url="mysql://sluice:sluice-test-pw@localhost:$SLUICE_TEST_MY_PORT/same_db?protocol=tcp"
  sock_url="mysql://sluice:sluice-test-pw@localhost/same_db?socket=$SLUICE_TEST_MY_SOCKET"
  refused copy "mariadb 127.0.0.1 vs localhost" "$url" "$local_url" --restart
  refused copy "mariadb TCP vs unix socket" "$url" "$sock_url" --restart
  refused diff "mariadb localhost vs 127.0.0.1" "$local_url" "$url"
  cat >"$TMP/my.yaml" <<YAML
project: same
environments:
  a: { url: "$url" }
  b: { url: "$sock_url" }
YAML
  run "$SLUICE" diff -C "$TMP/my.yaml" a b
  expect_rc 6 "mariadb environments: diff refused"
  [ "$(sql mysql "$url" "SELECT CONCAT(count(*), ' ', sum(id)) FROM t")" = "100 5050" ] && ok || bad "the MariaDB source lost rows"
  other=$(scratch_url mysql same_db_other)
  run "$SLUICE" copy "$url" "$other" -q; expect_rc 0 "mariadb: another database of the server"
  sql mysql "$url" "DROP DATABASE same_db; DROP DATABASE same_db_other"
fi

# --- --restart over tables sluice did not create ---------------------------
SRC=$TMP/src.db
sqlite3 "$SRC" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'new');
  CREATE TABLE u (id INTEGER PRIMARY KEY)"
for e in $ENGINES; do
  url=$(scratch_url "$e" restart_foreign)
  sql "$e" "$url" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, precious TEXT); INSERT INTO t VALUES (9, 'old', 'keep')"
  run "$SLUICE" copy "sqlite:$SRC" "$url" -q
  expect_rc 6 "$e: copy over an existing table refused"; expect_err 'the target already has a table "t"' "$e: existing table named"
  run "$SLUICE" copy "sqlite:$SRC" "$url" -q --restart </dev/null
  expect_rc 6 "$e: --restart over a table sluice did not create refused"
  expect_err '--restart would drop 1 table that sluice did not create: "t"' "$e: the table is named"
  expect_err "add --force" "$e: the way out is named"
  [ "$(sql "$e" "$url" "SELECT precious FROM t")" = keep ] && ok || bad "$e: the refused --restart dropped the table"
  if [ "$e" = sqlite ]; then
    # on a terminal it asks: "n" keeps the table, "y" drops it
    printf 'n\n' | script -qec "'$SLUICE' copy 'sqlite:$SRC' '$url' -q --restart" /dev/null >"$TMP/tty" 2>&1; rc=$?
    [ $rc -eq 6 ] && ok || bad "tty, answer no: exit $rc"
    grep -q "Drop them and copy again?" "$TMP/tty" && ok || bad "tty: no question asked: $(cat "$TMP/tty")"
    [ "$(sql "$e" "$url" "SELECT precious FROM t")" = keep ] && ok || bad "tty: answer no dropped the table"
    printf 'y\n' | script -qec "'$SLUICE' copy 'sqlite:$SRC' '$url' -q --restart" /dev/null >"$TMP/tty" 2>&1; rc=$?
    [ $rc -eq 0 ] && ok || bad "tty, answer yes: exit $rc: $(cat "$TMP/tty")"
  else
    run "$SLUICE" copy "sqlite:$SRC" "$url" -q --restart --force
    expect_rc 0 "$e: --restart --force drops it"
  fi
  [ "$(sql "$e" "$url" "SELECT v FROM t")" = new ] && ok || bad "$e: the copy did not replace the table"
  # the tables are sluice's now: --restart drops them without asking
  run "$SLUICE" copy "sqlite:$SRC" "$url" -q --restart </dev/null
  expect_rc 0 "$e: --restart over tables sluice created"
  [ "$e" = mysql ] && sql mysql "$url" "DROP DATABASE restart_foreign"
done
[ -n "${SLUICE_TEST_PG_URL:-}" ] && psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS restart_foreign WITH (FORCE)"
finish
