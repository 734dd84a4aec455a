#!/usr/bin/env bash
# test_dist_snapshot.sh - what a distributed copy reads from a live source, how
# its chunks are retried, and who runs post-data (docs/commands/distributed.md,
# "Consistent snapshots", "Retries", "Post-data"):
#   - a PostgreSQL source read by a waiting coordinator's exported snapshot:
#     rows inserted, updated and deleted in the source after the plan do not
#     reach the target (it equals the source as of the export), and a diff
#     against the changed source finds exactly those changes;
#   - the exporting transaction gone (the coordinator SIGKILLed): the workers
#     fail the chunks clearly instead of reading another moment; `--finish
#     --retry-failed` records that the run goes on without the snapshot,
#     status says so, and the copy completes;
#   - a worker whose target session is terminated mid-chunk records a failed
#     attempt and the chunk is retried: it completes, diff 0, both attempts in
#     the attempt table;
#   - a distributed diff's chunk failed for good is put back by --finish
#     --retry-failed and the report is complete;
#   - a distributed diff of a PostgreSQL source and target read in the waiting
#     coordinator's exported snapshots (one per side): the differences made
#     before the plan are all found, changes made to either side after the
#     export are not; the snapshots gone (coordinator SIGKILLed): the chunks
#     fail clearly, --finish --retry-failed records that and completes;
#   - a run planned with --detach is finished by the worker that completes the
#     last chunk (indexes, constraints, foreign keys built), also with a
#     --finish waiting at the same time (one of them runs post-data);
#   - a MariaDB source: each chunk reads its own consistent snapshot and the
#     binary log position (here "binlog off") is recorded with its attempt;
#     so does a distributed diff of it against PostgreSQL (whose side is read
#     in the coordinator's exported snapshot);
#   - --max-rejects across four workers: the run-wide budget is taken in the
#     batches' transactions, so exactly one batch crosses it, as in `sluice copy`.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
if ! echo "$ENGINES" | grep -qx postgres; then
  echo "SKIP: no PostgreSQL server configured" >&2
  exit 0
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

STATE=$(scratch_url postgres dsnap_state)
SRC=$(scratch_url postgres dsnap_src)
W() { sql postgres "$STATE" "$1"; }
S() { sql postgres "$SRC" "$1"; }
S "CREATE TABLE items (id bigint PRIMARY KEY, v text NOT NULL, n integer);
   INSERT INTO items SELECT g, 'row ' || g, g % 97 FROM generate_series(1, 60000) g;
   CREATE TABLE notes (id integer PRIMARY KEY, item_id bigint NOT NULL REFERENCES items (id), body text);
   INSERT INTO notes SELECT g, g * 3, 'note ' || g FROM generate_series(1, 2000) g;
   CREATE INDEX notes_item ON notes (item_id);
   CREATE INDEX items_v ON items (v); CREATE INDEX items_n ON items (n); CREATE INDEX items_vn ON items (v, n);
   CREATE INDEX items_nv ON items (n, v); CREATE INDEX items_lv ON items (lower(v)); CREATE INDEX items_idn ON items (id, n);
   ANALYZE" >/dev/null
# newest run's id; wait until a run exists
newest() { W "SELECT id FROM sluice_dist_run ORDER BY created_at DESC LIMIT 1"; }
wait_run() { # wait_run N: until N runs exist
  for _ in $(seq 1 600); do [ "$(W "SELECT count(*) FROM sluice_dist_run" 2>/dev/null)" -ge "$1" ] 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# --- 1. the exported snapshot: later changes of the source stay out ---------------------
TGT=$(scratch_url postgres dsnap_tgt)
"$SLUICE" copy "$SRC" "$TGT" --distributed "$STATE" --part-rows 10000 --batch-rows 1000 --lease 5 \
  >"$TMP/coord.out" 2>"$TMP/coord.err" &
coord=$!
pids+=("$coord")
wait_run 1 && ok || bad "the coordinator planned the run"
RUN=$(newest)
SNAP=$(W "SELECT snapshot FROM sluice_dist_run WHERE id = '$RUN'")
[ -n "$SNAP" ] && ok || bad "the run records the exported snapshot"
[ "$(S "SELECT count(*) FROM pg_stat_activity WHERE datname = 'dsnap_src' AND state = 'idle in transaction'")" -ge 1 ] &&
  ok || bad "the coordinator holds the snapshot's transaction open on the source"
# changes after the export: none of them may reach the target
S "UPDATE items SET v = 'changed' WHERE id <= 100;
   INSERT INTO items SELECT g, 'late ' || g, 0 FROM generate_series(60001, 60050) g;
   DELETE FROM notes WHERE id BETWEEN 1 AND 10;
   DELETE FROM items WHERE id BETWEEN 50001 AND 50010" >/dev/null
for i in 1 2; do
  "$SLUICE" worker "$STATE" --id "s$i" --idle 3 >"$TMP/s$i.log" 2>&1 &
  pids+=($!)
done
wait "$coord"
rc=$?
[ "$rc" = 0 ] && ok || bad "the waiting coordinator finishes (exit $rc): $(cat "$TMP/coord.err")"
grep -q "copy finished" "$TMP/coord.out" && ok || bad "the coordinator's summary: $(cat "$TMP/coord.out")"
grep -q "source snapshot: exported snapshot $SNAP" "$TMP/coord.out" && ok || bad "the summary names the snapshot"
for p in "${pids[@]:1}"; do wait "$p" || bad "a worker exited $?"; done
pids=()
[ "$(sql postgres "$TGT" "SELECT count(*) FROM items")" = 60000 ] && ok || bad "the target has the 60000 rows of the export"
[ "$(sql postgres "$TGT" "SELECT count(*) FROM items WHERE v = 'changed' OR id > 60000")" = 0 ] && ok ||
  bad "no row changed or inserted after the export reached the target"
[ "$(sql postgres "$TGT" "SELECT count(*) FROM items WHERE id BETWEEN 50001 AND 50010")" = 10 ] && ok ||
  bad "rows deleted after the export are in the target"
[ "$(sql postgres "$TGT" "SELECT count(*) FROM notes")" = 2000 ] && ok || bad "notes as of the export"
[ "$(W "SELECT count(DISTINCT chunk) FROM sluice_dist_chunk WHERE run_id = '$RUN'")" -ge 6 ] && ok ||
  bad "items was read in several chunks"
[ "$(S "SELECT count(*) FROM pg_stat_activity WHERE datname = 'dsnap_src' AND state = 'idle in transaction'")" = 0 ] &&
  ok || bad "the snapshot's transaction ended with the run"
run "$SLUICE" diff "$SRC" "$TGT"
expect_rc 1 "diff against the changed source finds the changes"
expect_out "60040 source rows, 60000 target rows: 59890 equal, 100 changed, 50 missing, 10 extra" "items: exactly the changes"
expect_out "1990 source rows, 2000 target rows: 1990 equal, 0 changed, 0 missing, 10 extra" "notes: exactly the deletes"
expect_out "170 discrepancies" "170 discrepancies in all"
run "$SLUICE" status --distributed "$STATE" --run "$RUN" --json
python3 -c "
import json; d = json.load(open('$TMP/out'))
assert d['snapshot'] == '$SNAP' and d['snapshot_mode'].startswith('exported snapshot'), d
assert d['max_attempts'] == 3 and d['finished_by'] == 'coordinator', d
assert len(d['attempt_log']) == d['chunks'] and all(a['outcome'] == 'done' for a in d['attempt_log'])" &&
  ok || bad "status --json: the snapshot, max attempts, who finished, the attempt log"

# --- 1b. a distributed diff: a chunk failed for good is put back by --retry-failed -------------
run "$SLUICE" diff "$SRC" "$TGT" --distributed "$STATE" --chunk-rows 10000 --lease 5 --detach
expect_rc 0 "plan a distributed diff"
DRUN=$(cat "$TMP/out")
W "UPDATE sluice_dist_chunk SET status = 'failed', failures = 3, error = 'failed for the test'
   WHERE run_id = '$DRUN' AND chunk = 0" >/dev/null
run "$SLUICE" worker "$STATE" --id dd1 --run "$DRUN" --idle 1
expect_rc 0 "a worker compares the other chunks"
run "$SLUICE" diff --distributed "$STATE" --finish --run "$DRUN"
[ "$rc" -ne 0 ] && ok || bad "--finish with a failed chunk fails"
expect_err "1 chunk of run $DRUN failed" "it says a chunk failed"
"$SLUICE" worker "$STATE" --id dd2 --run "$DRUN" --idle 3 >"$TMP/dd2.log" 2>&1 &
pids+=($!)
run "$SLUICE" diff --distributed "$STATE" --finish --retry-failed --run "$DRUN"
expect_rc 1 "--finish --retry-failed: the diff completes and finds the changes"
expect_err "1 failed chunk put back" "it says what it put back"
expect_out "170 discrepancies" "the same 170 discrepancies"
for p in "${pids[@]}"; do wait "$p"; done
pids=()
[ "$(W "SELECT string_agg(outcome || ':' || worker, ',' ORDER BY attempt) FROM sluice_dist_attempt
        WHERE run_id = '$DRUN' AND chunk = 0")" = "done:dd2" ] && ok || bad "the put-back chunk was done by the next worker"

# --- 1c. a distributed diff reads both sides as of the plan --------------------------------
DS=$(scratch_url postgres dsnap_dsrc)
DT=$(scratch_url postgres dsnap_dtgt)
for u in "$DS" "$DT"; do
  sql postgres "$u" "CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL);
    INSERT INTO t SELECT g, 'v ' || g FROM generate_series(1, 30000) g; ANALYZE t" >/dev/null
done
# before the plan: 5 changed, 3 missing, 2 extra
sql postgres "$DT" "UPDATE t SET v = 'before' WHERE id <= 5; DELETE FROM t WHERE id BETWEEN 101 AND 103;
  INSERT INTO t VALUES (30001, 'x'), (30002, 'y')" >/dev/null
NRUNS=$(W "SELECT count(*) FROM sluice_dist_run")
"$SLUICE" diff "$DS" "$DT" --distributed "$STATE" --chunk-rows 5000 --lease 5 >"$TMP/dc.out" 2>"$TMP/dc.err" &
coord=$!
pids+=("$coord")
wait_run $((NRUNS + 1)) && ok || bad "the diff coordinator planned the run"
DRUN2=$(newest)
[ -n "$(W "SELECT snapshot FROM sluice_dist_run WHERE id = '$DRUN2'")" ] &&
  [ -n "$(W "SELECT target_snapshot FROM sluice_dist_run WHERE id = '$DRUN2'")" ] && ok ||
  bad "the diff run records an exported snapshot of each side"
for db in dsnap_dsrc dsnap_dtgt; do
  [ "$(S "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND state = 'idle in transaction'")" -ge 1 ] &&
    ok || bad "the coordinator holds the snapshot's transaction open on $db"
done
# after the export, on both sides: none of it may be reported
sql postgres "$DS" "UPDATE t SET v = 'after' WHERE id BETWEEN 1001 AND 1100;
  INSERT INTO t SELECT g, 'late' FROM generate_series(30101, 30150) g" >/dev/null
sql postgres "$DT" "DELETE FROM t WHERE id BETWEEN 2001 AND 2020; UPDATE t SET v = 'after' WHERE id BETWEEN 3001 AND 3007" >/dev/null
for i in 1 2; do
  "$SLUICE" worker "$STATE" --id "ds$i" --run "$DRUN2" --idle 3 >"$TMP/ds$i.log" 2>&1 &
  pids+=($!)
done
wait "$coord"
rc=$?
[ "$rc" = 1 ] && ok || bad "the waiting diff coordinator finds differences (exit $rc): $(cat "$TMP/dc.err")"
grep -q "30000 source rows, 29999 target rows, 3 missing, 2 extra, 5 changed" "$TMP/dc.out" && ok ||
  bad "exactly the differences of the moment of the plan: $(cat "$TMP/dc.out")"
grep -q "^10 discrepancies" "$TMP/dc.out" && ok || bad "10 discrepancies: $(cat "$TMP/dc.out")"
grep -q "snapshots: exported snapshots .* (source) and .* (target)" "$TMP/dc.out" && ok ||
  bad "the summary names both snapshots: $(cat "$TMP/dc.out")"
for p in "${pids[@]:1}"; do wait "$p" || bad "a diff worker exited $?"; done
pids=()
[ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$DRUN2'")" -ge 6 ] && ok || bad "t was compared in several chunks"
for db in dsnap_dsrc dsnap_dtgt; do
  [ "$(S "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND state = 'idle in transaction'")" = 0 ] &&
    ok || bad "the snapshot's transaction on $db ended with the run"
done
run "$SLUICE" diff "$DS" "$DT"
expect_rc 1 "a diff of now sees the later changes"
expect_out "187 discrepancies" "5 + 100 + 7 changed, 3 + 50 + 20 missing, 2 extra"

# the diff's snapshots gone: chunks fail clearly; --retry-failed goes on without them
NRUNS=$(W "SELECT count(*) FROM sluice_dist_run")
"$SLUICE" diff "$DS" "$DT" --distributed "$STATE" --chunk-rows 10000 --lease 5 >"$TMP/dl.out" 2>"$TMP/dl.err" &
coord=$!
wait_run $((NRUNS + 1)) && ok || bad "the second diff is planned"
DRUN3=$(newest)
{ kill -9 "$coord"; wait "$coord"; } 2>/dev/null
sleep 0.5
run "$SLUICE" worker "$STATE" --id dlone --run "$DRUN3" --idle 1
expect_rc 0 "the diff worker records the chunks failed and exits"
[ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$DRUN3' AND status = 'failed'
        AND error LIKE '%no longer exists%sluice diff --distributed STATE_URL --finish --retry-failed%'")" = \
  "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$DRUN3'")" ] &&
  ok || bad "every diff chunk failed with the reason and the way on: $(W "SELECT error FROM sluice_dist_chunk WHERE run_id = '$DRUN3' LIMIT 1")"
"$SLUICE" worker "$STATE" --id dafter --run "$DRUN3" --idle 3 >"$TMP/dafter.log" 2>&1 &
pids+=($!)
run "$SLUICE" diff --distributed "$STATE" --finish --retry-failed --run "$DRUN3"
expect_rc 1 "--finish --retry-failed completes the diff"
expect_err "snapshots are gone" "it warns that the run goes on without its snapshots"
expect_out "snapshots: lost: exported snapshots" "the summary says they were lost"
expect_out "187 discrepancies" "the retried chunks compare both sides as they are now"
for p in "${pids[@]}"; do wait "$p"; done
pids=()
run "$SLUICE" status --distributed "$STATE" --run "$DRUN3"
expect_out "snapshots: lost: exported snapshots" "status says the diff's snapshots were lost"

# --- 2. the snapshot gone: chunks fail clearly; --retry-failed goes on without it ----------
S "UPDATE items SET v = 'row ' || id WHERE id <= 100; DELETE FROM items WHERE id > 60000" >/dev/null
TGT2=$(scratch_url postgres dsnap_tgt2)
NRUNS=$(W "SELECT count(*) FROM sluice_dist_run")
"$SLUICE" copy "$SRC" "$TGT2" --distributed "$STATE" --part-rows 20000 --lease 5 --tables items \
  >"$TMP/c2.out" 2>"$TMP/c2.err" &
coord=$!
wait_run $((NRUNS + 1)) && ok || bad "the second copy is planned"
RUN2=$(newest)
for _ in $(seq 1 200); do [ -n "$(W "SELECT snapshot FROM sluice_dist_run WHERE id = '$RUN2'")" ] && break; sleep 0.05; done
{ kill -9 "$coord"; wait "$coord"; } 2>/dev/null
sleep 0.5
run "$SLUICE" worker "$STATE" --id lone --run "$RUN2" --idle 1
expect_rc 0 "the worker records the chunks failed and exits"
expect_err "no longer exists" "it says the snapshot is gone"
[ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$RUN2' AND status = 'failed'
        AND error LIKE '%source snapshot%no longer exists%--retry-failed%'")" = "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$RUN2'")" ] &&
  ok || bad "every chunk failed for good with the reason and the way on"
[ "$(sql postgres "$TGT2" "SELECT count(*) FROM items")" = 0 ] && ok || bad "no row was read from another moment"
run "$SLUICE" status --distributed "$STATE" --run "$RUN2"
expect_out "failed: chunk" "status lists the failed attempts"
"$SLUICE" worker "$STATE" --id after --run "$RUN2" --idle 3 >"$TMP/after.log" 2>&1 &
pids+=($!)
run "$SLUICE" copy --distributed "$STATE" --finish --retry-failed --run "$RUN2"
expect_rc 0 "--finish --retry-failed completes the run"
expect_err "is gone" "it warns that the run goes on without the snapshot"
expect_out "source snapshot: lost:" "the summary says the snapshot was lost"
for p in "${pids[@]}"; do wait "$p"; done
pids=()
run "$SLUICE" status --distributed "$STATE" --run "$RUN2"
expect_out "source snapshot: lost: exported snapshot" "status says the snapshot was lost"
run "$SLUICE" diff "$SRC" "$TGT2" --tables items
expect_rc 0 "the retried copy equals the source"

# --- 3. a target session terminated mid-chunk: retried; --detach finished by the worker ----
TGT3=$(scratch_url postgres dsnap_tgt3)
run "$SLUICE" copy "$SRC" "$TGT3" --distributed "$STATE" --part-rows 100000 --batch-rows 100 --lease 5 --detach
expect_rc 0 "plan a detached copy"
expect_out "source snapshot: none: planned with --detach" "a detached plan says it holds no snapshot"
RUN3=$(newest)
[ "$(W "SELECT detached FROM sluice_dist_run WHERE id = '$RUN3'")" = t ] && ok || bad "the run is recorded detached"
"$SLUICE" worker "$STATE" --id r1 --run "$RUN3" --idle 3 --verbose >"$TMP/r1.log" 2>&1 &
r1=$!
pids+=("$r1")
killed=0
for _ in $(seq 1 1200); do
  n=$(sql postgres "$TGT3" "SELECT COALESCE(max(rows_written), 0) FROM sluice_copy_state WHERE tbl = 'items' AND part >= 0" 2>/dev/null)
  if [ "${n:-0}" -gt 0 ] && [ "${n:-0}" -lt 50000 ]; then
    sql postgres "$TGT3" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                          WHERE datname = 'dsnap_tgt3' AND pid <> pg_backend_pid()" >/dev/null
    killed=1
    break
  fi
  sleep 0.02
done
[ "$killed" = 1 ] && ok || bad "the worker's target session was terminated mid-chunk"
# a --finish that waits at the same time: the worker or it runs post-data, once
"$SLUICE" copy --distributed "$STATE" --finish --run "$RUN3" >"$TMP/f3.out" 2>"$TMP/f3.err" &
f3=$!
wait "$r1"
rc=$?
[ "$rc" = 0 ] && ok || bad "the worker goes on after the failed attempt (exit $rc): $(tail -5 "$TMP/r1.log")"
wait "$f3"
rc=$?
[ "$rc" = 0 ] && ok || bad "the waiting --finish ends well too (exit $rc): $(cat "$TMP/f3.err")"
pids=()
grep -q "failed (it will be retried)" "$TMP/r1.log" && ok || bad "the worker says the chunk will be retried"
[ "$(W "SELECT string_agg(a.outcome, ',' ORDER BY a.attempt) FROM sluice_dist_attempt a JOIN sluice_dist_chunk c
        USING (run_id, chunk) WHERE run_id = '$RUN3' AND c.tbl = 'items'")" = "failed,done" ] && ok ||
  bad "items: the attempt table shows the failed attempt and the one that completed"
[ "$(W "SELECT count(*) FROM sluice_dist_attempt a JOIN sluice_dist_chunk c USING (run_id, chunk)
        WHERE run_id = '$RUN3' AND c.tbl = 'items' AND a.outcome = 'failed' AND a.error <> ''")" = 1 ] && ok ||
  bad "the failed attempt keeps its error"
[ "$(W "SELECT state FROM sluice_dist_run WHERE id = '$RUN3'")" = finished ] && ok || bad "the run is finished"
BY=$(W "SELECT finished_by FROM sluice_dist_run WHERE id = '$RUN3'")
case "$BY" in r1 | coordinator) ok ;; *) bad "post-data ran once, by the worker or --finish (finished_by: $BY)" ;; esac
run "$SLUICE" diff "$SRC" "$TGT3"
expect_rc 0 "diff 0 after the retry"
[ "$(sql postgres "$TGT3" "SELECT count(*) FROM pg_constraint WHERE conrelid = 'notes'::regclass AND contype IN ('p', 'f')")" = 2 ] &&
  ok || bad "the primary key and the foreign key of notes were built"
[ "$(sql postgres "$TGT3" "SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_item'")" = 1 ] && ok ||
  bad "the index was built"

# --- 3b. --detach and workers alone: the last worker runs post-data -----------------------
TGT4=$(scratch_url postgres dsnap_tgt4)
# a lease of 1 s: post-data (seven indexes on items) outlasts a renewal period, which must not
# stop it (its chunk is done, the renewal's fence would take it for a lost one)
run "$SLUICE" copy "$SRC" "$TGT4" --distributed "$STATE" --part-rows 20000 --lease 1 --detach
expect_rc 0 "plan another detached copy"
RUN4=$(newest)
for i in 1 2; do
  "$SLUICE" worker "$STATE" --id "p$i" --run "$RUN4" --idle 2 >"$TMP/p$i.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || bad "worker exited $?: $(cat "$TMP"/p?.log)"; done
pids=()
[ "$(W "SELECT state || ' ' || finished_by FROM sluice_dist_run WHERE id = '$RUN4'")" = "finished p1" ] ||
  [ "$(W "SELECT state || ' ' || finished_by FROM sluice_dist_run WHERE id = '$RUN4'")" = "finished p2" ] && ok ||
  bad "a worker finished the run: $(W "SELECT state, finished_by FROM sluice_dist_run WHERE id = '$RUN4'")"
[ "$(cat "$TMP/p1.log" "$TMP/p2.log" | grep -c "running post-data")" = 1 ] && ok || bad "exactly one worker ran post-data"
[ "$(sql postgres "$TGT4" "SELECT count(*) FROM pg_constraint WHERE conrelid = 'notes'::regclass AND contype = 'f'")" = 1 ] &&
  ok || bad "the foreign key was built without a coordinator"
run "$SLUICE" diff "$SRC" "$TGT4"
expect_rc 0 "diff 0"
run "$SLUICE" copy --distributed "$STATE" --finish --run "$RUN4"
expect_rc 0 "--finish on a run a worker finished reports it"
expect_out "post-data by p" "it names the worker"

# --- 4. a MariaDB source: a consistent snapshot per chunk, the binlog position recorded -----
if echo "$ENGINES" | grep -qx mysql; then
  MSRC=$(scratch_url mysql dsnap_my)
  sql mysql "$MSRC" "CREATE TABLE m (id int PRIMARY KEY, v varchar(20));
    INSERT INTO m SELECT seq, concat('v', seq) FROM seq_1_to_5000" >/dev/null
  TGT5=$(scratch_url postgres dsnap_tgt5)
  run "$SLUICE" copy "$MSRC" "$TGT5" --distributed "$STATE" --part-rows 1000 --lease 5 --detach
  expect_rc 0 "plan a copy from MariaDB"
  expect_out "source snapshot: per chunk" "it says each chunk reads its own snapshot"
  RUN5=$(newest)
  run "$SLUICE" worker "$STATE" --source "$MSRC" --id m1 --run "$RUN5" --idle 1
  expect_rc 0 "a worker copies it"
  run "$SLUICE" status --distributed "$STATE" --run "$RUN5" --json
  python3 -c "
import json; d = json.load(open('$TMP/out'))
assert d['state'] == 'finished' and d['chunks'] >= 4, d
assert all(a['source_pos'] == 'binlog off' for a in d['attempt_log']), d['attempt_log']" &&
    ok || bad "status --json: every attempt records where the binary log stood (binlog off here)"
  [ "$(sql postgres "$TGT5" "SELECT count(*) FROM m")" = 5000 ] && ok || bad "MariaDB rows copied"
  # a distributed diff of MariaDB against PostgreSQL, coordinator waiting: the source read in a
  # snapshot per chunk (its binlog position recorded), the target in its exported snapshot
  NRUNS=$(W "SELECT count(*) FROM sluice_dist_run")
  "$SLUICE" diff "$MSRC" "$TGT5" --distributed "$STATE" --chunk-rows 1000 --lease 5 >"$TMP/md.out" 2>"$TMP/md.err" &
  coord=$!
  pids+=("$coord")
  wait_run $((NRUNS + 1)) && ok || bad "the MariaDB diff is planned"
  DRUN5=$(newest)
  run "$SLUICE" worker "$STATE" --source "$MSRC" --id md1 --run "$DRUN5" --idle 1
  expect_rc 0 "a worker compares MariaDB with PostgreSQL"
  wait "$coord"
  rc=$?
  pids=()
  [ "$rc" = 0 ] && ok || bad "the MariaDB diff finds no difference (exit $rc): $(cat "$TMP/md.out" "$TMP/md.err")"
  grep -q "snapshots: per side: the source reads a consistent snapshot of each chunk's own; the target reads the exported snapshot" "$TMP/md.out" &&
    ok || bad "the summary says what each side read: $(cat "$TMP/md.out")"
  run "$SLUICE" status --distributed "$STATE" --run "$DRUN5" --json
  python3 -c "
import json; d = json.load(open('$TMP/out'))
assert d['snapshot'] is None and d['target_snapshot'], d
assert d['chunks'] >= 4 and all(a['source_pos'] == 'binlog off' for a in d['attempt_log']), d['attempt_log']" &&
    ok || bad "status --json: the target's snapshot, and each diff attempt's binary log position"
fi

# --- 5. --max-rejects is exact across workers ------------------------------------------------
# one value the target refuses every 1000 rows, batches of 100: a batch holds at most one reject
sqlite3 "$TMP/rej.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 40000)
  INSERT INTO t SELECT i, CASE WHEN i % 1000 = 500 THEN 'n/a' ELSE i END FROM g"
TGT6=$(scratch_url postgres dsnap_tgt6)
run "$SLUICE" copy "sqlite:$TMP/rej.db" "$TGT6" --distributed "$STATE" --part-rows 2500 --batch-rows 100 \
  --max-rejects 10 --lease 5 --detach
expect_rc 0 "plan a copy with --max-rejects 10"
RUN6=$(newest)
for i in 1 2 3 4; do
  "$SLUICE" worker "$STATE" --id "j$i" --run "$RUN6" --idle 2 >"$TMP/j$i.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
[ "$(sql postgres "$TGT6" "SELECT count(*) FROM sluice_rejects")" = 11 ] && ok ||
  bad "exactly one batch crossed the budget: 11 rejects kept ($(sql postgres "$TGT6" "SELECT count(*) FROM sluice_rejects"))"
[ "$(sql postgres "$TGT6" "SELECT rows_rejected FROM sluice_copy_state WHERE part = -1")" = 11 ] && ok ||
  bad "the run's budget counter says 11"
[ "$(sql postgres "$TGT6" "SELECT sum(rows_rejected) FROM sluice_copy_state WHERE part >= 0")" = 11 ] && ok ||
  bad "the checkpoints count the same 11"
[ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$RUN6' AND status = 'failed' AND error LIKE '%max-rejects 10%'")" -ge 1 ] &&
  ok || bad "the run halted: chunks failed naming --max-rejects"
run "$SLUICE" copy --distributed "$STATE" --finish --run "$RUN6"
[ "$rc" -ne 0 ] && ok || bad "--finish of a halted run fails"

finish
