#!/usr/bin/env bash
# test_watch_memory.sh - a long watch keeps its memory flat: 400 runs of the
# rules and diff checks back to back (1 ms apart) on SQLite; the resident set
# size after run 300 must be within 2 MiB of that after run 100 (it grows about
# 0.6 MiB as allocator and caches settle; a watch that kept each run's arena
# grows 3 MiB). AddressSanitizer's quarantine is made small so that freed
# memory is reused as it is without it. bench/watch.sh measures 1,000 runs
# on the release build (bench/RESULTS.md).
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
cd "$TMP" || exit 1
sqlite3 a.db "CREATE TABLE invoices (id INTEGER PRIMARY KEY, number VARCHAR(20) NOT NULL, total NUMERIC(10,2));
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200)
  INSERT INTO invoices SELECT x, 'INV-' || x, x * 1.25 FROM c;"
cp a.db b.db
cat >sluice.yaml <<'YAML'
state: state.db
environments: { old: { url: "sqlite:a.db" }, new: { url: "sqlite:b.db" } }
rules:
  - { name: numbers unique, type: unique, table: invoices, column: number }
  - { name: totals positive, type: range, table: invoices, column: total, min: 0 }
watch: { target: new, source: old, checks: [rules, diff] }
YAML
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:quarantine_size_mb=1"
"$SLUICE" watch --every 1ms --rounds 400 --json >runs.jsonl 2>err &
pid=$!
# sample VmRSS while the watch runs: the first sample once 100 runs are recorded, and the last
# sample taken after run 300 while the process is still alive (under load the last runs can end
# between two samples, so no single run number is waited for)
early="" late="" late_n=0
while kill -0 "$pid" 2>/dev/null; do
  n=$(wc -l <runs.jsonl)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  if [ -n "$rss" ]; then
    [ -z "$early" ] && [ "$n" -ge 100 ] && early=$rss
    [ "$n" -ge 300 ] && { late=$rss; late_n=$n; }
  fi
  sleep 0.02
done
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "watch: exit $rc: $(head -c 300 err)"
[ "$(grep -c '"status":"ok"' runs.jsonl)" -eq 400 ] && ok || bad "not 400 ok runs"
echo "rss after run 100: ${early} kB, after run ${late_n}: ${late} kB"
[ -n "$early" ] && [ -n "$late" ] && [ $((late - early)) -lt 2048 ] && ok || bad "memory grew from ${early} kB to ${late} kB"
finish
