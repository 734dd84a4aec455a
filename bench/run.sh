#!/usr/bin/env bash
# run.sh - the benchmarks (`make bench`): each writes its section to
# bench/results/<name>.md, and bench/RESULTS.md is assembled from every
# section present, so running one benchmark keeps the others' last results.
# BENCH="migrate copy diff snapshot distributed distributed_kill" picks which to run (default: all); BENCH=none only
# reassembles RESULTS.md from the sections present.
set -euo pipefail
cd "$(dirname "$0")"
export SLUICE=${1:-$(pwd)/../build/sluice}
[ -x "$SLUICE" ] || { echo "no sluice binary at $SLUICE (make build)" >&2; exit 1; }
mkdir -p results
for b in ${BENCH:-migrate copy diff rehearse snapshot sync watch expand distributed distributed_kill}; do
  [ "$b" = none ] && continue
  [ -x "./$b.sh" ] || { echo "bench/$b.sh not found" >&2; exit 2; }
  {
    echo "<!-- measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) -->"
    "./$b.sh"
  } >"results/$b.md.new"
  mv "results/$b.md.new" "results/$b.md"
done
{
  echo "# Benchmark results"
  echo
  echo "Measured by \`make bench\` (bench/run.sh). sluice $("$SLUICE" --version | awk '{print $2}'),"
  echo "$(psql --version | head -1), $(mariadb --version | sed 's/,.*//'), $(sqlite3 --version | awk '{print "SQLite " $1}')."
  echo "Servers are throwaway instances on loopback (tests/servers/servers.sh: fsync off). Every comparison"
  echo "runs both tools in the same run on the same servers; ratios are other tool / sluice (above 1: sluice is faster)."
  for b in migrate copy diff rehearse snapshot sync watch expand distributed distributed_kill; do
    [ -f "results/$b.md" ] && { echo; cat "results/$b.md"; }
  done
} >RESULTS.md
cat RESULTS.md
