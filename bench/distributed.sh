#!/usr/bin/env bash
# distributed.sh - throughput of a distributed copy (docs/commands/distributed.md)
# with 1, 2 and 4 `sluice worker` processes on this machine, against the same
# servers, beside a plain `sluice copy --jobs N`: the SaaS database (SQLite) into
# PostgreSQL. Data phase = from the first claim to the last chunk done (the work
# table's clock); total adds the plan (tables) and post-data (indexes, constraints,
# foreign keys), which the worker that finishes the last chunk runs.
# SCALE picks the generator scale (default 1); WORKERS the worker counts (default "1 2 4").
. "$(dirname "$0")/lib.sh"
GEN="$ROOT/../shared/bench/gen_saas.py"
[ -f "$GEN" ] || { echo "generator not found at $GEN" >&2; exit 1; }
DATA=${BENCH_DATA:-$BENCH_DIR/data}
mkdir -p "$DATA"
start_servers
SCALE=${SCALE:-1}
db="$DATA/saas$SCALE.db"
[ -f "$db" ] || python3 "$GEN" generate --scale "$SCALE" --below-2-62 --out "$db" >/dev/null
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM invoices) + (SELECT count(*) FROM invoice_items) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM users) + (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM permissions)")
rate() { awk -v r="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "n/a" }'; }

echo "## Distributed copy: SaaS scale $SCALE ($rows rows, SQLite) into PostgreSQL, 1, 2 and 4 workers"
echo
echo "| how | chunks | data phase (s) | rows/s in the data phase | total (s) | diff |"
echo "|---|---:|---:|---:|---:|---|"
for j in 1 2; do
  tgt=$(pg_db dist_plain)
  t=$(now)
  "$SLUICE" copy "sqlite:$db" "$tgt" --jobs "$j" -q >/dev/null 2>&1
  total=$(elapsed "$t")
  "$SLUICE" diff "sqlite:$db" "$tgt" >/dev/null 2>&1 && d=0 || d="exit $?"
  echo "| sluice copy --jobs $j (one process) | | | | $total | $d |"
done
for w in ${WORKERS:-1 2 4}; do
  tgt=$(pg_db dist_tgt)
  state=$(pg_db dist_state)
  t=$(now)
  "$SLUICE" copy "sqlite:$db" "$tgt" --distributed "$state" --part-rows 50000 --detach -q >/dev/null 2>&1
  plan=$(elapsed "$t")
  pids=()
  for i in $(seq 1 "$w"); do
    "$SLUICE" worker "$state" --id "w$i" --idle 1 -q &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  # the run was planned with --detach: the worker that finished the last chunk ran post-data;
  # the data phase is read from the work table (first claim to last chunk done)
  data=$(psql -qAt "$state" -c "SELECT round(extract(epoch FROM max(c.finished_at) - min(a.started_at))::numeric, 3)
                                 FROM sluice_dist_chunk c JOIN sluice_dist_attempt a USING (run_id, chunk)")
  "$SLUICE" copy --distributed "$state" --finish -q >/dev/null 2>&1
  total=$(awk -v a="$(elapsed "$t")" 'BEGIN { printf "%.3f", a - 1 }') # less the idle second before exit
  chunks=$(psql -qAt "$state" -c "SELECT count(*) FROM sluice_dist_chunk")
  "$SLUICE" diff "sqlite:$db" "$tgt" >/dev/null 2>&1 && d=0 || d="exit $?"
  echo "| $w worker$([ "$w" = 1 ] || echo s) (plan ${plan}s) | $chunks | $data | $(rate "$rows" "$data") | $total | $d |"
done
echo
echo "$(nproc) cores: the workers, the PostgreSQL target and the SQLite reads share them, so more"
echo "workers than cores cannot add throughput here. Across machines, workers add source reads"
echo "(each its own connection or file reader), conversion CPU and network bandwidth; what they do not"
echo "add is the target's CPU and disk for inserts, its index and foreign-key builds (post-data, one"
echo "connection, the same with one worker or many) and a SQLite source's single disk. The work table"
echo "costs one claim per chunk and a lease renewal every few seconds per worker."
