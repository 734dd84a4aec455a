#!/usr/bin/env bash
# run.sh - every benchmark, in one run, written to bench/RESULTS.md (`make bench`).
# Each bench script starts its own throwaway servers and prints a Markdown section.
# BENCH="migrate copy diff" picks which to run.
set -euo pipefail
cd "$(dirname "$0")"
export SLUICE=${1:-$(pwd)/../build/sluice}
[ -x "$SLUICE" ] || { echo "no sluice binary at $SLUICE (make build)" >&2; exit 1; }
out=RESULTS.md.new
{
  echo "# Benchmark results"
  echo
  echo "Measured by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
  echo "sluice $("$SLUICE" --version | awk '{print $2}'), $(psql --version | head -1), $(mariadb --version | sed 's/,.*//'),"
  echo "$(sqlite3 --version | awk '{print "SQLite " $1}'). Servers are throwaway instances on loopback (tests/servers/servers.sh)."
  echo "Every comparison runs both tools in the same run on the same servers; ratios are other tool / sluice (higher is better for sluice)."
  echo
  for b in ${BENCH:-migrate copy diff}; do
    if [ -x "./$b.sh" ]; then "./$b.sh"; echo; else echo "(bench/$b.sh not present yet)" >&2; fi
  done
} >"$out"
mv "$out" RESULTS.md
cat RESULTS.md
