#!/usr/bin/env bash
# test_expand_cli.sh - expand/contract migrations through the command line on
# SQLite, PostgreSQL and MariaDB: the wider vocabulary (rename, add with a
# backfill, drop with a down value, split, change type with its index copied,
# unique; on the servers also set not null, check and foreign key), status
# and its JSON, later migrations held back while one is in expand, contract's
# refusals and confirmation, `why`, rollback restoring the schema exactly,
# down after contract, dry runs, and what SQLite refuses (file:line, nothing
# changed). The load test with two writers is test_expand.c.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"

mkproject() { # mkproject DIR: the base migration and the expand/contract one
  mkdir -p "$1"
  cat >"$1/001_customers.sql" <<'SQL'
-- title: customers
-- +sluice up
CREATE TABLE regions (id INTEGER PRIMARY KEY, code VARCHAR(8) NOT NULL);
CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200),
  legacy VARCHAR(20), score INTEGER, region_id INTEGER, note VARCHAR(40));
CREATE INDEX customers_score_idx ON customers (score);
INSERT INTO regions VALUES (1, 'eu'), (2, 'us');
INSERT INTO customers VALUES (1, 'Ada Lovelace', 'ada@math.org', 'x', 10, 1, NULL),
  (2, 'Alan Turing', 'alan@bletchley.uk', 'y', 20, 2, 'n'), (3, 'Grace', 'grace@navy.mil', NULL, NULL, 1, NULL);
-- +sluice down
DROP TABLE customers;
DROP TABLE regions;
SQL
  cat >"$1/002_customers_v2.sql" <<'SQL'
-- title: customers v2
-- +sluice expand dialect=postgres
rename column customers.email to email_address;
add column customers.domain varchar(100) up (split_part(email, '@', 2));
drop column customers.legacy down ('n/a');
split column customers.name into first_name varchar(50) up (split_part(name, ' ', 1)),
  last_name varchar(50) up (nullif(split_part(name, ' ', 2), '')) down (trim(first_name || ' ' || coalesce(last_name, '')));
change type customers.score to bigint up (score::bigint * 10) down ((score / 10)::integer);
set not null customers.note up (coalesce(note, '-'));
add unique customers (email) name customers_email_key;
add check customers (score >= 0) name customers_score_check;
add foreign key customers (region_id) references regions (id) name customers_region_fkey;
-- +sluice expand dialect=mysql
rename column customers.email to email_address;
add column customers.domain varchar(100) up (substring_index(email, '@', -1));
drop column customers.legacy down ('n/a');
split column customers.name into first_name varchar(50) up (substring_index(name, ' ', 1)),
  last_name varchar(50) up (nullif(substring_index(name, ' ', -1), name)) down (trim(concat(first_name, ' ', coalesce(last_name, ''))));
change type customers.score to bigint up (score * 10) down (score div 10);
set not null customers.note up (coalesce(note, '-'));
add unique customers (email) name customers_email_key;
add check customers (score >= 0) name customers_score_check;
add foreign key customers (region_id) references regions (id) name customers_region_fkey;
-- +sluice expand dialect=sqlite
rename column customers.email to email_address;
add column customers.domain varchar(100) up (substr(email, instr(email, '@') + 1));
drop column customers.legacy down ('n/a');
split column customers.name into first_name varchar(50) up (CASE WHEN instr(name, ' ') > 0 THEN substr(name, 1, instr(name, ' ') - 1) ELSE name END),
  last_name varchar(50) up (CASE WHEN instr(name, ' ') > 0 THEN substr(name, instr(name, ' ') + 1) END) down (trim(first_name || ' ' || coalesce(last_name, '')));
change type customers.score to bigint up (score * 10) down (score / 10);
add unique customers (email) name customers_email_key;
-- +sluice down
SELECT 1;
SQL
}

# vsql ENGINE URL VERSION QUERY: QUERY in a session of the new version (table names as the version shows them)
vsql() {
  local engine=$1 url=$2 v=$3 q=$4
  case $engine in
    sqlite) sql sqlite "$url" "${q//customers/${v}_customers}" ;;
    postgres) sql postgres "$url" "SET search_path TO \"$v\", public; $q" ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
             -N -B "$v" -e "$q" ;;
  esac
}

for engine in $(engines); do
  E="[$engine]"
  db="xcli_$$"
  url=$(scratch_url "$engine" "$db")
  P=$TMP/p_$engine
  mkproject "$P"
  run "$SLUICE" up "$url" --dir "$P" --to 001; expect_rc 0 "$E up base"
  "$SLUICE" inspect "$url" --format json >"$TMP/before.json" 2>&1

  # dry run: statements printed, nothing changed
  run "$SLUICE" up "$url" --dir "$P" --dry-run; expect_rc 0 "$E dry run"
  expect_out "_sluice_new_first_name" "$E dry run prints the expand"
  "$SLUICE" inspect "$url" --format json >"$TMP/dry.json" 2>&1
  cmp -s "$TMP/before.json" "$TMP/dry.json" && ok || bad "$E dry run changed nothing"

  run "$SLUICE" up "$url" --dir "$P" --batch-size 1; expect_rc 0 "$E expand"
  expect_err "expanded: version" "$E expand says the version is live"
  version=$(sql "$engine" "$url" "SELECT version FROM sluice_migrations_expand")
  case $engine in
    sqlite) [ "$version" = v002 ] && ok || bad "$E default version name: $version" ;;
    postgres) [ "$version" = public_v002 ] && ok || bad "$E default version name: $version" ;;
    mysql) [ "$version" = "${db}_v002" ] && ok || bad "$E default version name: $version" ;;
  esac
  [ "$(sql "$engine" "$url" "SELECT batches FROM sluice_migrations_backfill WHERE tbl = 'customers'")" = 4 ] \
    && ok || bad "$E backfill in batches of one row"
  got=$(vsql "$engine" "$url" "$version" "SELECT first_name, coalesce(last_name, '-'), domain, score FROM customers WHERE id = 1")
  [ "$got" = $'Ada\tLovelace\tmath.org\t100' ] && ok || bad "$E backfilled row through the version: $got"
  # old and new writes, each seen through the other shape
  sql "$engine" "$url" "INSERT INTO customers (id, name, email, legacy, score, region_id) VALUES (10, 'Old Writer', 'o@w.io', 'z', 7, 2)"
  vsql "$engine" "$url" "$version" "INSERT INTO customers (id, first_name, last_name, email_address, score, region_id, note) VALUES (11, 'New', 'Writer', 'n@w.io', 90, 1, 'ok')"
  vsql "$engine" "$url" "$version" "UPDATE customers SET score = 40 WHERE id = 2"
  got=$(vsql "$engine" "$url" "$version" "SELECT first_name, last_name, domain, score FROM customers WHERE id = 10")
  [ "$got" = $'Old\tWriter\tw.io\t70' ] && ok || bad "$E old write seen by the new version: $got"
  got=$(sql "$engine" "$url" "SELECT name, legacy, score FROM customers WHERE id IN (2, 11) ORDER BY id")
  [ "$got" = $'Alan Turing\ty\t4\nNew Writer\tn/a\t9' ] && ok || bad "$E new writes seen by the old shape: $got"

  run "$SLUICE" status "$url" --dir "$P" --json; expect_rc 0 "$E status json"
  expect_out '"state": "in expand"' "$E status json state"
  expect_out '"phase": "expanded"' "$E status json phase"
  expect_out '"in_expand": 1' "$E status json count"
  run "$SLUICE" why customers.email_address "$url" --dir "$P"; expect_rc 0 "$E why"
  expect_out "expand: rename column" "$E why reads the expand section"

  # a later migration waits for the contract
  printf -- '-- title: later\n-- +sluice up\nCREATE TABLE later (id INTEGER PRIMARY KEY);\n-- +sluice down\nDROP TABLE later;\n' >"$P/003_later.sql"
  run "$SLUICE" up "$url" --dir "$P"; expect_rc 5 "$E later migration held back"
  expect_err "migration 002 is in expand (old and new versions live): run \`sluice contract\` before applying 003" "$E held back message"
  rm "$P/003_later.sql"

  # down during expand: the schema before, every write kept
  cp -r "$P" "$TMP/rb_$engine"
  rurl=$(scratch_url "$engine" "${db}_rb")
  run "$SLUICE" up "$rurl" --dir "$P" --to 001; expect_rc 0 "$E rb: base"
  "$SLUICE" inspect "$rurl" --format json | grep -v '"database"\|"row_count"\|"rows"' >"$TMP/rb_before.json" 2>&1
  run "$SLUICE" up "$rurl" --dir "$P"; expect_rc 0 "$E rb: expand"
  rv=$(sql "$engine" "$rurl" "SELECT version FROM sluice_migrations_expand")
  vsql "$engine" "$rurl" "$rv" "INSERT INTO customers (id, first_name, last_name, email_address, score, region_id, note) VALUES (12, 'Rolled', 'Back', 'r@b.io', 30, 2, 'k')"
  run "$SLUICE" down "$rurl" --dir "$P"; expect_rc 0 "$E rb: down during expand"
  expect_err "rolled back" "$E rb: says rolled back"
  "$SLUICE" inspect "$rurl" --format json | grep -v '"database"\|"row_count"\|"rows"' >"$TMP/rb_after.json" 2>&1
  cmp -s "$TMP/rb_before.json" "$TMP/rb_after.json" && ok || bad "$E rb: schema exactly as before ($(diff "$TMP/rb_before.json" "$TMP/rb_after.json" | head -5))"
  got=$(sql "$engine" "$rurl" "SELECT name, email, legacy, score, note FROM customers WHERE id = 12")
  [ "$got" = $'Rolled Back\tr@b.io\tn/a\t3\tk' ] && ok || bad "$E rb: the new version's row in the old shape: $got"
  [ "$(sql "$engine" "$rurl" "SELECT count(*) FROM sluice_migrations")" = 1 ] && ok || bad "$E rb: history forgot 002"

  # contract
  if [ "$engine" = postgres ]; then
    run "$SLUICE" contract "$url" --dir "$P"; expect_rc 0 "$E contract with no other session"
  else
    run "$SLUICE" contract "$url" --dir "$P"; expect_rc 5 "$E contract needs a confirmation"
    expect_err "with --confirm" "$E contract says why"
    run "$SLUICE" contract "$url" --dir "$P" --confirm; expect_rc 0 "$E contract confirmed"
  fi
  run "$SLUICE" contract "$url" --dir "$P" --confirm; expect_rc 5 "$E nothing left to contract"
  expect_err "no migration is in expand" "$E nothing left message"
  got=$(sql "$engine" "$url" "SELECT first_name, last_name, email_address, domain, score FROM customers WHERE id = 11")
  # the new writer left domain out: only the old version's rows get the up expression
  { [ "$got" = $'New\tWriter\tn@w.io\t\t90' ] || [ "$got" = $'New\tWriter\tn@w.io\tNULL\t90' ]; } && ok || bad "$E contracted table: $got"
  [ "$(vsql "$engine" "$url" "$version" "SELECT count(*) FROM customers WHERE score IS NOT NULL")" = 4 ] && ok || bad "$E the version's views still work"
  "$SLUICE" inspect "$url" --format json >"$TMP/after.json" 2>&1
  grep -q '"customers_score_idx"' "$TMP/after.json" && ok || bad "$E the copied index has the old name"
  grep -q '_sluice_' "$TMP/after.json" && bad "$E nothing of sluice's left: $(grep -o '"_sluice_[a-z_]*"' "$TMP/after.json" | head -3)" || ok
  run "$SLUICE" status "$url" --dir "$P"; expect_rc 0 "$E status after contract"
  expect_out "live versions: $version" "$E live version after contract"

  # down after contract: the down section, then the version goes
  run "$SLUICE" down "$url" --dir "$P"; expect_rc 0 "$E down after contract"
  [ "$(sql "$engine" "$url" "SELECT count(*) FROM sluice_migrations_expand")" = 0 ] && ok || bad "$E down after contract forgets the state"
  case $engine in
    postgres) [ "$(sql postgres "$url" "SELECT count(*) FROM pg_namespace WHERE nspname = '$version'")" = 0 ] && ok || bad "$E version schema dropped" ;;
    mysql) [ "$(sql mysql "$url" "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$version'")" = 0 ] && ok || bad "$E version database dropped" ;;
    sqlite) [ "$(sql sqlite "$url" "SELECT count(*) FROM sqlite_master WHERE type = 'view'")" = 0 ] && ok || bad "$E version views dropped" ;;
  esac

  # a chain: the next expand/contract migration replaces the version of the one before
  curl=$(scratch_url "$engine" "${db}_ch")
  C=$TMP/c_$engine
  mkdir -p "$C"
  cp "$P/001_customers.sql" "$C/"
  printf -- '-- title: v2\n-- +sluice expand version=%s_two\nrename column customers.email to mail;\n-- +sluice down\nSELECT 1;\n' "$db" >"$C/002_two.sql"
  printf -- '-- title: v3\n-- +sluice expand version=%s_three\nrename column customers.mail to email;\n-- +sluice down\nSELECT 1;\n' "$db" >"$C/003_three.sql"
  run "$SLUICE" up "$curl" --dir "$C"; expect_rc 0 "$E chain: 001 and 002"
  run "$SLUICE" contract "$curl" --dir "$C" --confirm; expect_rc 0 "$E chain: contract 002"
  run "$SLUICE" up "$curl" --dir "$C"; expect_rc 0 "$E chain: 003"
  run "$SLUICE" status "$curl" --dir "$C"; expect_rc 0 "$E chain: status"
  expect_out "version ${db}_three (replaces ${db}_two)" "$E chain: 003 replaces 002's version"
  expect_out "live versions: ${db}_two, ${db}_three" "$E chain: both live"
  [ "$(vsql "$engine" "$curl" "${db}_two" "SELECT mail FROM customers WHERE id = 1")" = ada@math.org ] && ok || bad "$E chain: the old version reads"
  [ "$(vsql "$engine" "$curl" "${db}_three" "SELECT email FROM customers WHERE id = 1")" = ada@math.org ] && ok || bad "$E chain: the new version reads"
  run "$SLUICE" contract "$curl" --dir "$C" --confirm; expect_rc 0 "$E chain: contract 003"
  case $engine in
    postgres) [ "$(sql postgres "$curl" "SELECT count(*) FROM pg_namespace WHERE nspname = '${db}_two'")" = 0 ] && ok || bad "$E chain: the replaced version is gone" ;;
    mysql) [ "$(sql mysql "$curl" "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '${db}_two'")" = 0 ] && ok || bad "$E chain: the replaced version is gone" ;;
    sqlite) [ "$(sql sqlite "$curl" "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name LIKE '${db}_two%'")" = 0 ] && ok || bad "$E chain: the replaced version is gone" ;;
  esac
  # after contract of 003, down reverts it and brings 002's version back over the tables as they are then
  run "$SLUICE" down "$curl" --dir "$C"; expect_rc 0 "$E chain: down 003 after contract"
  [ "$(vsql "$engine" "$curl" "${db}_two" "SELECT email FROM customers WHERE id = 1")" = ada@math.org ] && ok || bad "$E chain: 002's version is back"

  case $engine in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS ${db}_ch WITH (FORCE)" >/dev/null ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS ${db}_ch; DROP DATABASE IF EXISTS ${db}_two; DROP DATABASE IF EXISTS ${db}_three" ;;
  esac
  case $engine in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${db}_rb WITH (FORCE)" >/dev/null ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS $db; DROP DATABASE IF EXISTS ${db}_rb; DROP DATABASE IF EXISTS ${db}_v002; DROP DATABASE IF EXISTS ${db}_rb_v002" ;;
  esac
done

# what SQLite refuses: file:line, exit 2, nothing changed
Q=$TMP/sqlite_refuse
mkdir -p "$Q"
cp "$TMP/p_sqlite/001_customers.sql" "$Q/"
printf -- '-- title: not null\n-- +sluice expand\nrename column customers.email to mail;\nset not null customers.note up (coalesce(note, %s));\n' "'-'" >"$Q/002_nn.sql"
url=$(scratch_url sqlite refuse)
run "$SLUICE" up "$url" --dir "$Q"; expect_rc 2 "sqlite: refused"
expect_err "002_nn.sql:4: set not null: not supported on sqlite: SQLite cannot add NOT NULL to an existing column without rebuilding the table" "sqlite: refusal names file, line and why"
[ "$(sql sqlite "$url" "SELECT count(*) FROM sluice_migrations WHERE id = '002'")" = 0 ] && ok || bad "sqlite: nothing recorded"
[ "$(sql sqlite "$url" "SELECT count(*) FROM pragma_table_info('customers') WHERE name = 'email'")" = 1 ] && ok || bad "sqlite: nothing changed"
run "$SLUICE" lint "$url" --dir "$Q"; expect_rc 1 "sqlite: lint refuses too"
expect_out "002_nn.sql:4: error: expand-unsupported: set not null customers.note: not supported on sqlite" "sqlite: lint message"

# lint: a plain rename is an expand candidate
L=$TMP/lintp
mkdir -p "$L"
cp "$TMP/p_sqlite/001_customers.sql" "$L/"
printf -- '-- title: rename\n-- +sluice up\nALTER TABLE customers RENAME COLUMN email TO mail;\n-- +sluice down\nALTER TABLE customers RENAME COLUMN mail TO email;\n' >"$L/002_rename.sql"
run "$SLUICE" lint --dir "$L"; expect_rc 0 "lint: candidate is a warning"
expect_out "002_rename.sql:3: warn: expand-candidate: ALTER TABLE customers RENAME COLUMN email: clients of the old shape break when this runs; an expand/contract migration keeps both shapes live (rename column customers.email to mail)" "lint: candidate message"

# a mistake in the vocabulary stops every command, with the file and line
printf -- '-- title: typo\n-- +sluice expand\n\nrename colum customers.email to mail;\n' >"$L/003_typo.sql"
run "$SLUICE" status "$url" --dir "$L"; expect_rc 2 "typo: status refuses the directory"
expect_err "003_typo.sql:4: expand: expected \"table\" or \"column\" after \"rename\", found \"colum\"" "typo: message"
finish
