#!/usr/bin/env bash
# test_sync.sh - sluice sync end to end with the real binary and real servers.
# Each engine is a source once, toward another engine (sqlite -> postgres,
# postgres -> mysql, mysql -> sqlite): a writer process runs inserts, updates
# (key changes and many-row updates included) and deletes at full speed while
# `sync run --follow` is SIGKILLed and restarted at least 5 times mid-stream;
# then again while the target's connection is dropped under it; after the
# writer stops and sync drains, `sluice diff` finds 0 differences and
# `sync stop` leaves the source schema exactly as before start. On
# postgres -> mysql, `sync reverse` then carries writes on the new primary
# back (diff 0). Also: transactions that commit out of sequence order on
# PostgreSQL and MariaDB, and bad input (no key, a second start, another
# run's triggers, a schema change, pause, a target written by someone else).
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/sync.sh"
ENGINES=$(engines) || exit 1
has() { echo "$ENGINES" | grep -qx "$1"; }
WRITES=${SLUICE_SYNC_WRITES:-3000}
KILLS=${SLUICE_SYNC_KILLS:-5}

applied() { sql "$1" "$2" "SELECT applied FROM sluice_sync_state" 2>/dev/null || echo 0; }

# drop_target ENGINE URL: ends the sessions other clients hold on the target database
drop_target() {
  local db=${2##*/}
  case $1 in
    postgres) psql -qAt "$SLUICE_TEST_PG_URL" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null 2>&1 ;;
    mysql) for id in $(sql mysql "$2" "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '$db' AND ID <> CONNECTION_ID()"); do
             sql mysql "$2" "KILL $id" >/dev/null 2>&1; done ;;
  esac
}

scenario() { # SOURCE_ENGINE TARGET_ENGINE
  local se=$1 de=$2 n="sync_${1:0:2}_${2:0:2}" src dst wpid spid kills=0 tries=0 before after
  src=$(scratch_url "$se" "${n}_s"); dst=$(scratch_url "$de" "${n}_t")
  { schema_sql "$se"; echo "BEGIN;"; seed_sql 1500; echo "COMMIT;"; } | client "$se" "$src"
  dump_schema "$se" "$src" >"$TMP/$n.before"
  run "$SLUICE" sync start -q "$src" "$dst"; expect_rc 0 "$n: sync start"

  # 1. SIGKILL mid-stream while a writer keeps writing; a kill lands when the run applied
  # something before it died. The delay before a kill grows when one did not land (a slow
  # machine takes longer to connect and plan), so the count holds under load.
  rm -f "$TMP/$n.stop"
  ( i=0; while [ ! -e "$TMP/$n.stop" ]; do i=$((i + 1)); workload_sql 400 $((100 + i)) | client "$se" "$src"; done ) &
  wpid=$!
  local delay=5
  while [ $kills -lt "$KILLS" ] && [ $tries -lt $((KILLS * 4)) ]; do
    tries=$((tries + 1)); before=$(applied "$de" "$dst")
    "$SLUICE" sync run -q --follow "$src" "$dst" >>"$TMP/$n.runs" 2>&1 &
    spid=$!
    sleep "$(awk -v d="$delay" -v r=$RANDOM 'BEGIN { printf "%.2f", d / 10 + r % 30 / 100 }')"
    kill -9 $spid 2>/dev/null && { wait $spid 2>/dev/null; after=$(applied "$de" "$dst"); \
      if [ "$after" -gt "$before" ]; then kills=$((kills + 1)); else delay=$((delay < 40 ? delay + 4 : 40)); fi; }
  done
  touch "$TMP/$n.stop"; wait $wpid
  if [ $kills -ge "$KILLS" ]; then ok; else bad "$n: only $kills of $tries kills landed mid-stream"; fi

  # 2. the target's connection dropped under a following run (sqlite: SLUICE_FAULT fails commits)
  workload_sql "$WRITES" 12 | client "$se" "$src" &
  wpid=$!
  if [ "$de" = sqlite ]; then
    SLUICE_FAULT=commit:2 "$SLUICE" sync run --follow --retry-for 60 "$src" "$dst" >"$TMP/$n.out" 2>"$TMP/$n.err" &
  else
    "$SLUICE" sync run --follow --retry-for 60 "$src" "$dst" >"$TMP/$n.out" 2>"$TMP/$n.err" &
  fi
  spid=$!
  for _ in 1 2 3; do sleep 0.7; drop_target "$de" "$dst"; done
  wait $wpid
  sleep 0.5; kill -TERM $spid; wait $spid; rc=$?
  cp "$TMP/$n.out" "$TMP/out"; cp "$TMP/$n.err" "$TMP/err"
  expect_rc 0 "$n: following run after dropped connections"
  if grep -q ' [1-9][0-9]* reconnects' "$TMP/out"; then ok; else bad "$n: no reconnect was needed"; fi

  # 3. drain, compare, stop, compare the schema
  run "$SLUICE" sync run -q "$src" "$dst"; expect_rc 0 "$n: drain"
  run "$SLUICE" diff "$src" "$dst"; expect_rc 0 "$n: diff after sync"; expect_out "0 discrepancies" "$n: diff"
  run "$SLUICE" sync status "$src" "$dst"; expect_rc 0 "$n: status"; expect_out "behind     0 changes" "$n: status"
  expect_nowhere "sluice-test-pw" "$n: status shows no password"
  if [ "$se" = postgres ] && [ "$de" = mysql ]; then reverse_check "$src" "$dst"; fi
  run "$SLUICE" sync stop "$src" "$dst"; expect_rc 0 "$n: stop"
  dump_schema "$se" "$src" >"$TMP/$n.after"
  if cmp -s "$TMP/$n.before" "$TMP/$n.after"; then ok; else bad "$n: source schema changed: $(diff "$TMP/$n.before" "$TMP/$n.after" | head -20)"; fi
  [ "$(sql "$de" "$dst" "SELECT count(*) FROM sluice_sync_state" 2>/dev/null)" = "" ] && ok || bad "$n: target kept sluice_sync_state"
}

# after a cutover: writes on the new primary (mysql) reach the old one (postgres)
reverse_check() { # PG_URL MY_URL
  local pg=$1 my=$2
  # forward sync's own tables on its target (checkpoint, staging) go with reverse
  local fwd="sluice_sync_state $(sql mysql "$my" "SELECT table_name FROM information_schema.TABLES WHERE table_schema = DATABASE() AND table_name LIKE 'sluice_stage%'")"
  dump_schema mysql "$my" "$fwd" >"$TMP/rev.before"
  run "$SLUICE" sync reverse "$pg" "$my"; expect_rc 0 "reverse"
  workload_sql 800 21 | client mysql "$my"
  run "$SLUICE" sync run -q "$my" "$pg"; expect_rc 0 "reverse: run"
  run "$SLUICE" diff "$my" "$pg"; expect_rc 0 "reverse: diff"; expect_out "0 discrepancies" "reverse: diff"
  run "$SLUICE" sync stop "$my" "$pg"; expect_rc 0 "reverse: stop"
  dump_schema mysql "$my" "$fwd" >"$TMP/rev.after"
  cmp -s "$TMP/rev.before" "$TMP/rev.after" && ok || bad "reverse: the new primary's schema changed: $(diff "$TMP/rev.before" "$TMP/rev.after" | head -20)"
  # forward capture was removed by reverse: start it again so the scenario's stop has something to stop
  run "$SLUICE" sync start -q --no-copy "$pg" "$my"; expect_rc 0 "reverse: forward again"
}

# a transaction holding an early seq commits after later ones were applied
late_commit() { # ENGINE
  local e=$1 src dst n="sync_late_${1:0:2}"
  src=$(scratch_url "$e" "${n}_s"); dst=$(scratch_url sqlite "${n}_t")
  { schema_sql "$e"; seed_sql 10; } | client "$e" "$src"
  run "$SLUICE" sync start -q "$src" "$dst"; expect_rc 0 "$n: start"
  { echo "BEGIN;"; echo "INSERT INTO acct VALUES (900001, 'late', 1, NULL);"; sleep 3; echo "COMMIT;"; } | client "$e" "$src" &
  local lpid=$!
  sleep 1
  awk 'BEGIN { for (i = 1; i <= 100; i++) printf "INSERT INTO acct VALUES (%d, '\''after'\'', 2, NULL);\n", 800000 + i }' | client "$e" "$src"
  # a second open transaction holds the seq right after the committed ones: consuming them must not wait on it
  { echo "BEGIN;"; echo "INSERT INTO acct VALUES (900002, 'later', 1, NULL);"; sleep 4; echo "COMMIT;"; } | client "$e" "$src" &
  local lpid2=$! t0
  sleep 1
  t0=$(date +%s.%N)
  run "$SLUICE" sync run -q "$src" "$dst"; expect_rc 0 "$n: run before the late commit"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 1.8) }' && ok || bad "$n: the run waited on an open transaction"
  [ "$(sql sqlite "$dst" "SELECT count(*) FROM acct WHERE id > 800000 AND id < 900000")" = 100 ] && ok || bad "$n: later commits not applied"
  [ "$(sql sqlite "$dst" "SELECT count(*) FROM acct WHERE id = 900001")" = 0 ] && ok || bad "$n: the open transaction was visible"
  wait $lpid $lpid2
  local late_seq last_seq
  late_seq=$(sql "$e" "$src" "SELECT min(seq) FROM sluice_sync_log WHERE op <> 'H'"); last_seq=$(sql sqlite "$dst" "SELECT last_seq FROM sluice_sync_state")
  [ -n "$late_seq" ] && [ "$late_seq" -lt "$last_seq" ] && ok || bad "$n: the late change ($late_seq) does not sit below applied ones ($last_seq)"
  run "$SLUICE" sync run -q "$src" "$dst"; expect_rc 0 "$n: run after the late commit"
  [ "$(sql sqlite "$dst" "SELECT owner FROM acct WHERE id = 900001")" = late ] && ok || bad "$n: the late commit was lost"
  [ "$(sql sqlite "$dst" "SELECT owner FROM acct WHERE id = 900002")" = later ] && ok || bad "$n: the second late commit was lost"
  run "$SLUICE" diff "$src" "$dst"; expect_rc 0 "$n: diff"
  run "$SLUICE" sync stop "$src" "$dst"; expect_rc 0 "$n: stop"
}

bad_input() {
  local src="sqlite:$TMP/bad_s.db" dst="sqlite:$TMP/bad_t.db"
  { schema_sql sqlite; seed_sql 20; echo "CREATE TABLE nokey (a INTEGER, b TEXT);"; } | client sqlite "$src"
  run "$SLUICE" sync start "$src" "$dst"; expect_rc 2 "no key"; expect_err '"nokey"' "no key: names the table"
  run "$SLUICE" sync start -q --tables acct,item "$src" "$dst"; expect_rc 0 "start with --tables"
  run "$SLUICE" sync start --tables acct "$src" "sqlite:$TMP/bad_t2.db"; expect_rc 5 "second start"
  expect_err "already has sync run" "second start: says why"
  # schema change on a captured table stops the run, naming the table
  sqlite3 "$TMP/bad_s.db" "INSERT INTO acct VALUES (5000, 'p', 1, NULL)"
  run "$SLUICE" sync pause "$src" "$dst"; expect_rc 0 "pause"
  run "$SLUICE" sync run "$src" "$dst"; expect_rc 0 "run while paused"; expect_err "paused" "run while paused"
  [ "$(sql sqlite "$dst" "SELECT count(*) FROM acct WHERE id = 5000")" = 0 ] && ok || bad "paused run applied"
  run "$SLUICE" sync resume "$src" "$dst"; expect_rc 0 "resume"
  run "$SLUICE" sync run -q "$src" "$dst"; expect_rc 0 "run after resume"
  [ "$(sql sqlite "$dst" "SELECT count(*) FROM acct WHERE id = 5000")" = 1 ] && ok || bad "resumed run did not apply"
  # a batch of 1500 composite keys (an OR of ANDs per statement: SQLite limits its depth)
  sqlite3 "$TMP/bad_s.db" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500)
    INSERT INTO item SELECT 100000 + x, 'z', x FROM c"
  run "$SLUICE" sync run -q "$src" "$dst"; expect_rc 0 "many composite keys in one batch"
  [ "$(sql sqlite "$dst" "SELECT count(*) FROM item WHERE a > 100000")" = 1500 ] && ok || bad "composite keys not applied"
  # --max-rate: 600 changes at 400/s take at least a second
  sqlite3 "$TMP/bad_s.db" "UPDATE item SET qty = qty + 1 WHERE a > 100900"
  local t0; t0=$(date +%s.%N)
  run "$SLUICE" sync run -q --max-rate 400 --batch 100 "$src" "$dst"; expect_rc 0 "--max-rate"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a >= 1.2) }' && ok || bad "--max-rate 400 applied 600 changes in under 1.2 s"
  run "$SLUICE" sync status --json "$src" "$dst"; expect_rc 0 "status --json"; expect_out '"behind":0' "status --json"
  # a target written by someone else: diff names the row
  sqlite3 "$TMP/bad_t.db" "UPDATE acct SET owner = 'intruder' WHERE id = 3"
  run "$SLUICE" diff --tables acct,item "$src" "$dst"; expect_rc 1 "diff finds the foreign write"
  expect_out "changed  id=3" "diff names the row"
  sqlite3 "$TMP/bad_s.db" "ALTER TABLE acct ADD COLUMN z INTEGER"
  run "$SLUICE" sync run "$src" "$dst"; expect_rc 5 "schema change"; expect_err 'captured table "acct"' "schema change names the table"
  run "$SLUICE" sync status "$src" "$dst"; expect_out "schema of captured table" "status shows the last error"
  run "$SLUICE" sync stop "$src" "$dst"; expect_rc 0 "stop after schema change"
  # triggers left by another run: refused, then removed with --force
  sqlite3 "$TMP/bad_s.db" "CREATE TRIGGER sluice_sync_other_i AFTER INSERT ON item BEGIN SELECT 1; END"
  run "$SLUICE" sync start --tables acct "$src" "sqlite:$TMP/bad_t3.db"; expect_rc 5 "foreign triggers"
  expect_err 'trigger "sluice_sync_other_i"' "foreign triggers: named"
  run "$SLUICE" sync stop "$src" "$dst"; expect_rc 5 "stop without a run of its own"
  run "$SLUICE" sync stop --force "$src" "$dst"; expect_rc 0 "stop --force"
  [ "$(sqlite3 "$TMP/bad_s.db" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sluice%'")" = 0 ] && ok || bad "stop --force left objects"
  run "$SLUICE" sync run "$src" "$dst"; expect_rc 2 "run without a start"
  expect_err "no sync was started" "run without a start: says why"
}

bad_input
has postgres && scenario sqlite postgres
has mysql && has postgres && scenario postgres mysql
has mysql && scenario mysql sqlite
has postgres && late_commit postgres
has mysql && late_commit mysql
finish
