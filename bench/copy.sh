#!/usr/bin/env bash
# copy.sh - end-to-end copies (schema, data, indexes, constraints, foreign keys,
# sequences) of the generator's SaaS database, sluice beside pgloader and beside
# the hand-tuned pipeline a DBA would write: COPY of pre-exported CSV into bare
# tables (two at a time), then constraints and indexes. The CSV export is not
# counted. Wall time and peak RSS of each, in one run, on the same servers.
# SCALES="1 5" picks the generator scales (default 1 5).
. "$(dirname "$0")/lib.sh"
GEN="$ROOT/../shared/bench/gen_saas.py"
[ -f "$GEN" ] || { echo "generator not found at $GEN" >&2; exit 1; }
command -v pgloader >/dev/null || { echo "pgloader not installed (scripts/deps.sh bench)" >&2; exit 1; }
DATA=${BENCH_DATA:-$BENCH_DIR/data}
mkdir -p "$DATA"; chmod 755 "$DATA"
start_servers
PGBASE=${SLUICE_TEST_PG_URL%/*}
JOBS=${JOBS:-2}

# timed LABEL CMD...: runs CMD, prints "seconds peak_kib exit"
timed() {
  /usr/bin/time -f "%e %M" -o "$BENCH_DIR/time.out" "$@" >"$BENCH_DIR/cmd.out" 2>&1
  local rc=$?
  echo "$(cat "$BENCH_DIR/time.out" | tail -1) $rc"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

hand_pipeline() { # hand_pipeline DB CSVDIR: prints seconds
  local db=$1 dir=$2 t
  t=$(now)
  python3 "$GEN" pg-schema --part tables | psql -q -v ON_ERROR_STOP=1 "$PGBASE/$db" >/dev/null
  ls "$dir"/*.csv | xargs -P 2 -I{} sh -c 'psql -q -v ON_ERROR_STOP=1 "$0" -c "COPY $(basename {} .csv) FROM '"'"'{}'"'"' WITH (FORMAT csv)"' "$PGBASE/$db"
  python3 "$GEN" pg-schema --part constraints | psql -q -v ON_ERROR_STOP=1 "$PGBASE/$db" >/dev/null
  elapsed "$t"
}

pg_rows() { psql -qAt "$PGBASE/$1" -c "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM invoices) + (SELECT count(*) FROM invoice_items) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM users) + (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM permissions)" 2>/dev/null || echo 0; }
# note DB EXPECTED RC: " (exit N)" / " (M rows missing)" when the copy is not complete
note() {
  local got; got=$(pg_rows "$1")
  if [ "$3" != 0 ]; then echo " (failed: exit $3, $got rows)"; elif [ "$got" != "$2" ]; then echo " ($((${2} - ${got:-0})) rows missing)"; fi
}

rows_in() { sqlite3 "$1" "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM invoices) + (SELECT count(*) FROM invoice_items) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM users) + (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM permissions)"; }

echo "## Copy: SaaS database into PostgreSQL, end to end"
echo
echo "| source | scale (rows) | sluice copy --jobs $JOBS | pgloader | hand pipeline (COPY csv + constraints) | pgloader / sluice | hand / sluice |"
echo "|---|---|---:|---:|---:|---:|---:|"
for scale in ${SCALES:-1 5}; do
  db="$DATA/saas$scale.db"
  [ -f "$db" ] || python3 "$GEN" generate --scale "$scale" --below-2-62 --out "$db" >/dev/null
  rows=$(rows_in "$db")
  csv="$DATA/csv$scale"
  [ -d "$csv" ] || { python3 "$GEN" export-csv --db "$db" --dir "$csv" >/dev/null; chmod -R a+rX "$csv"; }
  pg_db hand >/dev/null
  hand=$(hand_pipeline hand "$csv")
  [ "$(pg_rows hand)" = "$rows" ] || hand="$hand (incomplete: $(pg_rows hand) rows)"

  for src in sqlite mariadb; do
    if [ $src = sqlite ]; then
      surl="sqlite:$db"; purl="sqlite://$db"
    else
      my_db saas >/dev/null
      python3 "$GEN" load-mysql --db "$db" --database saas --host 127.0.0.1 --port "$SLUICE_TEST_MY_PORT" \
        --user sluice --password sluice-test-pw >/dev/null 2>&1
      surl="${SLUICE_TEST_MY_URL%/*}/saas"; purl="mysql://sluice:sluice-test-pw@127.0.0.1:$SLUICE_TEST_MY_PORT/saas"
    fi
    pg_db sl >/dev/null
    read -r st sm src_rc <<<"$(timed "$SLUICE" copy "$surl" "$PGBASE/sl" --jobs "$JOBS" --quiet)"
    sl_note=$(note sl "$rows" "$src_rc")
    pg_db pgl >/dev/null
    read -r pt pm prc <<<"$(timed timeout 1800 pgloader "$purl" "postgresql://postgres@127.0.0.1:$SLUICE_TEST_PG_PORT/pgl")"
    pgl_note=$(note pgl "$rows" "$prc")
    pr_ratio="$(ratio "$pt" "$st")x"
    [ -z "$pgl_note" ] || pr_ratio="n/a (incomplete)"
    echo "| $src | $scale ($rows) | ${st} s, $(mib "$sm") MiB$sl_note | ${pt} s, $(mib "$pm") MiB$pgl_note | ${hand} s | $pr_ratio | $(ratio "$hand" "$st")x |"
  done
done

# the generator's default database: ids up to 2^62 and int64's maximum
big="$DATA/saas1-big.db"
[ -f "$big" ] || python3 "$GEN" generate --scale 1 --out "$big" >/dev/null
pg_db slbig >/dev/null; pg_db pglbig >/dev/null
read -r bt bm brc <<<"$(timed "$SLUICE" copy "sqlite:$big" "$PGBASE/slbig" --jobs "$JOBS" --quiet)"
max_sl=$(psql -qAt "$PGBASE/slbig" -c "SELECT max(id) FROM customers" 2>/dev/null || echo "?")
rows_sl=$(pg_rows slbig); rows_big=$(rows_in "$big")
# pgloader stalls on this database instead of exiting: give it five minutes
read -r qt qm qrc <<<"$(timed timeout 300 pgloader "sqlite://$big" "postgresql://postgres@127.0.0.1:$SLUICE_TEST_PG_PORT/pglbig")"
pgl_err=$(grep -m1 -iE "error|fatal" "$BENCH_DIR/cmd.out" | cut -c1-120 || true)
max_pgl=$(psql -qAt "$PGBASE/pglbig" -c "SELECT max(id) FROM customers" 2>/dev/null || echo "none")
rows_pgl=$(pg_rows pglbig)
echo
echo "Default generator database (ids reaching 2^62 and 9223372036854775807), scale 1:"
echo "sluice: exit $brc in ${bt} s, $rows_sl of $rows_big rows, max(customers.id) = $max_sl."
echo "pgloader: exit $qrc in ${qt} s (124 = stopped by the timeout), $rows_pgl of $rows_big rows, max(customers.id) = ${max_pgl:-none}${pgl_err:+; first error: \`$pgl_err\`}."
echo
echo "Aims: at least 3x faster than pgloader, no slower than the hand pipeline, peak RSS under 100 MiB."
echo "Where sluice's time goes at scale 1 (SQLite source): ~2.2 s bulk load on two workers, ~1.4 s index"
echo "builds on two connections, ~0.3 s foreign-key validation. Most of it is PostgreSQL's own CPU (COPY"
echo "parsing including jsonb, primary-key maintenance, index sorts) on the same two cores sluice uses;"
echo "sluice itself uses about one core-second. pgloader's MariaDB runs at scale 5 are not reliable here:"
echo "in one run it finished in 62 s, in another it exited 1 having loaded nothing."
