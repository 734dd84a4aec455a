#!/usr/bin/env bash
# test_lint.sh - `sluice lint` end to end on SQLite, PostgreSQL and MariaDB:
# static rules without a target; with a target, a clean pending migration,
# a dropped column, a narrowed type, a NOT NULL column added to a table with
# rows, a down that forgets an index; levels from sluice.yaml; the target
# left exactly as it was and no scratch database left behind.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
export TMPDIR=$TMP   # SQLite scratch files land here, so leftovers are visible

P=$TMP/proj
mkdir -p "$P"/{base,clean,drop,narrow,notnull,downidx}
cd "$P" || exit 1
cat > sluice.yaml <<'YAML'
project: linted
migrations:
  required: [ticket]
YAML

cat > base/001_customers.sql <<'SQL'
-- title: Customers
-- ticket: T-1

-- +sluice up
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, note VARCHAR(200));
CREATE INDEX customers_note ON customers (note);

-- +sluice down
DROP TABLE customers;

-- +sluice verify
SELECT id FROM customers WHERE email IS NULL;
SQL
for d in clean drop narrow notnull downidx; do cp base/001_customers.sql "$d/"; done

cat > clean/002_phone.sql <<'SQL'
-- title: Phone
-- ticket: T-2

-- +sluice up
ALTER TABLE customers ADD COLUMN phone VARCHAR(40);

-- +sluice down
ALTER TABLE customers DROP COLUMN phone;
SQL

cat > drop/002_drop_note.sql <<'SQL'
-- title: Drop note
-- ticket: T-3

-- +sluice up
DROP INDEX customers_note;
ALTER TABLE customers DROP COLUMN note;

-- +sluice up dialect=mysql
DROP INDEX customers_note ON customers;
ALTER TABLE customers DROP COLUMN note;

-- +sluice down
ALTER TABLE customers ADD COLUMN note VARCHAR(200);
CREATE INDEX customers_note ON customers (note);
SQL

cat > narrow/002_narrow_email.sql <<'SQL'
-- title: Narrow email
-- ticket: T-4

-- +sluice up dialect=postgres
ALTER TABLE customers ALTER COLUMN email TYPE VARCHAR(50);

-- +sluice up dialect=mysql
ALTER TABLE customers MODIFY email VARCHAR(50) NOT NULL;

-- +sluice up dialect=sqlite
CREATE TABLE customers_new (id INTEGER PRIMARY KEY, email VARCHAR(50) NOT NULL, note VARCHAR(200));
INSERT INTO customers_new SELECT id, email, note FROM customers;
DROP TABLE customers;
ALTER TABLE customers_new RENAME TO customers;
CREATE INDEX customers_note ON customers (note);

-- +sluice down
-- irreversible would be honest; lint only checks that the schema comes back
SELECT 1;
SQL

cat > notnull/002_region.sql <<'SQL'
-- title: Region
-- ticket: T-5

-- +sluice up
ALTER TABLE customers ADD COLUMN region VARCHAR(10) NOT NULL;

-- +sluice up dialect=sqlite
CREATE TABLE customers_new (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, note VARCHAR(200), region VARCHAR(10) NOT NULL);
INSERT INTO customers_new SELECT id, email, note, 'eu' FROM customers;
DROP TABLE customers;
ALTER TABLE customers_new RENAME TO customers;
CREATE INDEX customers_note ON customers (note);

-- +sluice down
ALTER TABLE customers DROP COLUMN region;
SQL

cat > downidx/002_email_index.sql <<'SQL'
-- title: Index emails
-- ticket: T-6

-- +sluice up
CREATE INDEX customers_email ON customers (email);

-- +sluice down
-- forgot: DROP INDEX customers_email
SELECT 1;
SQL

# static rules, no database
run "$SLUICE" lint --dir drop; expect_rc 0 "static: warnings only"
expect_out "drop/002_drop_note.sql:6: warn: destructive-statement: up section drops a column: ALTER TABLE customers DROP COLUMN note" "static: destructive"
expect_out "2 migration(s) checked: 0 error(s)" "static: summary"
run "$SLUICE" lint --dir downidx --json; expect_rc 0 "static json"; expect_out '"findings": []' "static json clean"

cat > strict.yaml <<'YAML'
migrations:
  required: [ticket, owner]
lint:
  rules:
    destructive-statement: error
YAML
run "$SLUICE" lint -C strict.yaml --dir "$P/drop"; expect_rc 1 "strict: errors"
expect_out "001_customers.sql:1: error: required-metadata: missing \"owner\" (required by sluice.yaml)" "strict: required"
expect_out "error: destructive-statement" "strict: level raised"
cat > typo.yaml <<'YAML'
lint:
  rules:
    drop-detectd: off
YAML
run "$SLUICE" lint -C typo.yaml --dir "$P/drop"; expect_rc 2 "unknown rule"
expect_err 'typo.yaml:3:5: unknown lint rule "drop-detectd" (did you mean "drop-detected"?)' "unknown rule message"

leftovers() { # scratch databases or files still around
  case $1 in
    sqlite) ls "$TMP" | grep -c '^sluice_lint_' ;;
    postgres) sql postgres "$SLUICE_TEST_PG_URL" "SELECT count(*) FROM pg_database WHERE datname LIKE 'sluice_lint_%'" ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'sluice_lint_%'" ;;
  esac
}

for engine in $(engines); do
  url=$(scratch_url "$engine" "lintt_$$")
  E="[$engine]"
  run "$SLUICE" up "$url" --dir base; expect_rc 0 "$E up base"
  sql "$engine" "$url" "INSERT INTO customers (id, email, note) VALUES (1, 'a@example.com', 'x'), (2, 'b@example.com', NULL)"
  "$SLUICE" inspect "$url" --format json > "$TMP/before.json" 2>&1
  "$SLUICE" status "$url" --dir base --json | grep -v applied_at > "$TMP/hist_before.json"

  run "$SLUICE" lint "$url" --dir clean; expect_rc 0 "$E clean"
  expect_out "1 migration(s) checked: 0 error(s), 0 warning(s)" "$E clean summary"

  run "$SLUICE" lint "$url" --dir drop; expect_rc 0 "$E drop is a warning"
  line=6; [ "$engine" = mysql ] && line=10
  expect_out "drop/002_drop_note.sql:$line: warn: drop-detected: column \"customers\".\"note\" existed before this migration and is gone" "$E drop-detected"

  run "$SLUICE" lint "$url" --dir narrow; expect_rc 1 "$E narrowing"
  expect_out "error: type-narrowing: column \"customers\".\"email\" type narrows (a shorter length limit)" "$E type-narrowing"

  run "$SLUICE" lint "$url" --dir notnull; expect_rc 1 "$E not null"
  expect_out "error: not-null-without-default: column \"customers\".\"region\" is added NOT NULL without a default, and \"customers\" has rows in the target" "$E not-null-without-default"

  run "$SLUICE" lint "$url" --dir downidx --json; expect_rc 1 "$E down not inverse"
  expect_out '"rule": "down-not-inverse"' "$E down-not-inverse"
  expect_out 'index \"customers_email\" on \"customers\" added' "$E down-not-inverse names the index"

  "$SLUICE" inspect "$url" --format json > "$TMP/after.json" 2>&1
  cmp -s "$TMP/before.json" "$TMP/after.json" && ok || bad "$E target schema unchanged"
  "$SLUICE" status "$url" --dir base --json | grep -v applied_at > "$TMP/hist_after.json"
  cmp -s "$TMP/hist_before.json" "$TMP/hist_after.json" && ok || bad "$E target history unchanged"
  [ "$(sql "$engine" "$url" "SELECT count(*) FROM customers")" = 2 ] && ok || bad "$E target rows unchanged"
  [ "$(leftovers "$engine")" = 0 ] && ok || bad "$E scratch databases dropped"

  case $engine in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS lintt_$$ WITH (FORCE)" >/dev/null ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS lintt_$$" ;;
  esac
done
finish
