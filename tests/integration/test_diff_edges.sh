#!/usr/bin/env bash
# test_diff_edges.sh - `sluice diff` at the edges. A SQLite source whose
# primary key holds NULL (SQLite allows it) is compared keyless against
# SQLite, PostgreSQL and MariaDB, and says so, instead of failing with the
# table named twice. The discrepancy total always equals what is listed:
# keyed rows, keyless rows with their counts, one-sided tables with their
# rows, and the rows listed before a table failed; in text and in JSON.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1

# --- a NULL in the source key: keyless, and said ---------------------------
SRC=$TMP/nullkey.db
sqlite3 "$SRC" "CREATE TABLE autoinc (id TEXT PRIMARY KEY, v TEXT);
  INSERT INTO autoinc VALUES (NULL, 'a'), (NULL, 'b'), ('1', 'c'), ('2', 'd');"
for e in $ENGINES; do
  url=$(scratch_url "$e" sluice_edges_t)
  sql "$e" "$url" "CREATE TABLE autoinc (id VARCHAR(10), v VARCHAR(10));
    INSERT INTO autoinc VALUES (NULL, 'a'), (NULL, 'b'), ('1', 'c'), ('2', 'd')" >/dev/null
  run "$SLUICE" diff "sqlite:$SRC" "$url"
  expect_rc 0 "$e: a NULL key is compared keyless"
  expect_out "compared keyless: the source key (id) holds NULL" "$e: says why it is keyless"
  expect_out "0 discrepancies" "$e: equal"
  expect_nowhere 'diff "autoinc": diff "autoinc"' "$e: the table is never named twice"
  sql "$e" "$url" "UPDATE autoinc SET v = 'z' WHERE id IS NULL AND v = 'b'" >/dev/null
  run "$SLUICE" diff "sqlite:$SRC" "$url" --json
  expect_rc 1 "$e: a changed NULL-key row is found"
  python3 - "$TMP/out" <<'PY' && ok || bad "$e: keyless JSON for the NULL-key table"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
rows = [o for o in ev if o["kind"] in ("missing", "extra")]
assert sorted((o["kind"], o["count"]) for o in rows) == [("extra", 1), ("missing", 1)], rows
assert all("hash" in o and "key" not in o for o in rows), rows
summ = [o for o in ev if o["kind"] == "summary"][0]
assert summ["keyless"] and "holds NULL" in summ["keyless_note"], summ
assert [o for o in ev if o["kind"] == "total"][0]["discrepancies"] == 2
PY
  run "$SLUICE" diff "sqlite:$SRC" "$url" --mode keyed
  expect_rc 3 "$e: --mode keyed refuses a NULL key"
  expect_err 'diff "autoinc": the source key (id) holds NULL' "$e: keyed names the key once"
  case $e in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE sluice_edges_t WITH (FORCE)" ;;
    mysql) sql mysql "$url" "DROP DATABASE sluice_edges_t" ;;
  esac
done
# a NULL on the target side only
cp "$SRC" "$TMP/t2.db"
sqlite3 "$SRC" "DELETE FROM autoinc WHERE id IS NULL"
run "$SLUICE" diff "sqlite:$SRC" "sqlite:$TMP/t2.db"
expect_rc 1 "target NULL key: rows only in the target"
expect_out "compared keyless: the target key (id) holds NULL" "target NULL key: says why"
expect_out "2 discrepancies" "target NULL key: two rows extra"

# --- the total equals what is listed ----------------------------------------
A=$TMP/a.db; B=$TMP/b.db
sqlite3 "$A" "CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO k VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');
  CREATE TABLE bag (v TEXT); INSERT INTO bag VALUES ('x'), ('x'), ('x'), ('y');
  CREATE TABLE gone (id INTEGER PRIMARY KEY); INSERT INTO gone VALUES (1), (2), (3);
  CREATE TABLE gone_empty (id INTEGER PRIMARY KEY);
  CREATE TABLE dup (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO dup VALUES (1, 'a'), (2, 'c'), (3, 'c');"
sqlite3 "$B" "CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO k VALUES (1, 'a'), (2, 'B'), (4, 'd'), (5, 'e');
  CREATE TABLE bag (v TEXT); INSERT INTO bag VALUES ('x'), ('y'), ('y');
  CREATE TABLE extra (id INTEGER PRIMARY KEY); INSERT INTO extra VALUES (1), (2);
  CREATE TABLE dup (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO dup VALUES (1, 'b'), (2, 'c'), (3, 'c');"
# k: 1 changed, 1 missing, 1 extra = 3; bag: 2 x missing, 1 y extra = 3;
# gone: 3 rows, gone_empty: counts 1, extra: 2 rows; dup: 3 rows listed (the rest refused)
run "$SLUICE" diff "sqlite:$A" "sqlite:$B" --json --tables k,bag,gone,gone_empty,extra
expect_rc 1 "totals: differences found"
python3 - "$TMP/out" <<'PY' && ok || bad "JSON total equals the lines listed"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
listed = 0
for o in ev:
    if o["kind"] in ("missing", "extra", "changed"):
        listed += o.get("count", 1)
    elif o["kind"] in ("table_missing", "table_extra"):
        listed += max(o["rows"], 1)
total = [o for o in ev if o["kind"] == "total"][0]["discrepancies"]
assert total == listed == 12, (total, listed)
tm = {o["table"]: o["rows"] for o in ev if o["kind"] in ("table_missing", "table_extra")}
assert tm == {"gone": 3, "gone_empty": 0, "extra": 2}, tm
PY
run "$SLUICE" diff "sqlite:$A" "sqlite:$B" --tables k,bag,gone,gone_empty,extra
expect_out "12 discrepancies" "text total"
expect_out "gone: only in the source (3 rows)" "a one-sided table lists its rows"
expect_out "missing  2 row(s)" "a keyless line says how many rows it stands for"
# --limit: "... N more" counts the lines not shown
run "$SLUICE" diff "sqlite:$A" "sqlite:$B" --tables k --limit 1
expect_out "... 2 more" "--limit 1 of 3 lines"
# a table that fails midway: what was listed before is counted, the table named once
run "$SLUICE" diff "sqlite:$A" "sqlite:$B" --tables dup --key v --json
expect_rc 3 "a key that is not unique fails the table"
expect_err 'sluice: error: diff "dup": source key is not unique: (v=c) appears twice' "the message names the table once"
python3 - "$TMP/out" <<'PY' && ok || bad "rows listed before a failure are in the total"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
listed = sum(o.get("count", 1) for o in ev if o["kind"] in ("missing", "extra", "changed"))
tot = [o for o in ev if o["kind"] == "total"][0]
assert listed == 2 and tot["discrepancies"] == 2 and tot["errors"] == 1, (listed, tot)
PY
finish
