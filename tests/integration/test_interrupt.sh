#!/usr/bin/env bash
# test_interrupt.sh - Ctrl-C (SIGINT) and SIGTERM. A copy stops after its
# last committed batch, prints "interrupted: resume with --resume", exits 130
# (143 for SIGTERM) and leaves state that --resume finishes with every row;
# on SQLite, PostgreSQL and MariaDB targets. A diff says it did not finish
# (130); `up` interrupted inside a migration says so and leaves it pending.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
ROWS=400000

BIG=$TMP/big.db
sqlite3 "$BIG" "CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT NOT NULL);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $ROWS)
  INSERT INTO big SELECT x, x % 1000, 'row ' || x FROM c;"

written() { sql "$1" "$2" "SELECT coalesce(sum(rows_written), 0) FROM sluice_copy_state WHERE part >= 0" 2>/dev/null || echo 0; }

# interrupt_copy ENGINE SIGNAL CODE: start a copy, signal it once rows are committed, check and resume
interrupt_copy() {
  local e=$1 sig=$2 code=$3 url pid i n
  url=$(scratch_url "$e" sluice_int)
  "$SLUICE" copy "sqlite:$BIG" "$url" --batch-rows 2000 --jobs 1 >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  for i in $(seq 1 600); do
    n=$(written "$e" "$url"); [ "${n:-0}" -gt 0 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  kill "-$sig" $pid 2>/dev/null
  wait $pid; rc=$?
  expect_rc "$code" "$e: copy after SIG$sig"
  expect_err "interrupted: resume with --resume" "$e: SIG$sig says how to go on"
  expect_out "copy stopped" "$e: SIG$sig summary"
  [ "$(sql "$e" "$url" "SELECT status FROM sluice_copy_state WHERE part = -1")" = data ] && ok ||
    bad "$e: SIG$sig: the state is not at the data phase"
  n=$(written "$e" "$url")
  [ "$n" -gt 0 ] && [ "$n" -lt $ROWS ] && ok || bad "$e: SIG$sig: $n rows committed, expected some"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM big")" = "$n" ] && ok || bad "$e: SIG$sig: the table holds what the state says"
  run "$SLUICE" copy "sqlite:$BIG" "$url" --resume -q
  expect_rc 0 "$e: --resume after SIG$sig"
  [ "$(sql "$e" "$url" "SELECT count(*), sum(id) FROM big" | tr '\t' ' ')" = "$ROWS $((ROWS * (ROWS + 1) / 2))" ] && ok ||
    bad "$e: rows after the resume"
}
for e in $ENGINES; do
  interrupt_copy "$e" INT 130
done
interrupt_copy sqlite TERM 143

# diff: nothing to resume, it says so
cp "$BIG" "$TMP/big2.db"
"$SLUICE" diff "sqlite:$BIG" "sqlite:$TMP/big2.db" --mode keyless >/dev/null 2>"$TMP/err" &
pid=$!
sleep 0.2
kill -INT $pid; wait $pid; rc=$?
if [ $rc -eq 0 ]; then
  echo "note: the diff finished before the signal" >&2; ok
else
  expect_rc 130 "diff after SIGINT"; expect_err "interrupted: the diff did not finish" "diff says it did not finish"
fi

# up: the migration in progress is rolled back and stays pending
if echo "$ENGINES" | grep -qx postgres; then
  P=$TMP/proj; mkdir -p "$P/migrations"; cd "$P" || exit 1
  url=$(scratch_url postgres sluice_int_up)
  printf 'project: p\nenvironments:\n  db: { url: "%s" }\n' "$url" >sluice.yaml
  cat >migrations/20260101000001_slow.sql <<'SQL'
-- id: 20260101000001
-- title: Slow
-- ticket: T-1
-- pr: https://git.example.com/p/pull/1
-- why: A migration that takes a while.
-- rollback: Nothing to undo.

-- +sluice up
CREATE TABLE slow (id int);
SELECT pg_sleep(30);

-- +sluice down
DROP TABLE slow;
SQL
  "$SLUICE" up db >/dev/null 2>"$TMP/err" &
  pid=$!
  for i in $(seq 1 200); do
    [ "$(sql postgres "$url" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")" -gt 0 ] && break
    sleep 0.05
  done
  kill -INT $pid; wait $pid; rc=$?
  expect_rc 130 "up after SIGINT"
  expect_err "interrupted: a migration in progress is rolled back" "up says what became of the migration"
  sleep 0.5
  run "$SLUICE" status db; expect_out "1 pending" "the interrupted migration is pending"
  [ "$(sql postgres "$url" "SELECT count(*) FROM pg_tables WHERE tablename = 'slow'")" = 0 ] && ok || bad "up: the table was rolled back"
  cd "$SLUICE_SOURCE_DIR" || exit 1
fi
[ -n "${SLUICE_TEST_PG_URL:-}" ] && psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS sluice_int WITH (FORCE)" \
  -c "DROP DATABASE IF EXISTS sluice_int_up WITH (FORCE)"
[ -n "${SLUICE_TEST_MY_URL:-}" ] && sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS sluice_int"
finish
