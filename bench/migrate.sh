#!/usr/bin/env bash
# migrate.sh - time to apply and to revert N small migrations (default 200):
# sluice on SQLite, PostgreSQL and MariaDB, sqitch on PostgreSQL and SQLite,
# in the same run, on the same servers. Prints a Markdown table with the
# per-change times and the ratio sqitch / sluice.
. "$(dirname "$0")/lib.sh"
N=${N:-200}
RUNS=${RUNS:-3}
command -v sqitch >/dev/null || { echo "sqitch not installed (scripts/deps.sh bench)" >&2; exit 1; }
start_servers

P=$BENCH_DIR/proj
mkdir -p "$P/migrations" "$P/sqitch/deploy" "$P/sqitch/revert" "$P/sqitch/verify"
{ echo "%syntax-version=1.0.0"; echo "%project=bench"; echo; } >"$P/sqitch/sqitch.plan"
for i in $(seq -w 1 "$N"); do
  cat >"$P/migrations/2026010100$i""_t$i.sql" <<SQL
-- title: table $i
-- +sluice up
CREATE TABLE t$i (id INTEGER PRIMARY KEY, v VARCHAR(50));
-- +sluice down
DROP TABLE t$i;
SQL
  echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY, v VARCHAR(50));" >"$P/sqitch/deploy/t$i.sql"
  echo "DROP TABLE t$i;" >"$P/sqitch/revert/t$i.sql"
  echo "SELECT id FROM t$i WHERE 0 = 1;" >"$P/sqitch/verify/t$i.sql"
  echo "t$i 2026-01-01T00:00:00Z Bench <bench@example.com> # table $i" >>"$P/sqitch/sqitch.plan"
done
printf '[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n' >"$P/sqitch/sqitch.conf"

# time_sluice ENGINE: prints "up_seconds down_seconds" (median of RUNS)
time_sluice() {
  local engine=$1 ups=() downs=() url t r
  for r in $(seq "$RUNS"); do
    case $engine in
      sqlite) rm -f "$BENCH_DIR/s.db"; url="sqlite:$BENCH_DIR/s.db" ;;
      postgres) url=$(pg_db bench_sluice) ;;
      mysql) url=$(my_db bench_sluice) ;;
    esac
    t=$(now); "$SLUICE" up "$url" --dir "$P/migrations" 2>/dev/null; ups+=("$(elapsed "$t")")
    t=$(now); "$SLUICE" down "$url" --dir "$P/migrations" --steps "$N" 2>/dev/null; downs+=("$(elapsed "$t")")
  done
  echo "$(median "${ups[@]}") $(median "${downs[@]}")"
}

# time_sqitch ENGINE: the same with sqitch deploy / revert
time_sqitch() {
  local engine=$1 ups=() downs=() target t r
  for r in $(seq "$RUNS"); do
    case $engine in
      sqlite) rm -f "$BENCH_DIR/q.db" "$BENCH_DIR/sqitch.db"; target="db:sqlite:$BENCH_DIR/q.db" ;;
      postgres) pg_db bench_sqitch >/dev/null; target="db:pg://postgres@127.0.0.1:$SLUICE_TEST_PG_PORT/bench_sqitch" ;;
    esac
    ( cd "$P/sqitch"
      t=$(now); sqitch --quiet deploy "$target" >/dev/null; echo "up $(elapsed "$t")"
      t=$(now); sqitch --quiet revert -y "$target" >/dev/null; echo "down $(elapsed "$t")" ) >"$BENCH_DIR/sq.out"
    ups+=("$(awk '/^up/ {print $2}' "$BENCH_DIR/sq.out")")
    downs+=("$(awk '/^down/ {print $2}' "$BENCH_DIR/sq.out")")
  done
  echo "$(median "${ups[@]}") $(median "${downs[@]}")"
}

per_change() { awk -v s="$1" -v n="$N" 'BEGIN { printf "%.2f", s * 1000 / n }'; }

echo "## Migrations: apply and revert $N small migrations (median of $RUNS runs)"
echo
echo "| engine | sluice up | sluice down | sqitch deploy | sqitch revert | sqitch / sluice (up) | sqitch / sluice (down) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for engine in sqlite postgres mysql; do
  read -r su sd <<<"$(time_sluice $engine)"
  if [ $engine = mysql ]; then
    echo "| $engine | $su s ($(per_change "$su") ms/change) | $sd s ($(per_change "$sd") ms/change) | - | - | - | - |"
    continue
  fi
  read -r qu qd <<<"$(time_sqitch $engine)"
  echo "| $engine | $su s ($(per_change "$su") ms/change) | $sd s ($(per_change "$sd") ms/change) | $qu s ($(per_change "$qu") ms/change) | $qd s ($(per_change "$qd") ms/change) | $(ratio "$qu" "$su")x | $(ratio "$qd" "$sd")x |"
done
echo
echo "Each migration is one CREATE TABLE (down: DROP TABLE). sluice holds one connection and one lock for the"
echo "whole run and commits each migration with its history row in one transaction (statement by statement"
echo "on MariaDB, which has no transactional DDL). sqitch starts the engine's client (psql, sqlite3) for every"
echo "change, which is most of its per-change cost. MariaDB's time is its own DDL cost (data-dictionary writes)."
