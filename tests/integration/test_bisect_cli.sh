#!/usr/bin/env bash
# test_bisect_cli.sh - `sluice diff --mode bisect` from PostgreSQL to MariaDB
# (and SQLite to PostgreSQL): a 50k-row table loaded with generate_series /
# the seq engine, three injected differences found exactly, the summary's
# bisection line (text) and fields (--json) with rows read far below the
# table size; a float table falls back to the keyed diff and says why.
# Skipped when the servers are not configured.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
if [ -z "${SLUICE_TEST_PG_URL:-}" ] || [ -z "${SLUICE_TEST_MY_URL:-}" ]; then
  [ "${SLUICE_TEST_REQUIRE:-}" = 1 ] && { echo "servers required" >&2; exit 1; }
  echo "skipped: servers not configured"; exit 0
fi
PG=$(scratch_url postgres "sluice_bis_$$")
MY=$(scratch_url mysql "sluice_bis_$$")
LITE=$(scratch_url sqlite "bis_$$")
sql postgres "$PG" "CREATE TABLE t (id bigint PRIMARY KEY, name text, amount numeric(10,2));
  INSERT INTO t SELECT g, 'n' || g, (g % 1000) / 10.0 FROM generate_series(1, 50000) g;
  CREATE TABLE fl (id int PRIMARY KEY, x double precision); INSERT INTO fl VALUES (1, 0.5), (2, 2.5);
  ANALYZE t" >/dev/null
sql mysql "$MY" "CREATE TABLE t (id bigint PRIMARY KEY, name varchar(50), amount decimal(10,2));
  INSERT INTO t SELECT seq, CONCAT('n', seq), (seq % 1000) / 10.0 FROM seq_1_to_50000;
  CREATE TABLE fl (id int PRIMARY KEY, x double); INSERT INTO fl VALUES (1, 0.5), (2, 2.25);
  UPDATE t SET name = 'N777' WHERE id = 777; DELETE FROM t WHERE id = 31000;
  INSERT INTO t VALUES (50001, 'x', 1.00)"

run "$SLUICE" diff "$PG" "$MY" --tables t,fl --mode bisect
expect_rc 1 "differences exit 1"
expect_out "changed  id=777: name: \"n777\" -> \"N777\"" "changed row shown"
expect_out "missing  id=31000" "missing row shown"
expect_out "extra    id=50001" "extra row shown"
expect_out "bisection: " "bisection line"
expect_out "bisection not used: column \"x\"" "float table falls back with the reason"
expect_out "4 discrepancies" "total"

run "$SLUICE" diff "$PG" "$MY" --tables t --mode bisect --json
expect_rc 1 "json exit 1"
if grep '"kind":"summary"' "$TMP/out" | grep -q '"bisected":true'; then ok; else bad "summary says bisected"; fi
read_src=$(grep '"kind":"summary"' "$TMP/out" | sed 's/.*"source_rows_read":\([0-9]*\).*/\1/')
if [ -n "$read_src" ] && [ "$read_src" -lt 2500 ]; then ok; else bad "source rows read $read_src >= 5% of 50000"; fi

run "$SLUICE" diff "$PG" "$MY" --tables t --mode bisect --float-tolerance 0.1
expect_rc 2 "--float-tolerance with bisect is a usage error"

# SQLite to PostgreSQL: the SQLite side is fingerprinted in C
sqlite3 "${LITE#sqlite:}" "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount DECIMAL(10,2));
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50000)
  INSERT INTO t SELECT i, 'n' || i, (i % 1000) / 10.0 FROM g; UPDATE t SET amount = 5 WHERE id = 9"
run "$SLUICE" diff "$LITE" "$PG" --tables t --mode bisect
expect_rc 1 "sqlite->pg differences"
expect_out "changed  id=9: amount" "sqlite->pg changed decimal found"
expect_out "1 discrepancy" "sqlite->pg exactly one"

psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS sluice_bis_$$ WITH (FORCE)" >/dev/null
mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
  -e "DROP DATABASE IF EXISTS sluice_bis_$$" >/dev/null
finish
