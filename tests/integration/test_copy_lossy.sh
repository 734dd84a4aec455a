#!/usr/bin/env bash
# test_copy_lossy.sh - values changed by lossy casts are counted: MySQL zero
# dates that become NULL, decimals rounded to the target column's scale,
# numbers rounded to single precision, decimals with more digits than
# SQLite keeps. The summary, --json and the state rows in the target say how
# many per table, column and cast; a row that is rejected is not counted; the
# counts survive a halt and --resume (also of a copy state an earlier version
# made, which has no column for them yet); --strict exits 1 when there are any.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
has() { echo "$ENGINES" | grep -qx "$1"; }
jget() { python3 -c "import json,sys; d=json.load(open('$TMP/out')); print($1)"; }

# --- MySQL zero dates --------------------------------------------------------
if has mysql; then
  SRC=$(scratch_url mysql lossy_src)
  sql mysql "$SRC" "SET SESSION sql_mode = '';
    CREATE TABLE zd (id INT PRIMARY KEY, d DATE NULL, dt DATETIME NULL, flag TINYINT(1));
    INSERT INTO zd VALUES (1, '0000-00-00', '2020-01-01 00:00:00', 1),
      (2, '2020-01-01', '0000-00-00 00:00:00', 2),
      (3, '2020-00-15', '0000-00-00 00:00:00', 0),
      (4, '2020-01-01', '2020-01-01 00:00:00', 1);"
  # row 2 is rejected (tinyint(1) 2): its zero date is not counted
  for e in $ENGINES; do
    [ "$e" = mysql ] && continue
    url=$(scratch_url "$e" lossy_zd)
    run "$SLUICE" copy "$SRC" "$url" --max-rejects 10
    expect_rc 0 "mysql -> $e: lossy casts alone are no failure"
    expect_out 'changed "zd"."d": 2 values: MySQL zero date became NULL (zero_date_to_null)' "mysql -> $e: d counted"
    expect_out 'changed "zd"."dt": 1 value: MySQL zero date became NULL (zero_date_to_null)' "mysql -> $e: dt counted"
    expect_out "1 rejected, 3 values changed by lossy casts" "mysql -> $e: totals"
    [ "$(sql "$e" "$url" "SELECT losses FROM sluice_copy_state WHERE tbl = 'zd'")" = \
      '{"d":{"zero_date_to_null":2},"dt":{"zero_date_to_null":1}}' ] && ok || bad "mysql -> $e: state row"

    url=$(scratch_url "$e" lossy_zd)
    run "$SLUICE" copy "$SRC" "$url" --max-rejects 10 --strict --json
    expect_rc 1 "mysql -> $e: --strict fails on values changed"
    expect_err "copy --strict: 3 values changed by lossy casts" "mysql -> $e: --strict message"
    [ "$(jget "d['changed'], [(l['column'], l['cast'], l['values']) for l in d['tables'][0]['losses']]")" = \
      "3 [('d', 'zero_date_to_null', 2), ('dt', 'zero_date_to_null', 1)]" ] && ok || bad "mysql -> $e: --json"

    # halted at the reject after one batch, then resumed: the counts of both runs add up
    url=$(scratch_url "$e" lossy_zd)
    run "$SLUICE" copy "$SRC" "$url" --batch-rows 1 --jobs 1
    expect_rc 1 "mysql -> $e: halted by the reject"
    [ "$(sql "$e" "$url" "SELECT losses FROM sluice_copy_state WHERE tbl = 'zd'")" = '{"d":{"zero_date_to_null":1}}' ] \
      && ok || bad "mysql -> $e: the count committed before the halt"
    run "$SLUICE" copy "$SRC" "$url" --resume --max-rejects 10 --json
    expect_rc 0 "mysql -> $e: resumed"
    [ "$(jget "d['changed']")" = 3 ] && ok || bad "mysql -> $e: counts after --resume"
  done
  # MySQL to MySQL keeps zero dates as they are: nothing changed
  url=$(scratch_url mysql lossy_zd)
  run "$SLUICE" copy "$SRC" "$url" --strict
  expect_rc 0 "mysql -> mysql: zero dates kept"
  expect_out "0 values changed by lossy casts" "mysql -> mysql: none counted"
fi

# --- rounding ------------------------------------------------------------------
# SQLite REAL in DECIMAL(12,2): 0.125 and 2.675 lose a digit, 1.5 does not;
# a cast rule makes f a single-precision column: 0.1 is rounded, 0.5 is not;
# a DATETIME(3) column holding microseconds loses them once.
NUM=$TMP/num.db
sqlite3 "$NUM" "CREATE TABLE m (id INTEGER PRIMARY KEY, amount DECIMAL(12,2), f REAL, ts DATETIME(3));
  INSERT INTO m VALUES (1, 0.125, 0.1, '2024-01-01 00:00:00.123456'), (2, 2.675, 0.5, '2024-01-01 00:00:00.5'),
    (3, 1.5, 0.25, NULL), (4, 7, NULL, '2024-01-01');"
mkdir -p "$TMP/proj"
printf 'casts:\n  - column: m.f\n    to: REAL\n' >"$TMP/proj/sluice.yaml"
for e in $ENGINES; do
  [ "$e" = sqlite ] && continue
  url=$(scratch_url "$e" lossy_num)
  [ "$e" = mysql ] && printf 'casts:\n  - column: m.f\n    to: FLOAT\n' >"$TMP/proj/sluice.yaml"
  [ "$e" = postgres ] && printf 'casts:\n  - column: m.f\n    to: REAL\n' >"$TMP/proj/sluice.yaml"
  run "$SLUICE" copy -C "$TMP/proj/sluice.yaml" "sqlite:$NUM" "$url" --json
  expect_rc 0 "sqlite -> $e: rounding is no failure"
  [ "$(jget "sorted((l['column'], l['cast'], l['values']) for l in d['tables'][0]['losses'])")" = \
    "[('amount', 'rounded_to_scale', 2), ('f', 'rounded_to_single_precision', 1), ('ts', 'rounded_fractional_seconds', 1)]" ] \
    && ok || bad "sqlite -> $e: counts"
  [ "$(sql "$e" "$url" "SELECT amount FROM m WHERE id IN (1, 2) ORDER BY id" | tr '\n' ' ')" = "0.13 2.68 " ] \
    && ok || bad "sqlite -> $e: rounded half away from zero"
done

# a copy state an earlier version left (no losses column) is resumed: the column is added
OLD=$TMP/old.db
sqlite3 "$OLD" "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, d DECIMAL(5,2));
  INSERT INTO t VALUES (1, 1, 0.125), (2, 'x', 1), (3, 3, 0.135);"
for e in $ENGINES; do
  [ "$e" = postgres ] || continue # SQLite to SQLite rejects nothing to halt on
  url=$(scratch_url "$e" lossy_old)
  run "$SLUICE" copy "sqlite:$OLD" "$url" --batch-rows 1 --jobs 1
  expect_rc 1 "sqlite -> $e: halted by the reject"
  sql "$e" "$url" "ALTER TABLE sluice_copy_state DROP COLUMN losses" >/dev/null
  run "$SLUICE" copy "sqlite:$OLD" "$url" --resume --max-rejects 5
  expect_rc 0 "sqlite -> $e: resumed a state without the losses column"
  expect_out 'changed "t"."d": 1 value: rounded to the column'"'"'s scale (rounded_to_scale)' "sqlite -> $e: counted after"
done

# PostgreSQL numeric(30,10) into SQLite: digits past a double's are lost there
if has postgres; then
  SRC=$(scratch_url postgres lossy_pg)
  sql postgres "$SRC" "CREATE TABLE w (id integer PRIMARY KEY, v numeric(30,10));
    INSERT INTO w VALUES (1, 12345678901234567890.1234567891), (2, 0.5), (3, 123456789012.125)"
  url=$(scratch_url sqlite lossy_w)
  run "$SLUICE" copy "$SRC" "$url"
  expect_rc 0 "postgres -> sqlite: copied"
  expect_out 'changed "w"."v": 1 value: decimal digits beyond a double'"'"'s precision rounded (rounded_to_double)' \
    "postgres -> sqlite: the long decimal counted"
fi
finish
