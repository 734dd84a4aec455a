#!/usr/bin/env bash
# expand.sh - expand/contract under load, on SQLite, PostgreSQL and MariaDB:
# the write throughput of two application writers without an expand and
# while one (rename a column, change a type) is live - one writer on the old
# shape, one on the new version, so every write goes through the triggers -
# and how fast the backfill fills the existing rows, alone and beside a
# writer. Writers are bench/expand_writer.c: autocommit statements, three
# inserts to one update, at full speed. Prints a Markdown table (medians).
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-200000}
WRITE_SECONDS=${WRITE_SECONDS:-10}
RUNS=${RUNS:-3}
start_servers

W=$BENCH_DIR/expand_writer
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -I"$ROOT/include" "$ROOT/bench/expand_writer.c" "$ROOT/build/libsluice.a" \
  $(pkg-config --libs sqlite3 libpq libmariadb libfyaml jansson libxxhash libcrypto) -lpg_query -lm -lpthread -o "$W"

P=$BENCH_DIR/expand
mkdir -p "$P/migrations"
digits="(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
cat >"$P/migrations/001_accounts.sql" <<SQL
-- title: accounts
-- +sluice up dialect=postgres
CREATE TABLE accounts (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, balance INTEGER);
INSERT INTO accounts SELECT g, 's' || g, (g * 7) % 100000 FROM generate_series(1, $ROWS) g;
-- +sluice up dialect=mysql
CREATE TABLE accounts (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, balance INTEGER);
INSERT INTO accounts SELECT g, CONCAT('s', g), (g * 7) % 100000 FROM (SELECT a.n + 10 * b.n + 100 * c.n
  + 1000 * d.n + 10000 * e.n + 100000 * f.n + 1 AS g FROM $digits a, $digits b, $digits c, $digits d, $digits e,
  $digits f) s WHERE g <= $ROWS;
-- +sluice up dialect=sqlite
CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, balance INTEGER);
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $ROWS)
  INSERT INTO accounts SELECT g, 's' || g, (g * 7) % 100000 FROM s;
SQL
cat >"$P/migrations/002_units.sql" <<'SQL'
-- title: balance in units, name is full_name
-- +sluice expand dialect=postgres version=bench_v2
rename column accounts.name to full_name;
change type accounts.balance to numeric(14,2) up (balance::numeric / 100) down (round(balance * 100)::integer);
-- +sluice expand dialect=mysql
rename column accounts.name to full_name;
change type accounts.balance to decimal(14,2) up (balance / 100) down (round(balance * 100));
-- +sluice expand dialect=sqlite version=bench_v2
rename column accounts.name to full_name;
change type accounts.balance to NUMERIC(14,2) up (round(balance / 100.0, 2)) down (CAST(round(balance * 100) AS INTEGER));
SQL

# writers URL SHAPE_A SHAPE_B VERSION FIRST_IDS: runs two writers at once, prints "ops errors"
writers() {
  local url=$1 a=$2 b=$3 version=$4 base=$5
  "$W" "$url" "$a" "$version" "$WRITE_SECONDS" "$base" "$ROWS" >"$BENCH_DIR/w1" &
  local p1=$!
  "$W" "$url" "$b" "$version" "$WRITE_SECONDS" $((base + 50000000)) "$ROWS" >"$BENCH_DIR/w2" &
  wait $p1 $!
  awk '{ ops += $2; err += $4 } END { print ops, err }' "$BENCH_DIR/w1" "$BENCH_DIR/w2"
}

fresh_db() { # fresh_db ENGINE RUN: prints a URL to an empty database
  case $1 in
    sqlite) rm -f "$BENCH_DIR/x$2.db"*; echo "sqlite:$BENCH_DIR/x$2.db" ;;
    postgres) pg_db "bench_x$2" ;;
    mysql) my_db "bench_x$2" ;;
  esac
}

# settle ENGINE URL: what an operator (or the engine, in time) does after a bulk change: vacuum and analyze,
# so a measurement right after the seed or the backfill is not a measurement of its dead rows
settle() {
  case $1 in
    postgres) psql -q "$2" -c "VACUUM ANALYZE accounts" >/dev/null ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
             -e "ANALYZE TABLE ${2##*/}.accounts" >/dev/null ;;
  esac
}

# one_run ENGINE RUN: prints "base_ops_per_s expand_ops_per_s errors backfill_alone backfill_beside"
one_run() {
  local engine=$1 run=$2 url version t dt base exp err1 err2 bf1 bf2
  url=$(fresh_db "$engine" "$run")
  [ "$engine" = sqlite ] && sqlite3 "${url#sqlite:}" "PRAGMA journal_mode = WAL" >/dev/null
  "$SLUICE" up "$url" --dir "$P/migrations" --to 001 >/dev/null 2>&1
  settle "$engine" "$url"
  read -r base err1 <<<"$(writers "$url" old old x 100000000)"
  # backfill alone
  t=$(now); "$SLUICE" up "$url" --dir "$P/migrations" --lock-timeout 60 >/dev/null 2>&1; dt=$(elapsed "$t")
  bf1=$(awk -v n="$ROWS" -v s="$dt" 'BEGIN { printf "%.0f", n / s }')
  version=$(sql_version "$engine" "$url")
  settle "$engine" "$url"
  read -r exp err2 <<<"$(writers "$url" old new "$version" 200000000)"
  # backfill beside a writer: roll back, then expand again while the old writer runs
  "$SLUICE" down "$url" --dir "$P/migrations" --lock-timeout 60 >/dev/null 2>&1
  "$W" "$url" old x "$WRITE_SECONDS" 300000000 "$ROWS" >/dev/null &
  local wp=$!
  t=$(now); "$SLUICE" up "$url" --dir "$P/migrations" --lock-timeout 60 >/dev/null 2>&1; dt=$(elapsed "$t")
  wait $wp
  bf2=$(awk -v n="$ROWS" -v s="$dt" 'BEGIN { printf "%.0f", n / s }')
  echo "$(awk -v o="$base" -v s="$WRITE_SECONDS" 'BEGIN { printf "%.0f", o / s }') $(awk -v o="$exp" -v s="$WRITE_SECONDS" 'BEGIN { printf "%.0f", o / s }') $((err1 + err2)) $bf1 $bf2"
}

sql_version() { # the version name the expand recorded
  case $1 in
    sqlite) sqlite3 "${2#sqlite:}" "SELECT version FROM sluice_migrations_expand" ;;
    postgres) psql -Atq "$2" -c "SELECT version FROM sluice_migrations_expand" ;;
    mysql) local db=${2##*/}
           mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw -N \
             -e "SELECT version FROM $db.sluice_migrations_expand" ;;
  esac
}

echo "## Expand/contract: writers during an expand, and the backfill (median of $RUNS runs)"
echo
echo "| engine | two writers, no expand | the same writers during expand (old + new shape) | change | write errors | backfill of $ROWS rows, alone | backfill beside a writer |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for engine in ${BENCH_ENGINES:-sqlite postgres mysql}; do
  bases=() exps=() errs=0 bf1s=() bf2s=()
  for r in $(seq "$RUNS"); do
    read -r b e er f1 f2 <<<"$(one_run $engine "$r")"
    bases+=("$b"); exps+=("$e"); errs=$((errs + er)); bf1s+=("$f1"); bf2s+=("$f2")
  done
  b=$(median "${bases[@]}"); e=$(median "${exps[@]}")
  change=$(awk -v b="$b" -v e="$e" 'BEGIN { if (b > 0) printf "%+.0f%%", (e - b) * 100 / b; else print "n/a" }')
  echo "| $engine | $b writes/s | $e writes/s | $change | $errs | $(median "${bf1s[@]}") rows/s | $(median "${bf2s[@]}") rows/s |"
done
echo
echo "Each writer is one connection issuing autocommit statements at full speed: three single-row INSERTs of new rows"
echo "to one UPDATE of a random seeded row. Without expand both write the base table; during expand one writes the"
echo "base table (its writes fill the new column through the up expression) and one writes through the new version's"
echo "views (its writes fill the old column through the down expression), for $WRITE_SECONDS s. The backfill time is the whole"
echo "\`sluice up\` of the migration (DDL, backfill in batches of 1000, publishing the version); beside a writer, the old"
echo "writer runs at full speed meanwhile. SQLite has one writer at a time: its two writers share the write lock."
echo "Before each measurement of the writers the table is vacuumed and analyzed (PostgreSQL) or analyzed (MariaDB):"
echo "the backfill leaves one dead row version per row on PostgreSQL, which autovacuum would otherwise be cleaning"
echo "up on the same two cores during the measurement."
echo
echo "Aim: the writers at most 20% slower during expand than without it. Where the difference goes, taken apart"
echo "on MariaDB by running the two writers in every combination on one table: the triggers alone (two old-shape"
echo "writers during expand) cost about half of it, writing through the version's views (view resolution for every"
echo "statement: these writers send plain SQL, not prepared statements) the other half; the rows are also wider"
echo "while both columns exist. PostgreSQL's triggers are one PL/pgSQL function per table that only assigns to the"
echo "row, fired on updates only when an update names a column an expression reads or writes."
