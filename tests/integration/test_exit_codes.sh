#!/usr/bin/env bash
# test_exit_codes.sh - every command driven through its exit paths: each
# case expects one exit code, which must also be in the table of
# docs/exit-codes.md, and every failure's last stderr line must read
# "sluice: error: ..." (one format everywhere). Every command of `sluice
# help` has at least its --help (0) and an unknown option (2) here; the
# table of cases below adds the rest: usage, URLs, missing files, databases
# that cannot be reached, findings, recorded state, refusals.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"

documented=$(grep -oE '^\| *[0-9]+ *\|' "$SLUICE_SOURCE_DIR/docs/exit-codes.md" | tr -d '| ' | tr '\n' ' ')
declare -A seen

# code EXPECTED LABEL ARGS...: runs sluice ARGS and checks the exit code
code() {
  local want=$1 label=$2; shift 2
  run "$SLUICE" "$@"
  expect_rc "$want" "$label"
  case " $documented " in *" $rc "*) ok ;; *) bad "$label: exit $rc is not in docs/exit-codes.md ($documented)" ;; esac
  if [ "$rc" -ge 2 ]; then
    tail -n 1 "$TMP/err" | grep -q '^sluice: error: ' && ok || bad "$label: the last stderr line is not 'sluice: error: ...'"
  fi
  seen[$rc]=1
}

# --- every command: --help and an unknown option ---------------------------
commands=$("$SLUICE" help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}')
for c in $commands; do
  code 0 "$c --help" "$c" --help
  [ "$c" = help ] && continue
  code 2 "$c with an unknown option" "$c" --no-such-option
done
code 2 "no command"
code 2 "unknown command" frobnicate
code 2 "help of an unknown command" help frobnicate
code 0 "version" --version

# --- a project with two migrations ------------------------------------------
P=$TMP/proj; mkdir -p "$P/migrations"; cd "$P" || exit 1
DB=$TMP/app.db
cat >sluice.yaml <<YAML
project: codes
environments:
  app: { url: "sqlite:$DB" }
  gone: { url: "sqlite:$TMP/missing.db" }
  nowhere: { url: "postgres://u@127.0.0.1:1/x?connect_timeout=3" }
  other: { url: "sqlite:$TMP/other.db" }
rules:
  - { name: emails present, type: not_null, table: customers, columns: [email] }
YAML
cat >migrations/20260101000001_customers.sql <<'SQL'
-- id: 20260101000001
-- title: Customers
-- ticket: T-1
-- pr: https://git.example.com/p/pull/1
-- why: Customers.
-- rollback: Drops it.

-- +sluice up
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO customers VALUES (1, 'a@example.com');

-- +sluice down
DROP TABLE customers;

-- +sluice verify
SELECT id FROM customers WHERE email IS NULL;
SQL
cat >migrations/20260101000002_broken.sql <<'SQL'
-- id: 20260101000002
-- title: Broken
-- ticket: T-2
-- pr: https://git.example.com/p/pull/2
-- why: Fails on purpose.
-- rollback: Nothing.

-- +sluice up
CREATE TABLE broken (id INTEGER PRIMARY KEY);
INSERT INTO no_such_table VALUES (1);

-- +sluice down
DROP TABLE broken;
SQL

# usage and input (2)
code 2 "new without a title" new
code 2 "why without an object" why
code 2 "inspect without a database" inspect
code 2 "inspect with a bad format" inspect app --format yaml
code 2 "log with a bad format" log --format yaml
code 2 "completion of an unknown shell" completion fish
code 2 "status of a missing SQLite file" status gone
code 2 "inspect of a missing SQLite file" inspect gone
code 2 "check of a missing SQLite file" check gone
code 2 "an unknown environment" status nosuchenv
code 2 "a malformed PostgreSQL URL" inspect 'postgres://u@:notaport/x'
code 2 "a malformed MySQL URL" inspect 'mysql://u@h:99x/db'
code 2 "a malformed SQLite URL" inspect 'sqlite:x.db?mode=nope'
code 2 "a broken sluice.yaml" status -C "$SLUICE_SOURCE_DIR/README.md"
code 2 "diff --out into a missing directory" diff app other --out "$TMP/no/such/dir/out.jsonl"
# database (3)
code 3 "an unreachable server (inspect)" inspect nowhere
code 3 "an unreachable server (status)" status nowhere
code 3 "an unreachable server (check)" check nowhere
code 0 "up the first migration" up app --to 20260101000001
code 3 "an unreachable server (copy target)" copy app nowhere
code 3 "up: a statement fails" up app
rm migrations/20260101000002_broken.sql
# recorded state (5)
sed -i 's/a@example.com/b@example.com/' migrations/20260101000001_customers.sql # edited after it was applied
code 5 "status of a drifted migration" status app
code 5 "up while a migration drifted" up app
code 0 "repair" repair app
code 0 "status once repaired" status app
code 5 "baseline over a history" baseline 20260101000001 app
# findings (1)
code 0 "verify" verify app
code 0 "check" check app
sqlite3 "$DB" "UPDATE customers SET email = NULL"
code 1 "verify: a query returns rows" verify app
code 1 "check: a halt rule fails" check app
cp "$DB" "$TMP/other.db"
sqlite3 "$TMP/other.db" "UPDATE customers SET email = 'x'"
code 1 "diff: discrepancies" diff app other
code 0 "diff within the threshold" diff app other --threshold 1
# refusals (6)
code 6 "new over an existing file" new "Customers" --id 20260101000001
code 6 "copy onto the same database" copy app "sqlite:$DB"
code 6 "diff of the same database" diff app "sqlite:$DB"
code 6 "copy onto an existing table" copy app other
code 6 "copy --restart over tables sluice did not create" copy app other --restart
code 0 "copy --restart --force" copy app other --restart --force -q
code 5 "copy again without --resume or --restart" copy app other
code 0 "log" log
code 0 "why" why customers
code 0 "down" down app

# every code of the table but 4, 70 and the signals was seen here (4: test_migrate.sh,
# 130/143: test_interrupt.sh; 70 means a bug)
for c in 0 1 2 3 5 6; do [ -n "${seen[$c]:-}" ] && ok || bad "no case exits $c"; done
finish
