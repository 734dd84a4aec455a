#!/usr/bin/env bash
# test_copy_refused.sh - tables the target refuses to create (docs/copy.md,
# "Tables the target refuses"). A SQLite source whose cast rules (sluice.yaml)
# give PostgreSQL a type it does not know and a default it cannot parse, and
# MariaDB a row over its 65,535-byte limit:
#   - `copy --plan` checks its own DDL (PostgreSQL: rolled back; MySQL: by
#     rule), exits 2 and names table, column, the engine's message and the fix;
#   - the copy goes on without those tables, reports each with its statement
#     and the engine's message, and exits 7; a foreign key to a refused table
#     waits for it; a plain re-run refuses the incomplete target (exit 5);
#   - --resume after a fix in sluice.yaml (and --force for the default)
#     creates and copies them: exit 0, the foreign key is there, diff is clean.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
have() { echo "$ENGINES" | grep -qx "$1"; }

SRC=$TMP/src.db
wide=$(for i in $(seq 0 19); do printf ', c%d varchar(1000)' "$i"; done)
sqlite3 "$SRC" "CREATE TABLE good (id INTEGER PRIMARY KEY, name TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) INSERT INTO good SELECT x, 'n' || x FROM c;
  CREATE TABLE hosts (id INTEGER PRIMARY KEY, ip TEXT DEFAULT 'unknown');
  INSERT INTO hosts VALUES (1, '10.0.0.1'), (2, '192.168.1.1');
  CREATE TABLE typo (id INTEGER PRIMARY KEY, amount NUMERIC(10,2));
  INSERT INTO typo VALUES (1, 1.5), (2, 2.25);
  CREATE TABLE child (id INTEGER PRIMARY KEY, typo_id INTEGER REFERENCES typo(id));
  INSERT INTO child VALUES (1, 1), (2, 2);
  CREATE TABLE wide (id INTEGER PRIMARY KEY $wide);
  INSERT INTO wide (id, c0) VALUES (1, 'x');"
cd "$TMP" || exit 1

# copy_run ARGS...: sluice copy $SRC $TURL ARGS..., output in $TMP/out and $TMP/err
copy_run() { run "$SLUICE" copy "sqlite:$SRC" "$TURL" "$@"; }

if have postgres; then
  TURL=$(scratch_url postgres copy_refused_pg)
  printf 'casts:\n  - column: hosts.ip\n    to: INET\n  - column: typo.amount\n    to: NUMBER(10)\n' >sluice.yaml
  copy_run --plan
  expect_rc 2 "pg --plan: refused DDL is a plan error"
  expect_out "ddl: 5 statements run on a scratch schema of the target in a transaction rolled back: 2 refused" \
    "pg --plan: says how the DDL was checked"
  expect_out "error: postgres refuses the type NUMBER(10): type \"number\" does not exist; fix: a cast rule for \"typo.amount\"" \
    "pg --plan: the type names its column and the fix"
  expect_out "error: postgres refuses the default 'unknown': invalid input syntax for type inet" "pg --plan: the default"
  expect_out "or --force to create the table without this default" "pg --plan: the default's fix"
  [ "$(sql postgres "$TURL" "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sluice%'")" = 0 ] && ok ||
    bad "pg --plan: left its scratch schema behind"
  [ "$(sql postgres "$TURL" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] && ok ||
    bad "pg --plan: created tables"

  copy_run --json
  expect_rc 7 "pg copy: incomplete"
  expect_out '"failed": 2,' "pg copy: two tables not created"
  expect_out 'column \"amount\": postgres refuses the type NUMBER(10): type \"number\" does not exist' \
    "pg copy: the type error names the column"
  expect_out 'statement: CREATE TABLE \"typo\"' "pg copy: the statement is reported"
  expect_err 'table "hosts" not created: column "ip": postgres refuses the default' "pg copy: stderr names the table"
  [ "$(sql postgres "$TURL" "SELECT count(*) FROM good")" = 50 ] && ok || bad "pg copy: good not copied"
  [ "$(sql postgres "$TURL" "SELECT count(*) FROM child")" = 2 ] && ok || bad "pg copy: child not copied"
  [ "$(sql postgres "$TURL" "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")" = 0 ] && ok ||
    bad "pg copy: a foreign key to a refused table"
  grep -q '"constraint":' "$TMP/out" && bad "pg copy: the foreign key to the refused table counted as a problem" || ok
  [ "$(sql postgres "$TURL" "SELECT status FROM sluice_copy_state WHERE part = -1")" = incomplete ] && ok ||
    bad "pg copy: state is not incomplete"

  copy_run
  expect_rc 5 "pg re-run without --resume"
  expect_err "the target holds an incomplete copy" "pg re-run: says why"

  printf 'casts:\n  - column: hosts.ip\n    to: INET\n  - column: typo.amount\n    to: NUMERIC(10,2)\n' >sluice.yaml
  copy_run --resume
  expect_rc 7 "pg --resume after fixing the type: hosts still refused"
  expect_out 'copy incomplete: 5 tables, 55 rows read' "pg --resume: typo's rows copied, nothing twice"
  [ "$(sql postgres "$TURL" "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")" = 1 ] && ok ||
    bad "pg --resume: the foreign key to typo was not added"
  copy_run --resume --force
  expect_rc 0 "pg --resume --force: the default dropped"
  expect_err 'table "hosts" created without the defaults the target refuses (--force)' "pg --force: says so"
  expect_out "copy finished: 5 tables, 57 rows read, 57 written" "pg --force: finished"
  run "$SLUICE" diff "sqlite:$SRC" "$TURL"
  expect_rc 0 "pg diff after the resumes"
  [ "$(sql postgres "$TURL" "SELECT column_default FROM information_schema.columns WHERE table_name = 'hosts' AND column_name = 'ip'")" = "" ] &&
    ok || bad "pg --force: the default is still there"
fi

if have mysql; then
  TURL=$(scratch_url mysql copy_refused_my)
  printf 'casts:\n  - column: typo.amount\n    to: NUMERIC(10,2)\n' >sluice.yaml
  copy_run --plan
  expect_rc 2 "mysql --plan: the row size rule"
  expect_out "wide: error: MySQL refuses a row of 80048 bytes" "mysql --plan: names table and size"
  expect_out "ddl: 5 statements checked by rule (MySQL cannot roll DDL back): 1 refused" "mysql --plan: says how"
  copy_run
  expect_rc 7 "mysql copy: incomplete"
  expect_out 'table "wide" not created: mysql refuses the table: Row size too large.' "mysql copy: engine message"
  [ "$(sql mysql "$TURL" "SELECT count(*) FROM good")" = 50 ] && ok || bad "mysql copy: good not copied"
  printf 'casts:\n  - column: typo.amount\n    to: NUMERIC(10,2)\n  - from: varchar(1000)\n    to: TEXT\n' >sluice.yaml
  copy_run --resume
  expect_rc 0 "mysql --resume after a rule for varchar(1000)"
  expect_out "copy finished: 5 tables, 57 rows read, 57 written" "mysql --resume: finished"
  run "$SLUICE" diff "sqlite:$SRC" "$TURL"
  expect_rc 0 "mysql diff after the resume"
  for db in copy_refused_my; do sql mysql "$TURL" "DROP DATABASE $db" >/dev/null; done
fi
have postgres && psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS copy_refused_pg WITH (FORCE)"
finish
