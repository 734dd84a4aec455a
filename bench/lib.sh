# lib.sh - shared helpers for the benchmarks: throwaway servers, timing, result tables.
# Source it from a bench script; it starts servers in $BENCH_DIR and stops them on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build/sluice}
BENCH_DIR=$(mktemp -d /tmp/sluice-bench.XXXXXX)
chmod 755 "$BENCH_DIR" # the postgres user must reach its data directory inside

start_servers() {
  "$ROOT/tests/servers/servers.sh" start "$BENCH_DIR/servers" >&2
  # shellcheck disable=SC1091
  . "$BENCH_DIR/servers/env"
}
stop_all() { "$ROOT/tests/servers/servers.sh" stop "$BENCH_DIR/servers" >/dev/null 2>&1 || true; rm -rf "$BENCH_DIR"; }
trap stop_all EXIT

# now: seconds since the epoch with nanoseconds
now() { date +%s.%N; }
# elapsed START: seconds since START, 3 decimals
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }
# ratio A B: A / B with 1 decimal
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

pg_db() { # pg_db NAME: a fresh PostgreSQL database, prints its URL
  PGOPTIONS="-c client_min_messages=warning" psql -q "$SLUICE_TEST_PG_URL" \
    -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  echo "${SLUICE_TEST_PG_URL%/*}/$1"
}
my_db() { # my_db NAME: a fresh MariaDB database, prints its URL
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
    -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1" >/dev/null
  echo "${SLUICE_TEST_MY_URL%/*}/$1"
}
