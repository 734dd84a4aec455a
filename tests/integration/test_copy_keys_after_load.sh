#!/usr/bin/env bash
# test_copy_keys_after_load.sh - into PostgreSQL, a primary key the source
# enforces over integer columns is built after the rows (first statement of its
# table in the indexes phase); any other key stays in CREATE TABLE, so the
# target refuses a repeated key row by row (docs/copy.md, "Load order"):
#   - the plan shows which: SQLite's rowid alias and PostgreSQL/MariaDB integer
#     keys after the load; SQLite text and composite keys (which hold NULLs and
#     values of any storage class) in CREATE TABLE; not when hooks rewrite rows;
#   - every key exists once after the copy, and the rows diff equal;
#   - a key SQLite let hold a NULL is still rejected as its row, not at the end;
#   - the indexes phase repeated by --resume (a crash after the key was built)
#     skips the key that exists instead of reporting a constraint problem.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
echo "$ENGINES" | grep -qx postgres || { echo "1 passed, 0 failed (no PostgreSQL: nothing to check)"; exit 0; }

SRC=$TMP/src.db
sqlite3 "$SRC" "CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT);
  CREATE TABLE tk (code TEXT PRIMARY KEY, v INTEGER);
  CREATE TABLE ck (a INTEGER, b INTEGER, v TEXT, PRIMARY KEY (a, b));
  CREATE TABLE child (id INTEGER PRIMARY KEY, r_id INTEGER REFERENCES r (id));
  CREATE INDEX child_r ON child (r_id);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
  INSERT INTO r SELECT i, 'v' || i FROM n;
  INSERT INTO child SELECT id, id FROM r;
  INSERT INTO tk VALUES ('a', 1), ('b', 2);
  INSERT INTO ck VALUES (1, 1, 'x'), (1, 2, 'y'), (NULL, 3, 'null key'), (NULL, 3, 'null key again');"

pk_count() { sql postgres "$1" "SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND conrelid = '$2'::regclass"; }

# --- the plan ---------------------------------------------------------------
url=$(scratch_url postgres kal_plan)
run "$SLUICE" copy "sqlite:$SRC" "$url" --plan
expect_rc 0 "--plan"
expect_out 'ALTER TABLE "r" ADD PRIMARY KEY ("id")' "rowid alias: key after the load"
expect_out 'ALTER TABLE "child" ADD PRIMARY KEY ("id")' "rowid alias (child): key after the load"
expect_out 'PRIMARY KEY ("code")' "text key: in CREATE TABLE"
expect_out 'PRIMARY KEY ("a", "b")' "composite SQLite key: in CREATE TABLE"
grep -q 'ADD PRIMARY KEY ("code")\|ADD PRIMARY KEY ("a", "b")' "$TMP/out" && bad "a loose key was deferred" || ok
# the key is the first statement of its table in the indexes phase, before the foreign keys
awk '/-- phase: indexes/ { p = 1 } /-- phase: foreign_keys/ { f = 1 } p && !f && /ADD PRIMARY KEY \("id"\)/ { n++ } END { exit n == 2 ? 0 : 1 }' "$TMP/out" \
  && ok || bad "keys after the load are in the indexes phase"

# --- the copy -----------------------------------------------------------------
for jobs in 1 2; do
  url=$(scratch_url postgres kal_copy$jobs)
  run "$SLUICE" copy "sqlite:$SRC" "$url" --jobs $jobs --max-rejects 5 --json
  expect_rc 0 "copy --jobs $jobs"
  expect_out '"rejected": 2,' "--jobs $jobs: the two rows with a NULL key rejected, row by row"
  grep -q '"violations": \[\]' "$TMP/out" && ok || bad "--jobs $jobs: no constraint problem"
  for t in r tk ck child; do
    [ "$(pk_count "$url" $t)" = 1 ] && ok || bad "--jobs $jobs: $t has one primary key"
  done
  [ "$(sql postgres "$url" "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")" = 1 ] && ok || bad "--jobs $jobs: the foreign key"
  run "$SLUICE" diff "sqlite:$SRC" "$url" --tables r,tk,child
  expect_rc 0 "--jobs $jobs: rows equal"
  run "$SLUICE" copy --rejects "$url"
  expect_out '2 rejected rows in 1 table' "--jobs $jobs: the NULL key rows are the rejects"
  expect_out 'null value in column "a" of relation "ck"' "--jobs $jobs: refused by the target, as its row"

  # the indexes phase again, as after a crash once the keys were built
  sql postgres "$url" "UPDATE sluice_copy_state SET status = 'indexes' WHERE part = -1" >/dev/null
  run "$SLUICE" copy "sqlite:$SRC" "$url" --jobs $jobs --max-rejects 5 --resume
  expect_rc 0 "--jobs $jobs: the indexes phase repeated by --resume"
  expect_out "0 constraint problems" "--jobs $jobs: the existing key is skipped"
  [ "$(pk_count "$url" r)" = 1 ] && ok || bad "--jobs $jobs: r still has one key"
done

# --- PostgreSQL and MariaDB sources: integer keys after the load ----------------
PSRC=$(scratch_url postgres kal_src)
sql postgres "$PSRC" "CREATE TABLE p (id bigint PRIMARY KEY, v text); CREATE TABLE q (k text PRIMARY KEY);
  INSERT INTO p SELECT i, 'v' || i FROM generate_series(1, 100) i; INSERT INTO q VALUES ('x')" >/dev/null
url=$(scratch_url postgres kal_pp)
run "$SLUICE" copy "$PSRC" "$url" --plan
expect_out 'ADD CONSTRAINT "p_pkey" PRIMARY KEY ("id")' "postgres -> postgres: integer key after the load, its name kept"
grep -q 'ADD CONSTRAINT "q_pkey"' "$TMP/out" && bad "postgres: a text key was deferred" || ok
run "$SLUICE" copy "$PSRC" "$url"
expect_rc 0 "postgres -> postgres copy"
[ "$(sql postgres "$url" "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid IN ('p'::regclass, 'q'::regclass) ORDER BY 1" | tr '\n' ' ')" = "p_pkey q_pkey " ] \
  && ok || bad "postgres -> postgres: key names"
if echo "$ENGINES" | grep -qx mysql; then
  MSRC=$(scratch_url mysql kal_src)
  sql mysql "$MSRC" "CREATE TABLE m (id INT PRIMARY KEY, v TEXT); INSERT INTO m VALUES (1, 'a'), (2, 'b')"
  url=$(scratch_url postgres kal_mp)
  run "$SLUICE" copy "$MSRC" "$url" --plan
  expect_out 'ALTER TABLE "m" ADD PRIMARY KEY ("id")' "mysql -> postgres: integer key after the load"
  run "$SLUICE" copy "$MSRC" "$url"
  expect_rc 0 "mysql -> postgres copy"
  [ "$(pk_count "$url" m)" = 1 ] && ok || bad "mysql -> postgres: the key"
fi

# --- another target keeps its keys in CREATE TABLE ---------------------------------
run "$SLUICE" copy "sqlite:$SRC" "sqlite:$TMP/t.db" --plan
grep -q 'ADD PRIMARY KEY' "$TMP/out" && bad "sqlite target: a key after the load" || ok

finish
