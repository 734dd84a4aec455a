#!/usr/bin/env bash
# test_distributed.sh - copy and diff shared by worker processes through a
# work table in PostgreSQL (docs/commands/distributed.md).
#
# The SaaS database of ../shared/bench (scale 0.2, about 200k rows, SQLite) is
# copied into PostgreSQL by four `sluice worker` processes; two are SIGKILLed
# while they hold a chunk with batches committed, and one is started again.
# The copy completes, `sluice diff` finds nothing, and no chunk was committed
# twice: the work table records exactly one finished attempt per chunk, the
# target's checkpoints hold the same attempt number, and every table has as
# many rows as the source. Then a distributed diff of a target with injected
# differences finds exactly those. The same kill into MariaDB checks the fence
# on InnoDB. A state store that is not PostgreSQL is refused with exit 2, and a
# worker whose plan differs from the coordinator's refuses to take part.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
GEN="$SLUICE_SOURCE_DIR/../shared/bench/gen_saas.py"
if ! echo "$ENGINES" | grep -qx postgres; then
  echo "SKIP: no PostgreSQL server configured" >&2
  exit 0
fi
if [ ! -f "$GEN" ]; then
  echo "SKIP: $GEN is absent" >&2
  exit 0
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

python3 "$GEN" generate --scale 0.2 --out "$TMP/saas.db" >/dev/null 2>&1 || { bad "generate the SaaS database"; finish; exit 1; }
SRC="sqlite:$TMP/saas.db"
STATE=$(scratch_url postgres dist_state)
TGT=$(scratch_url postgres dist_tgt)
W() { sql postgres "$STATE" "$1"; }

# --- a state store that is not PostgreSQL ---------------------------------------
run "$SLUICE" worker "sqlite:$TMP/state.db"
expect_rc 2 "worker: a SQLite state store is refused"
expect_err "must be a PostgreSQL database" "worker: says why"
run "$SLUICE" copy "$SRC" "$TGT" --distributed "$SLUICE_TEST_MY_URL"
expect_rc 2 "copy --distributed: a MySQL state store is refused"
[ "$(sql postgres "$TGT" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] && ok ||
  bad "nothing was created in the target after the refusal"
run "$SLUICE" status --distributed "$STATE"
[ "$rc" -ne 0 ] && ok || bad "status --distributed without a run fails"
expect_err "holds no distributed run" "status says there is no run"

# --- plan -----------------------------------------------------------------------
run "$SLUICE" copy "$SRC" "$TGT" --distributed "$STATE" --part-rows 5000 --lease 3 --batch-rows 250 --detach
expect_rc 0 "copy --distributed --detach plans"
expect_out "planned distributed copy" "the plan is announced"
NCHUNKS=$(W "SELECT count(*) FROM sluice_dist_chunk")
[ "$NCHUNKS" -ge 40 ] && ok || bad "the tables were split into chunks of about 5000 rows ($NCHUNKS chunks)"
[ "$(W "SELECT count(*) FROM sluice_dist_run WHERE source LIKE '%saas.db' AND target NOT LIKE '%sluice-test-pw%'")" = 1 ] && ok ||
  bad "the run records its sides"
[ "$(sql postgres "$TGT" "SELECT count(*) FROM sluice_copy_state WHERE part >= 0")" = "$NCHUNKS" ] && ok ||
  bad "one checkpoint row per chunk in the target"

# --- four workers, two killed mid-chunk, one restarted --------------------------
for i in 1 2 3 4; do
  "$SLUICE" worker "$STATE" --id "w$i" --idle 4 --verbose >"$TMP/w$i.log" 2>&1 &
  pids+=($!)
done
# a worker holds a chunk with batches committed once it logged "rows committed" after its last claim
holding() { awk '/attempt [0-9]+$/ {c=1} /rows committed/ {if (c) r=1} /done:/ {c=0; r=0} END {exit !(c && r)}' "$1"; }
for victim in 1 2; do
  for _ in $(seq 1 300); do holding "$TMP/w$victim.log" && break; sleep 0.05; done
  { kill -9 "${pids[$((victim - 1))]}"; wait "${pids[$((victim - 1))]}"; } 2>/dev/null
done
sleep 0.5
"$SLUICE" worker "$STATE" --id w5 --idle 4 >"$TMP/w5.log" 2>&1 &
pids+=($!)

run "$SLUICE" copy --distributed "$STATE" --finish
expect_rc 0 "copy --distributed --finish waits for the chunks (post-data by the last worker or by it)"
grep -qE "copy finished|finished \(post-data by w[345]\)" "$TMP/out" && ok || bad "the summary says finished: $(cat "$TMP/out")"
expect_out "source snapshot: per chunk: each chunk reads in one statement" "a SQLite source: what holds is said"
for i in 3 4 5; do wait "${pids[$((i - 1))]}" || bad "worker w$i exited $?"; done
pids=()

run "$SLUICE" diff "$SRC" "$TGT"
expect_rc 0 "diff after the distributed copy finds nothing"
expect_out "0 discrepancies" "diff says 0 discrepancies"

# --- exactly once -----------------------------------------------------------------
[ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE status <> 'done'")" = 0 ] && ok || bad "every chunk done"
[ "$(W "SELECT count(*) FROM (SELECT chunk FROM sluice_dist_attempt WHERE outcome = 'done'
        GROUP BY chunk HAVING count(*) <> 1) x")" = 0 ] && ok || bad "no chunk recorded done twice"
[ "$(W "SELECT count(*) FROM sluice_dist_attempt WHERE outcome = 'done'")" = "$NCHUNKS" ] && ok ||
  bad "one finished attempt per chunk"
EXPIRED=$(W "SELECT count(*) FROM sluice_dist_attempt WHERE outcome = 'expired'")
[ "$EXPIRED" -ge 1 ] && ok || bad "a killed worker's chunk was reclaimed after its lease ($EXPIRED expired attempts)"
[ "$(W "SELECT count(DISTINCT worker) FROM sluice_dist_attempt WHERE outcome = 'expired' AND worker IN ('w1', 'w2')")" -ge 1 ] &&
  ok || bad "the expired attempts are the killed workers'"
# the target's checkpoints: the same finishing attempt per part as the work table, every part done
W "SELECT tbl, part, attempt FROM sluice_dist_chunk ORDER BY 1, 2" >"$TMP/work.txt"
sql postgres "$TGT" "SELECT tbl, part, attempt FROM sluice_copy_state WHERE part >= 0 ORDER BY 1, 2" >"$TMP/ckpt.txt"
cmp -s "$TMP/work.txt" "$TMP/ckpt.txt" && ok || bad "work table and target checkpoints agree on each chunk's attempt"
[ "$(sql postgres "$TGT" "SELECT count(*) FROM sluice_copy_state WHERE part >= 0 AND status <> 'done'")" = 0 ] && ok ||
  bad "every checkpoint done"
for t in audit_log invoice_items payments users; do
  s=$(sqlite3 "$TMP/saas.db" "SELECT count(*) FROM $t")
  [ "$(sql postgres "$TGT" "SELECT count(*) FROM $t")" = "$s" ] && ok || bad "$t: as many rows as the source"
  [ "$(sql postgres "$TGT" "SELECT sum(rows_written) FROM sluice_copy_state WHERE tbl = '$t'")" = "$s" ] && ok ||
    bad "$t: the checkpoints count every row once"
done

run "$SLUICE" status --distributed "$STATE"
expect_rc 0 "status --distributed"
expect_out "(copy, finished)" "status shows the finished run"
expect_out "chunks: $NCHUNKS done, 0 running, 0 failed" "status counts the chunks"
expect_out "w5" "status lists the workers"
run "$SLUICE" status --distributed "$STATE" --json
python3 -c "import json; d=json.load(open('$TMP/out')); assert d['done'] == $NCHUNKS and d['done_records'] == $NCHUNKS" &&
  ok || bad "status --json"
expect_nowhere "sluice-test-pw" "no password printed"


# --- into MariaDB: the same fence on InnoDB, one of two workers killed ---------------
# The MariaDB URL holds a password, which the work table does not keep: a worker that is not
# told the target leaves the run to others (and says so), the others are given --target.
if echo "$ENGINES" | grep -qx mysql; then
  MTGT=$(scratch_url mysql dist_my)
  run "$SLUICE" copy "$SRC" "$MTGT" --distributed "$STATE" --tables audit_log,users,customers \
    --part-rows 10000 --lease 3 --batch-rows 250 --detach
  expect_rc 0 "copy into MariaDB --distributed --detach plans"
  expect_nowhere "sluice-test-pw" "MariaDB: the plan prints no password"
  MRUN=$(W "SELECT id FROM sluice_dist_run ORDER BY created_at DESC LIMIT 1")
  [ "$(W "SELECT count(*) FROM sluice_dist_run WHERE id = '$MRUN' AND target LIKE '%***%' AND target_ref = ''
          AND target NOT LIKE '%sluice-test-pw%'")" = 1 ] && ok || bad "MariaDB: the run keeps the target masked, no ref"
  run "$SLUICE" worker "$STATE" --id blind --idle 1
  expect_rc 2 "a worker that cannot reach the target exits 2 once nothing else is left"
  expect_err "start the worker with --target" "it names the option to give"
  expect_err "leaving run $MRUN to other workers" "it leaves the run to others"
  [ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$MRUN' AND status <> 'pending'")" = 0 ] && ok ||
    bad "MariaDB: the chunk it claimed was given back"
  "$SLUICE" worker "$STATE" --target "$MTGT" --run "$MRUN" --id m1 --idle 4 --verbose >"$TMP/m1.log" 2>&1 &
  m1=$!
  "$SLUICE" worker "$STATE" --target "$MTGT" --run "$MRUN" --id m2 --idle 4 >"$TMP/m2.log" 2>&1 &
  m2=$!
  pids+=("$m1" "$m2")
  for _ in $(seq 1 300); do holding "$TMP/m1.log" && break; sleep 0.05; done
  { kill -9 "$m1"; wait "$m1"; } 2>/dev/null
  "$SLUICE" worker "$STATE" --target "$MTGT" --run "$MRUN" --id m3 --idle 4 >"$TMP/m3.log" 2>&1 &
  pids+=($!)
  run "$SLUICE" copy "$SRC" "$MTGT" --distributed "$STATE" --finish --run "$MRUN"
  expect_rc 0 "MariaDB: --finish"
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
  run "$SLUICE" diff "$SRC" "$MTGT" --tables audit_log,users,customers
  expect_rc 0 "MariaDB: diff finds nothing"
  [ "$(W "SELECT count(*) FROM (SELECT chunk FROM sluice_dist_attempt WHERE run_id = '$MRUN' AND outcome = 'done'
          GROUP BY chunk HAVING count(*) <> 1) x")" = 0 ] && ok || bad "MariaDB: no chunk recorded done twice"
  W "SELECT tbl, part, attempt FROM sluice_dist_chunk WHERE run_id = '$MRUN' ORDER BY 1, 2" >"$TMP/mwork.txt"
  sql mysql "$MTGT" "SELECT tbl, part, attempt FROM sluice_copy_state WHERE part >= 0 ORDER BY 1, 2" >"$TMP/mckpt.txt"
  cmp -s "$TMP/mwork.txt" "$TMP/mckpt.txt" && ok || bad "MariaDB: work table and checkpoints agree on each attempt"
  [ "$(sql mysql "$MTGT" "SELECT count(*) FROM audit_log")" = 120000 ] && ok || bad "MariaDB: audit_log complete"
fi

# --- distributed diff with injected differences ---------------------------------------
sql postgres "$TGT" "DELETE FROM audit_log WHERE id IN (7, 70000);
  UPDATE invoices SET status = 'void' WHERE id = 11;
  INSERT INTO permissions SELECT 900001, membership_id, 'zz-extra', granted_at, granted_by
    FROM permissions ORDER BY id LIMIT 1" >/dev/null
run "$SLUICE" diff "$SRC" "$TGT" --distributed "$STATE" --chunk-rows 20000 --lease 3 --detach
expect_rc 0 "diff --distributed --detach plans"
DRUN=$(cat "$TMP/out")
[ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE run_id = '$DRUN' AND tbl = 'audit_log'")" -ge 6 ] && ok ||
  bad "audit_log is compared in several chunks"
for i in 1 2 3; do
  "$SLUICE" worker "$STATE" --id "d$i" --idle 3 -q &
  pids+=($!)
done
run "$SLUICE" diff --distributed "$STATE" --finish
expect_rc 1 "the distributed diff finds the differences (exit 1 as diff)"
expect_out "4 discrepancies" "exactly the injected differences (2 missing, 1 changed, 1 extra)"
expect_out "audit_log: 120000 source rows, 119998 target rows, 2 missing, 0 extra, 0 changed" "audit_log: 2 missing"
expect_out "invoices: 16000 source rows, 16000 target rows, 0 missing, 0 extra, 1 changed" "invoices: 1 changed"
expect_out '"columns": ["status"]' "the changed column is named"
expect_out "permissions: 1400 source rows, 1401 target rows, 0 missing, 1 extra, 0 changed" "permissions: 1 extra"
expect_out '{"id": 70000}' "an example key"
for p in "${pids[@]}"; do wait "$p" || bad "diff worker exited $?"; done
pids=()
run "$SLUICE" diff --distributed "$STATE" --finish --run "$DRUN"
expect_rc 1 "a finished diff reports again"

run "$SLUICE" worker "$STATE" --id idle --idle 1
expect_rc 0 "a worker with nothing to do exits 0"

# --- a worker whose plan differs refuses (a cast rule of its own sluice.yaml) ------------
mkdir -p "$TMP/proj"
printf 'casts:\n  - column: users.email\n    to: VARCHAR(300)\n' >"$TMP/proj/sluice.yaml"
TGT2=$(scratch_url postgres dist_tgt2)
run "$SLUICE" copy "$SRC" "$TGT2" --distributed "$STATE" --tables users --detach
expect_rc 0 "plan a second copy"
run env -C "$TMP/proj" "$SLUICE" worker "$STATE" --id other --idle 1
expect_rc 5 "a worker whose cast rules differ refuses"
expect_err "is not the coordinator's" "it says the plans differ"
[ "$(W "SELECT count(*) FROM sluice_dist_chunk c JOIN sluice_dist_run r ON r.id = c.run_id
       WHERE r.target LIKE '%dist_tgt2' AND c.status = 'pending'")" -ge 1 ] && ok || bad "its chunk was given back"
run "$SLUICE" worker "$STATE" --id good --idle 1
expect_rc 0 "a worker with the same plan takes it"
run "$SLUICE" copy --distributed "$STATE" --finish
expect_rc 0 "the second copy finishes"
[ "$(sql postgres "$TGT2" "SELECT count(*) FROM users")" = 5000 ] && ok || bad "users copied"

finish
