#!/usr/bin/env bash
# watch.sh - `sluice watch` over a long run: 1,000 runs 10 ms apart, the
# resident set size of the watch process sampled every 100 runs, the time a
# run takes and what the state store holds afterwards; on SQLite (rules,
# diff and shadow reads on the same database copied) and on a PostgreSQL
# target watched against a MariaDB source (rules and diff; each run connects
# to both servers and closes the connections). A leak of a few kB per run
# shows as a line rising by megabytes. RUNS overrides the count.
. "$(dirname "$0")/lib.sh"
start_servers
RUNS=${RUNS:-1000}
W=$BENCH_DIR/work
mkdir -p "$W"
cd "$W"

sqlite3 seed.db "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
  CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
    number VARCHAR(20) NOT NULL, total NUMERIC(10,2) NOT NULL, currency VARCHAR(3) NOT NULL);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)
  INSERT INTO customers SELECT x, 'customer ' || x FROM c;
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
  INSERT INTO invoices SELECT x, x % 500 + 1, 'INV-' || x, (x * 7 % 1000) / 4.0,
    CASE x % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'JPY' END FROM c;"
cp seed.db copy.db
pg=$(pg_db watch_bench)
my=$(my_db watch_bench)
"$SLUICE" copy -q sqlite:seed.db "$pg" >/dev/null
"$SLUICE" copy -q sqlite:seed.db "$my" >/dev/null

# project NAME SOURCE TARGET CHECKS: a sluice.yaml of its own
project() {
  cat >"$1.yaml" <<YAML
state: $1.db
environments: { old: { url: "$2" }, new: { url: "$3" } }
rules:
  - { name: invoices have customers, type: relationship, table: invoices, columns: [customer_id],
      references: { table: customers, columns: [id] } }
  - { name: one number per invoice, type: unique, table: invoices, column: number }
  - { name: known currencies, type: accepted_values, table: invoices, column: currency, values: [USD, EUR, JPY] }
shadow:
  - { name: revenue by currency, sql: "SELECT currency, count(*), sum(total) FROM invoices GROUP BY currency" }
watch: { target: new, source: old, checks: [$4] }
YAML
}

# measure NAME: runs the watch of NAME.yaml RUNS times; prints a table row and fills SAMPLES
measure() {
  local name=$1 pid next=100 n samples="" t0 secs
  [ "$next" -gt $((RUNS - 20)) ] && next=$((RUNS - 20))
  t0=$(now)
  : >"$name.jsonl" # before the loop reads it
  "$SLUICE" watch -C "$name.yaml" --every 10ms --rounds "$RUNS" --json >"$name.jsonl" 2>"$name.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    n=$(wc -l <"$name.jsonl")
    if [ "$n" -ge "$next" ]; then # the last sample a few runs before the end, while it still runs
      samples="$samples $(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || true)"
      next=$((next + 100))
      [ "$next" -gt $((RUNS - 20)) ] && next=$((RUNS - 20))
      [ "$next" -le "$n" ] && next=$((RUNS + 1))
    fi
    sleep 0.02
  done
  wait "$pid" || echo "  the watch of $name ended with $?: $(head -c 300 "$name.err")" >&2
  secs=$(elapsed "$t0")
  local ok med size
  ok=$(grep -c '"status":"ok"' "$name.jsonl" || true)
  med=$(median $(python3 -c "import json,sys; [print(json.loads(l)['duration_ms']) for l in open(sys.argv[1])]" "$name.jsonl"))
  size=$(du -k "$name.db" | awk '{printf "%.1f", $1 / 1024}')
  echo "| $2 | $ok of $RUNS | $(echo "$samples" | awk '{print $1}') | $(echo "$samples" | awk '{print $NF}') | $(echo "$samples" | tr ' ' '\n' | sort -g | awk 'NF {v[++n] = $1} END {printf "%.1f", v[n] - v[1]}') | $med | $secs | $size |"
  echo "  RSS every 100 runs (MiB) for $2:$samples" >&2
  SAMPLES="$SAMPLES
| $2 | $(echo "$samples" | sed 's/^ //; s/ / | /g') |"
}

project sqlite "sqlite:$W/seed.db" "sqlite:$W/copy.db" "rules, diff, shadow"
project servers "$my" "$pg" "rules, diff"
SAMPLES=""
echo "## Watch: memory over $RUNS runs 10 ms apart"
echo
echo "The watch process's resident set size, sampled every 100 runs; a run is every check, recorded in the state store"
echo "with its figures. 5,000 invoices and 500 customers; three rules; the diff compares both tables."
echo
echo "| watch | runs ok | RSS at run 100 (MiB) | RSS at run $((RUNS - 20)) (MiB) | max - min (MiB) | median run (ms) | wall (s) | state store (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
measure sqlite "SQLite: rules, diff, shadow"
measure servers "PostgreSQL target, MariaDB source: rules, diff"
echo
echo "RSS (MiB) every 100 runs:"
echo
echo "| watch |$(seq 100 100 $((RUNS - 21)) | awk '{printf " %d |", $1}') $((RUNS - 20)) |"
echo "|---|$(seq 100 100 $((RUNS - 21)) | awk '{printf "---:|"}')---:|"
echo "$SAMPLES" | sed '/^$/d'
