#!/usr/bin/env bash
# distributed_kill.sh - issue 16's must-show, recorded: the SaaS database at
# SCALE (default 5, about 5M rows, SQLite) copied into PostgreSQL by four
# `sluice worker` processes; two are SIGKILLed while they hold a chunk with
# batches committed, one is started again. Then `sluice diff` (exit 0 wanted)
# and the exactly-once counts of tests/integration/test_distributed.sh: one
# `done` attempt per chunk in the work table, the same attempt per chunk in the
# target's checkpoints, and the checkpoints' row counts against the source's.
# PART_ROWS (default 100000) and LEASE (default 10 s) size the chunks and the lease;
# the victims are killed once KILL_AFTER chunks are done (default a third of them).
. "$(dirname "$0")/lib.sh"
GEN="$ROOT/../shared/bench/gen_saas.py"
[ -f "$GEN" ] || { echo "generator not found at $GEN" >&2; exit 1; }
DATA=${BENCH_DATA:-$BENCH_DIR/data}
mkdir -p "$DATA"
start_servers
SCALE=${SCALE:-5}
PART_ROWS=${PART_ROWS:-100000}
LEASE=${LEASE:-10}
db="$DATA/saas$SCALE.db"
gen="reused ($db was there)"
if [ ! -f "$db" ]; then
  t=$(now)
  python3 "$GEN" generate --scale "$SCALE" --below-2-62 --out "$db" >/dev/null
  gen=$(elapsed "$t")
fi
tables=$(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1")
rows=0
for tb in $tables; do rows=$((rows + $(sqlite3 "$db" "SELECT count(*) FROM \"$tb\""))); done
tgt=$(pg_db dist_kill_tgt)
state=$(pg_db dist_kill_state)
W() { psql -qAt "$state" -c "$1"; }
T() { psql -qAt "$tgt" -c "$1"; }
log="$BENCH_DIR/logs"
mkdir -p "$log"

t0=$(now)
"$SLUICE" copy "sqlite:$db" "$tgt" --distributed "$state" --part-rows "$PART_ROWS" --lease "$LEASE" --detach -q >/dev/null
plan=$(elapsed "$t0")
chunks=$(W "SELECT count(*) FROM sluice_dist_chunk")
pids=()
for i in 1 2 3 4; do
  "$SLUICE" worker "$state" --id "w$i" --idle 5 --verbose >"$log/w$i.log" 2>&1 &
  pids+=($!)
done
# a worker holds a chunk with batches committed once it logged "rows committed" after its last claim
# (HOLD_FROM: the first line to read; the victims' earlier chunks do not count)
holding() {
  tail -n "+${HOLD_FROM:-1}" "$1" |
    awk '/attempt [0-9]+$/ {c=1} /rows committed/ {if (c) r=1} /done:/ {c=0; r=0} END {exit !(c && r)}'
}
# mid-way: once KILL_AFTER of the chunks are done (default a third), each victim when it holds one
KILL_AFTER=${KILL_AFTER:-$((chunks / 3))}
for _ in $(seq 1 6000); do
  [ "$(W "SELECT count(*) FROM sluice_dist_chunk WHERE status = 'done'")" -ge "$KILL_AFTER" ] && break
  sleep 0.1
done
from=()
for victim in 1 2; do from+=($(($(wc -l <"$log/w$victim.log") + 1))); done
killed_at=""
for victim in 1 2; do
  HOLD_FROM=${from[$((victim - 1))]}
  for _ in $(seq 1 1200); do holding "$log/w$victim.log" && break; sleep 0.05; done
  { kill -9 "${pids[$((victim - 1))]}"; wait "${pids[$((victim - 1))]}"; } 2>/dev/null || true
  killed_at="$killed_at $(elapsed "$t0")s"
done
done_at_kill=$(W "SELECT count(*) FROM sluice_dist_chunk WHERE status = 'done'")
sleep 0.5
"$SLUICE" worker "$state" --id w5 --idle 5 >"$log/w5.log" 2>&1 &
pids+=($!)
fin_rc=0
"$SLUICE" copy --distributed "$state" --finish -q >/dev/null 2>"$log/finish.err" || fin_rc=$?
total=$(elapsed "$t0")
for i in 3 4 5; do wait "${pids[$((i - 1))]}" || echo "worker w$i exited $?" >&2; done

t1=$(now)
drc=0
"$SLUICE" diff "sqlite:$db" "$tgt" >"$log/diff.out" 2>&1 || drc=$?
difft=$(elapsed "$t1")
attempts=$(W "SELECT count(*) FROM sluice_dist_attempt")
done_attempts=$(W "SELECT count(*) FROM sluice_dist_attempt WHERE outcome = 'done'")
expired=$(W "SELECT count(*) FROM sluice_dist_attempt WHERE outcome = 'expired'")
expired_by=$(W "SELECT coalesce(string_agg(DISTINCT worker, ', '), '-') FROM sluice_dist_attempt WHERE outcome = 'expired'")
twice=$(W "SELECT count(*) FROM (SELECT chunk FROM sluice_dist_attempt WHERE outcome = 'done' GROUP BY chunk HAVING count(*) <> 1) x")
not_done=$(W "SELECT count(*) FROM sluice_dist_chunk WHERE status <> 'done'")
W "SELECT tbl, part, attempt FROM sluice_dist_chunk ORDER BY 1, 2" >"$log/work.txt"
T "SELECT tbl, part, attempt FROM sluice_copy_state WHERE part >= 0 ORDER BY 1, 2" >"$log/ckpt.txt"
cmp -s "$log/work.txt" "$log/ckpt.txt" && agree=yes || agree=NO
ckpt_rows=$(T "SELECT sum(rows_written) FROM sluice_copy_state WHERE part >= 0")
tgt_rows=0
for tb in $tables; do tgt_rows=$((tgt_rows + $(T "SELECT count(*) FROM \"$tb\""))); done
by_worker=$(W "SELECT string_agg(worker || ' ' || n, ', ' ORDER BY worker) FROM (SELECT worker, count(*) n FROM sluice_dist_attempt WHERE outcome = 'done' GROUP BY worker) x")

echo "## Distributed copy, four workers, two SIGKILLed: SaaS scale $SCALE into PostgreSQL"
echo
echo "issue 16's must-show (bench/distributed_kill.sh): $rows rows in $(echo "$tables" | wc -w) tables (SQLite),"
echo "\`--part-rows $PART_ROWS --lease $LEASE\`; workers w1 and w2 SIGKILLed while each held a chunk with"
echo "batches committed (at$killed_at after the plan started; $done_at_kill chunks done by then), w5 started 0.5 s later."
echo
echo "| what | value |"
echo "|---|---|"
echo "| generate the source (s) | ${gen/$DATA\//} |"
echo "| plan (tables, chunks; s) | $plan |"
echo "| plan to \`--finish\` done: load, reclaims, post-data (s) | $total |"
echo "| \`--finish\` exit | $fin_rc |"
echo "| rows in the source / in the target | $rows / $tgt_rows |"
echo "| rows counted by the target's checkpoints | $ckpt_rows |"
echo "| chunks / not done | $chunks / $not_done |"
echo "| attempts recorded / done / expired (workers) | $attempts / $done_attempts / $expired ($expired_by) |"
echo "| chunks recorded done more than once | $twice |"
echo "| work table and target checkpoints agree on every chunk's attempt | $agree |"
echo "| chunks done per worker | $by_worker |"
echo "| \`sluice diff\` exit (s) | $drc ($difft) |"
echo
echo "$(nproc) cores, the workers, the PostgreSQL target and the SQLite reads on one machine."
