#!/usr/bin/env bash
# test_migrate.sh - versioned migrations end to end on SQLite, PostgreSQL and
# MariaDB: init/new, up, status, verify, down, baseline, repair; checksum
# drift; a statement failing mid-migration; two concurrent runs; SIGKILL
# during up, then status telling the truth.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"

# project: three ordinary migrations
P=$TMP/proj
run "$SLUICE" init "$P" --project billing; expect_rc 0 "init"
[ -f "$P/sluice.yaml" ] && [ -d "$P/migrations" ] && ok || bad "init created files"
run "$SLUICE" init "$P"; expect_rc 0 "init again"; expect_err "left as it is" "init again keeps sluice.yaml"
cd "$P" || exit 1
run "$SLUICE" new "Create customers!" --id 20260101000001; expect_rc 0 "new"
expect_out "migrations/20260101000001_create_customers.sql" "new path"
grep -q '^-- ticket:' migrations/20260101000001_create_customers.sql && ok || bad "template has required ticket"
run "$SLUICE" new "Create customers!" --id 20260101000001; expect_rc 6 "new refuses to overwrite"

cat > migrations/20260101000001_create_customers.sql <<'SQL'
-- id: 20260101000001
-- title: Create customers
-- ticket: BILL-1
-- pr: https://git.example.com/billing/pull/1
-- author: Ana <ana@example.com>
-- why: Billing needs its own customer records.
-- rollback: Drops the table; it is empty at this point.

-- +sluice up
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);
INSERT INTO customers (id, email) VALUES (1, 'a@example.com');

-- +sluice down
DROP TABLE customers;

-- +sluice verify
SELECT id FROM customers WHERE email IS NULL;
SQL
cat > migrations/20260101000002_create_invoices.sql <<'SQL'
-- title: Create invoices
-- ticket: BILL-2
-- pr: https://git.example.com/billing/pull/2
-- why: Invoices belong to customers.
-- rollback: Drops the table.
-- requires: 20260101000001

-- +sluice up
CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), total DECIMAL(12,2) NOT NULL);

-- +sluice down
DROP TABLE invoices;

-- +sluice verify
SELECT i.id FROM invoices i LEFT JOIN customers c ON c.id = i.customer_id WHERE c.id IS NULL;
SQL
cat > migrations/20260101000003_add_currency.sql <<'SQL'
-- title: Add invoices.currency
-- ticket: BILL-3
-- pr: https://git.example.com/billing/pull/3
-- why: We bill in EUR too.
-- rollback: Drops the column; currencies entered since are lost.

-- +sluice up
ALTER TABLE invoices ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'USD';

-- +sluice down
ALTER TABLE invoices DROP COLUMN currency;
SQL

for engine in $(engines); do
  url=$(scratch_url "$engine" "sluice_mig_$$")
  E="[$engine]"

  if [ "$engine" = sqlite ]; then
    # status reads: a file that does not exist is an error, never created
    run "$SLUICE" status "$url"; expect_rc 2 "$E status of a missing file"; expect_err "no such SQLite file" "$E status of a missing file"
    [ -e "${url#sqlite:}" ] && bad "$E status created the file" || ok
    sqlite3 "${url#sqlite:}" "CREATE TABLE x (a); DROP TABLE x"
  fi
  run "$SLUICE" status "$url"; expect_rc 0 "$E status before"; expect_out "3 pending" "$E status before"
  run "$SLUICE" up "$url" --dry-run; expect_rc 0 "$E dry run"; expect_out "CREATE TABLE customers" "$E dry run prints SQL"
  [ "$(sql "$engine" "$url" "SELECT count(*) FROM information_schema.tables WHERE table_name = 'customers' AND table_schema = $( [ "$engine" = mysql ] && echo 'DATABASE()' || echo 'current_schema()')" 2>/dev/null || echo 0)" = 0 ] && ok || bad "$E dry run changed nothing"

  run "$SLUICE" up "$url" --to 20260101000002; expect_rc 0 "$E up --to"; expect_err "2 migration(s) applied" "$E up --to"
  run "$SLUICE" status "$url"; expect_rc 0 "$E status"; expect_out "2 applied, 1 pending" "$E status"
  expect_out "applied      20260101000001   Create customers" "$E status row"
  run "$SLUICE" status "$url" --json; expect_rc 0 "$E status json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["counts"]["applied"]==2 and d["migrations"][2]["state"]=="pending"' "$TMP/out" && ok || bad "$E status json content"
  [ "$(sql "$engine" "$url" "SELECT ticket || '|' || status FROM sluice_migrations WHERE id = '20260101000002'" 2>/dev/null)" = "BILL-2|applied" ] \
    || [ "$(sql "$engine" "$url" "SELECT CONCAT(ticket, '|', status) FROM sluice_migrations WHERE id = '20260101000002'" 2>/dev/null)" = "BILL-2|applied" ] \
    && ok || bad "$E history row records ticket and status"

  run "$SLUICE" up "$url"; expect_rc 0 "$E up rest"; expect_err "1 migration(s) applied" "$E up rest"
  run "$SLUICE" up "$url"; expect_rc 0 "$E up idempotent"; expect_err "0 migration(s) applied" "$E up idempotent"
  run "$SLUICE" verify "$url"; expect_rc 0 "$E verify"; expect_err "0 verification(s) failed" "$E verify"

  # verify failing: an orphan invoice
  orphan="INSERT INTO invoices (id, customer_id, total) VALUES (9, 999, 1)"
  # PostgreSQL enforces the foreign key: a superuser session can skip it to plant the orphan
  [ "$engine" = postgres ] && orphan="SET session_replication_role = replica; $orphan"
  [ "$engine" = mysql ] && orphan="SET foreign_key_checks = 0; $orphan"
  sql "$engine" "$url" "$orphan" >/dev/null
  run "$SLUICE" verify "$url"; expect_rc 1 "$E verify fails"; expect_err "returned rows" "$E verify fails"
  sql "$engine" "$url" "DELETE FROM invoices WHERE id = 9" >/dev/null

  # drift: edit an applied file
  cp migrations/20260101000003_add_currency.sql "$TMP/m3.bak"
  sed -i "s/DEFAULT 'USD'/DEFAULT 'EUR'/" migrations/20260101000003_add_currency.sql
  run "$SLUICE" status "$url"; expect_rc 5 "$E drift status"; expect_out "drifted" "$E drift status"
  expect_out "+ALTER TABLE invoices ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'EUR';" "$E drift diff +"
  expect_out "-ALTER TABLE invoices ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'USD';" "$E drift diff -"
  run "$SLUICE" up "$url"; expect_rc 5 "$E up refuses on drift"; expect_err "was edited after it was applied" "$E up refuses on drift"
  run "$SLUICE" repair "$url"; expect_rc 0 "$E repair drift"; expect_err "repaired 20260101000003" "$E repair drift"
  run "$SLUICE" status "$url"; expect_rc 0 "$E status after repair"
  cp "$TMP/m3.bak" migrations/20260101000003_add_currency.sql
  run "$SLUICE" repair "$url"; expect_rc 0 "$E repair back"

  # down
  run "$SLUICE" down "$url"; expect_rc 0 "$E down 1"; expect_err "1 migration(s) reverted" "$E down 1"
  run "$SLUICE" status "$url"; expect_out "2 applied, 1 pending" "$E status after down"
  run "$SLUICE" down "$url" --to 20260101000001; expect_rc 0 "$E down --to"
  run "$SLUICE" status "$url"; expect_out "1 applied, 2 pending" "$E status after down --to"
  run "$SLUICE" down "$url" --steps 5; expect_rc 0 "$E down all"
  [ "$(sql "$engine" "$url" "SELECT count(*) FROM sluice_migrations")" = 0 ] && ok || bad "$E history empty after down"
  run "$SLUICE" up "$url"; expect_rc 0 "$E up again"

  # a statement failing mid-migration
  cat > migrations/20260101000004_broken.sql <<'SQL'
-- title: Broken change
-- +sluice up
CREATE TABLE half_done (id INTEGER);
INSERT INTO no_such_table VALUES (1);
-- +sluice down
DROP TABLE half_done;
SQL
  run "$SLUICE" up "$url"; expect_rc 3 "$E failing migration"; expect_err "no_such_table" "$E failing migration names the error"
  expect_err "migrations/20260101000004_broken.sql:4" "$E failing migration names file:line"
  half=$(sql "$engine" "$url" "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done' AND table_schema = $( [ "$engine" = mysql ] && echo 'DATABASE()' || echo 'current_schema()')" 2>/dev/null)
  [ "$engine" = sqlite ] && half=$(sql sqlite "$url" "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'")
  if [ "$engine" = mysql ]; then
    [ "$half" = 1 ] && ok || bad "$E mysql keeps the half-done DDL"
    run "$SLUICE" status "$url"; expect_rc 5 "$E dirty status"; expect_out "dirty" "$E dirty status"
    expect_out "INSERT INTO no_such_table VALUES (1)" "$E dirty names the statement"
    run "$SLUICE" up "$url"; expect_rc 5 "$E up refuses while dirty"; expect_err "is dirty" "$E up refuses while dirty"
    sql mysql "$url" "DROP TABLE half_done"
  else
    [ "$half" = 0 ] && ok || bad "$E nothing of the failed migration applied"
    run "$SLUICE" status "$url"; expect_rc 0 "$E status after rollback"; expect_out "1 pending" "$E failed stays pending"
  fi
  rm migrations/20260101000004_broken.sql
  run "$SLUICE" repair "$url"; expect_rc 0 "$E repair dirty"
  run "$SLUICE" status "$url"; expect_rc 0 "$E clean after repair"; expect_out "3 applied, 0 pending, 0 dirty" "$E clean after repair"

  # baseline on a fresh database that already has the schema
  url2=$(scratch_url "$engine" "sluice_base_$$")
  sql "$engine" "$url2" "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL)"
  run "$SLUICE" baseline 20260101000001 "$url2"; expect_rc 0 "$E baseline"
  run "$SLUICE" status "$url2"; expect_out "baseline     20260101000001" "$E baseline status"
  run "$SLUICE" baseline 20260101000001 "$url2"; expect_rc 5 "$E baseline twice refused"
  run "$SLUICE" up "$url2"; expect_rc 0 "$E up after baseline"; expect_err "2 migration(s) applied" "$E up after baseline"
done

# two runs at once, and a run killed in the middle: a slow first migration
Q=$TMP/slow
mkdir -p "$Q/migrations"
cat > "$Q/migrations/20260201000001_slow.sql" <<'SQL'
-- title: Slow change
-- +sluice up dialect=postgres
SELECT pg_sleep(3);
CREATE TABLE slow_done (id INTEGER);
-- +sluice up dialect=mysql
DO SLEEP(3);
CREATE TABLE slow_done (id INTEGER);
-- +sluice up
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000000) SELECT max(x) FROM c;
CREATE TABLE slow_done (id INTEGER);
-- +sluice down
DROP TABLE slow_done;
SQL
cd "$Q" || exit 1
for engine in $(engines); do
  E="[$engine]"
  url=$(scratch_url "$engine" "sluice_conc_$$")
  "$SLUICE" up "$url" >"$TMP/a.out" 2>"$TMP/a.err" & a=$!
  sleep 1
  run "$SLUICE" up "$url"
  expect_rc 4 "$E concurrent run exits 4"; expect_err "holds the migration lock" "$E concurrent run says why"
  if [ "$engine" != sqlite ]; then
    # another database of the same server is not blocked (MySQL's named locks are server-wide)
    other=$(scratch_url "$engine" "sluice_conc2_$$")
    run "$SLUICE" status "$other"; expect_rc 0 "$E other database status"
    run "$SLUICE" baseline 20260201000001 "$other"; expect_rc 0 "$E another database migrates meanwhile"
  fi
  # generous: on a loaded machine the SQLite variant of the slow migration alone takes over a minute
  run "$SLUICE" up "$url" --lock-timeout 300
  expect_rc 0 "$E waiting run"; expect_err "0 migration(s) applied" "$E waiting run applies nothing twice"
  wait $a; arc=$?
  [ $arc -eq 0 ] && grep -q "1 migration(s) applied" "$TMP/a.err" && ok || bad "$E first run applied (rc $arc: $(cat "$TMP/a.err"))"
  [ "$(sql "$engine" "$url" "SELECT count(*) FROM sluice_migrations")" = 1 ] && ok || bad "$E exactly one history row"

  # SIGKILL in the middle of the slow statement
  url=$(scratch_url "$engine" "sluice_kill_$$")
  "$SLUICE" up "$url" >/dev/null 2>&1 & k=$!
  sleep 1.5
  kill -9 $k; wait $k 2>/dev/null
  if [ "$engine" = mysql ]; then
    run "$SLUICE" status "$url"; expect_rc 5 "$E killed run is dirty"; expect_out "interrupted" "$E status says interrupted"
    run "$SLUICE" up "$url" --lock-timeout 30; expect_rc 5 "$E up refuses after kill"
    run "$SLUICE" repair "$url" --lock-timeout 30
    expect_rc 0 "$E repair after kill"; expect_err "dirty record removed" "$E repair says what it did"
  else
    run "$SLUICE" status "$url"; expect_rc 0 "$E killed run left nothing"; expect_out "0 applied, 1 pending" "$E status after kill"
  fi
  run "$SLUICE" up "$url" --lock-timeout 60; expect_rc 0 "$E up after kill"; expect_err "1 migration(s) applied" "$E up after kill applies"
  run "$SLUICE" status "$url"; expect_out "1 applied, 0 pending, 0 dirty" "$E clean after kill"
done

finish
