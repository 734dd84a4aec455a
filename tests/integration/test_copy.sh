#!/usr/bin/env bash
# test_copy.sh - sluice copy end to end with the real binary: SIGKILL at
# random points of the data phase, at least 10 landed kills, each followed by
# --resume (1M rows, SQLite -> PostgreSQL and MariaDB),
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
# A kill "lands" when it hits a live copy in its data phase after this run
# committed rows: the state still says data and the checkpoints moved. The
# delays come from measuring this machine: a full run gives a rate (rows/s),
# a --schema-only run the time before the first row (lo). Each delay is lo
# plus a random share (0.1-1) of the time the rows left need at that rate,
# divided by the kills still to land plus one, so ten kills fit in one copy.
# The rate is raised to the fastest one seen (at most twice the measured
# one); a kill that moved nothing makes lo longer.
secs() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
written() { sql "$1" "$2" "SELECT coalesce(sum(rows_written), 0) FROM sluice_copy_state WHERE tbl = 'big'" 2>/dev/null || echo 0; }
kill_loop() { # ENGINE
  local e=$1 url t0 full lo pid
  local copy=("$SLUICE" copy "sqlite:$BIG" -q --jobs 2 --batch-rows 5000)
  local t_start; t_start=$(secs)
  url=$(scratch_url "$e" copy_kill); t0=$(secs)
  "${copy[@]}" "$url" >/dev/null 2>&1 || bad "$e: the timing run failed"
  full=$(since "$t0")
  url=$(scratch_url "$e" copy_kill); t0=$(secs)
  "${copy[@]}" "$url" --schema-only >/dev/null 2>&1 || bad "$e: the --schema-only timing run failed"
  lo=$(since "$t0")
  local rate rate0; rate=$(awk -v n="$KILL_ROWS" -v f="$full" -v lo="$lo" 'BEGIN { printf "%.0f", n / (f > lo + 0.1 ? f - lo : 0.1) }')
  rate0=$rate
  url=$(scratch_url "$e" copy_kill)
  local runs=0 landed=0 early=0 late=0 done=0 before after st flag delay
  while [ $runs -lt $((KILLS * 3 + 5)) ]; do
    runs=$((runs + 1))
    before=$(written "$e" "$url")
    flag=--resume; [ -n "$(state_of "$e" "$url" 2>/dev/null)" ] || flag=
    "${copy[@]}" "$url" $flag >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    if [ $landed -lt "$KILLS" ]; then
      delay=$(awk -v lo="$lo" -v r="$rate" -v w="$before" -v n="$KILL_ROWS" -v k=$((KILLS - landed)) -v u=$RANDOM \
        'BEGIN { printf "%.3f", lo + (n - w) / r * (0.1 + 0.9 * u / 32767) / (k + 1) }')
      sleep "$delay"
      kill -9 $pid 2>/dev/null
    fi
    { wait $pid; } 2>/dev/null; rc=$?
    [ $rc -eq 0 ] && { done=1; break; }
    [ $rc -eq 137 ] || { bad "$e kill loop: copy exit $rc"; break; }
    after=$(written "$e" "$url"); st=$(state_of "$e" "$url" 2>/dev/null)
    echo "run $runs: ${delay}s delay, rows $before -> $after, state '$st'" >>"$TMP/kills.$e"
    if [ "$st" = data ] && [ "$after" -gt "$before" ]; then
      landed=$((landed + 1))
      rate=$(awk -v r="$rate" -v r0="$rate0" -v d=$((after - before)) -v t="$delay" -v lo="$lo" \
        'BEGIN { x = t > lo + 0.05 ? d / (t - lo) : 0; x = x > 2 * r0 ? 2 * r0 : x; printf "%.0f", (x > r ? x : r) }')
    elif [ "$st" = data ] || [ -z "$st" ]; then
      early=$((early + 1)); lo=$(awk -v lo="$lo" 'BEGIN { printf "%.3f", lo * 1.25 }')
    else
      late=$((late + 1))
    fi
  done
  [ $done -eq 1 ] && ok || bad "$e: copy did not finish after $runs runs"
  echo "$e: $landed kills landed in the data phase ($early before any row, $late after it), $runs runs;" \
    "full run ${full}s, start ${lo}s, rate $rate rows/s, $(since "$t_start")s in all" >&2
  [ "$landed" -ge "$KILLS" ] && ok || { bad "$e: only $landed of $KILLS kills landed mid-copy"; cat "$TMP/kills.$e" >&2; }
  local got; got=$(sql "$e" "$url" "SELECT concat(count(*), ' ', sum(id), ' ', sum(v)) FROM big" 2>/dev/null ||
                   sql "$e" "$url" "SELECT count(*) || ' ' || sum(id) || ' ' || sum(v) FROM big")
  [ "$got" = "$SUM_SRC" ] && ok || bad "$e after kills: count/sums '$got', source '$SUM_SRC'"
  local dups; dups=$(sql "$e" "$url" "SELECT count(*) FROM (SELECT id FROM big GROUP BY id HAVING count(*) > 1) d")
  [ "$dups" = 0 ] && ok || bad "$e: $dups duplicate ids"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM nokey")" = 20000 ] && ok || bad "$e: keyless table count"
  [ "$(state_of "$e" "$url")" = finished ] && ok || bad "$e: state not finished"
  # the checkpoints add up: rows_written summed over the parts of "big" is the row count
  [ "$(written "$e" "$url")" = "$KILL_ROWS" ] && ok || bad "$e: checkpoint counts"
  # every value of every row, text included, equals the source's
  run "$SLUICE" diff "sqlite:$BIG" "$url" --tables big,nokey
  expect_rc 0 "$e after kills: sluice diff"
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
