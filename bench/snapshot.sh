#!/usr/bin/env bash
# snapshot.sh - `sluice snapshot` beside a plain `sluice copy` of the same
# database: the generator's SaaS database (scale 1, about a million rows)
# from SQLite into PostgreSQL with the standard masking rules (emails, names,
# IPs, free text, a date shift, JSON paths), whole and as a 5% customer
# subset. Each is run RUNS times (default 3), interleaved; the medians are
# reported. The snapshot's own report splits its time into the copy with
# masking and the checks that follow it (orphans, unique keys, the scan of
# the target for source values): the masking cost is the copy phase against
# the plain copy. SCALES="1" picks the generator scales.
. "$(dirname "$0")/lib.sh"
GEN="$ROOT/../shared/bench/gen_saas.py"
[ -f "$GEN" ] || { echo "generator not found at $GEN" >&2; exit 1; }
DATA=${BENCH_DATA:-$BENCH_DIR/data}
mkdir -p "$DATA"
start_servers
PGBASE=${SLUICE_TEST_PG_URL%/*}
JOBS=${JOBS:-2}
RUNS=${RUNS:-3}
export SNAPSHOT_BENCH_KEY=bench-only-key-0123456789abcdef
PROJECT="$BENCH_DIR/project"
mkdir -p "$PROJECT"
cat >"$PROJECT/sluice.yaml" <<'EOF'
snapshot:
  key_env: SNAPSHOT_BENCH_KEY
  masks:
    customers:
      email: email
      name: name
      company: { rule: partial, first: 1 }
      notes: null
      created_at: { rule: date_shift, days: 30, by: id }
    users:
      email: email
      display_name: name
    audit_log:
      ip: ip
      payload: { rule: json, paths: { "$.comment": null, "$.note": null } }
  relationships:
    - { table: audit_log, columns: [entity_id], references: { table: customers, columns: [id] },
        where: "entity = 'customer'" }
EOF
cd "$PROJECT" || exit 1

# json_num FILE KEY: a number from the report
json_num() { grep -o "\"$2\": [0-9.]*" "$1" | head -1 | awk '{ printf "%.2f", $2 }'; }

echo "## Snapshot: SaaS database into PostgreSQL, masked, beside a plain copy"
echo
echo "| scale (rows) | sluice copy | snapshot (copy with masking) | masking cost | snapshot checks | snapshot total | 5% subset (rows): total |"
echo "|---|---:|---:|---:|---:|---:|---:|"
notes=()
for scale in ${SCALES:-1}; do
  db="$DATA/saas$scale.db"
  [ -f "$db" ] || python3 "$GEN" generate --scale "$scale" --below-2-62 --out "$db" >/dev/null 2>&1
  rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM invoices) + (SELECT count(*) FROM invoice_items) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM users) + (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM permissions)")
  copies=() phases=() checks=() totals=() subsets=() ok=true subrows=0
  for run in $(seq "$RUNS"); do
    pg_db plain >/dev/null
    t=$(now)
    "$SLUICE" copy "sqlite:$db" "$PGBASE/plain" --jobs "$JOBS" --quiet >/dev/null 2>&1 || ok=false
    copies+=("$(elapsed "$t")")
    pg_db masked >/dev/null
    "$SLUICE" snapshot "sqlite:$db" "$PGBASE/masked" --jobs "$JOBS" --quiet --json >"$BENCH_DIR/snap.json" 2>/dev/null || ok=false
    grep -q '"ok": true' "$BENCH_DIR/snap.json" || ok=false
    phases+=("$(json_num "$BENCH_DIR/snap.json" copy_seconds)")
    checks+=("$(json_num "$BENCH_DIR/snap.json" check_seconds)")
    totals+=("$(json_num "$BENCH_DIR/snap.json" seconds)")
    pg_db subset >/dev/null
    "$SLUICE" snapshot "sqlite:$db" "$PGBASE/subset" --subset "customers: 5%" --jobs "$JOBS" --quiet --json \
      >"$BENCH_DIR/sub.json" 2>/dev/null || ok=false
    grep -q '"ok": true' "$BENCH_DIR/sub.json" || ok=false
    subsets+=("$(json_num "$BENCH_DIR/sub.json" seconds)")
    subrows=$(json_num "$BENCH_DIR/sub.json" rows | cut -d. -f1)
  done
  # the subset's customers that kept every invoice, payment and audit row they own in the source
  per_customer() { # per_customer ENGINE: "customer invoices payments audit" lines
    local q="SELECT c.id, (SELECT count(*) FROM invoices i WHERE i.customer_id = c.id),
      (SELECT count(*) FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.customer_id = c.id),
      (SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE u.customer_id = c.id)
      + (SELECT count(*) FROM audit_log a WHERE a.entity = 'customer' AND a.entity_id = c.id) FROM customers c"
    if [ "$1" = sqlite ]; then sqlite3 -separator ' ' "$db" "$q"; else psql -qAt -F ' ' "$PGBASE/subset" -c "$q"; fi
  }
  complete=$(awk 'NR == FNR { src[$1] = $2 " " $3 " " $4; next } src[$1] == $2 " " $3 " " $4 { n++ } END { print n + 0 }' \
    <(per_customer sqlite) <(per_customer postgres))
  roots=$(sqlite3 "$db" "SELECT (count(*) * 5 + 99) / 100 FROM customers")
  c=$(median "${copies[@]}") p=$(median "${phases[@]}") k=$(median "${checks[@]}")
  tt=$(median "${totals[@]}") s=$(median "${subsets[@]}")
  cost=$(awk -v p="$p" -v c="$c" 'BEGIN { printf "%+.0f%%", (p / c - 1) * 100 }')
  echo "| $scale ($rows) | ${c} s | ${p} s | $cost | ${k} s | ${tt} s | ($subrows) ${s} s |$($ok || echo " (a run failed)")"
  notes+=("Scale $scale, 5% subset: $complete customers keep every invoice, payment and audit row they own (the sample is $roots customers; the others were pulled in as required parents), no orphan.")
done
echo
printf '%s\n' "${notes[@]}"
echo
echo "Load average when the runs ended: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) cores; other work on the machine slows both columns alike)."
echo
echo "Medians of $RUNS interleaved runs, --jobs $JOBS. \"masking cost\" is the snapshot's copy phase (the same"
echo "copy, every masked value through its rule in the pump) against the plain copy; aim: under 30%."
echo "The checks read the whole target once more (the leak scan looks for every distinct source value of"
echo "the masked columns in every text value of the target) and query every relationship for orphans;"
echo "they are the proof, not the masking, and are reported apart."
