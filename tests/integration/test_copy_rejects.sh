#!/usr/bin/env bash
# test_copy_rejects.sh - what a user sees of a quarantined row is enough to
# fix it, and never a sensitive value (docs/copy.md, "Rejects"). A SQLite
# source with values no target type takes, in sensitive columns (by the naming
# rule: pin, api_token; by sluice.yaml copy.sensitive: users.email) and in
# ordinary ones, copied to each server:
#   - `sluice copy --rejects TARGET` lists table, key, column, value and reason
#     of each rejected row (text and --json, --tables filters);
#   - sensitive values are "***" in the value, the key and the reason, in the
#     listing and in sluice_rejects itself, also when the target refuses the
#     row as a whole and its message quotes the row;
#   - a target no copy wrote to, and a bad copy.sensitive, are clear errors.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
have() { echo "$ENGINES" | grep -qx "$1"; }

SRC=$TMP/src.db
sqlite3 "$SRC" "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, pin INTEGER, age INTEGER);
  INSERT INTO users VALUES (1, 'ann@example.org', 1234, 30), (2, 'bob@example.org', 'pin-9z8y', 40),
                           (3, 'cid@example.org', NULL, 'n/a');
  INSERT INTO users (id, email, pin, age) VALUES (4, NULL, 4321, 50);
  CREATE TABLE tokens (api_token TEXT PRIMARY KEY, n INTEGER);
  INSERT INTO tokens VALUES ('tok-AAAA-1111', 1), ('tok-BBBB-2222', 'x');"
# secrets that must never be shown: the rejected pin, the rejected row's email and the key
SECRETS=("pin-9z8y" "tok-BBBB-2222")
cd "$TMP" || exit 1
printf 'copy:\n  sensitive: ["users.email"]\n' >sluice.yaml

no_secrets() { # no_secrets LABEL FILE...
  local s
  for s in "${SECRETS[@]}"; do
    if grep -qF -- "$s" "$@"; then bad "$1: \"$s\" was shown"; else ok; fi
  done
}

for engine in postgres mysql; do
  have $engine || continue
  TURL=$(scratch_url $engine copy_rejects_${engine:0:2})
  run "$SLUICE" copy "sqlite:$SRC" "$TURL" --max-rejects 10 --json
  expect_rc 0 "$engine copy"
  expect_out '"rejected": 3,' "$engine: three rows rejected"

  run "$SLUICE" copy --rejects "$TURL"
  expect_rc 0 "$engine --rejects"
  expect_out "3 rejected rows in 2 tables" "$engine --rejects: the count"
  expect_out 'users {"id":2} (run ' "$engine --rejects: table and key"
  expect_out '  column "pin" = ***: "***" is not an integer' "$engine --rejects: the sensitive value masked"
  expect_out '  column "age" = n/a: "n/a" is not an integer' "$engine --rejects: an ordinary value shown"
  expect_out 'tokens {"api_token":"***"}' "$engine --rejects: a sensitive key masked"
  expect_out '  column "n" = x: "x" is not an integer' "$engine --rejects: its column"
  no_secrets "$engine --rejects" "$TMP/out" "$TMP/err"
  sql $engine "$TURL" "SELECT table_name, row_key, column_name, value, reason FROM sluice_rejects" >"$TMP/table"
  no_secrets "$engine sluice_rejects" "$TMP/table"
  grep -qF 'pin	***	"***" is not an integer' "$TMP/table" && ok || bad "$engine: sluice_rejects holds the masked value"

  run "$SLUICE" copy --rejects "$TURL" --json --tables tokens
  expect_rc 0 "$engine --rejects --json"
  expect_out '"rows": 1,' "$engine --json --tables: one row"
  expect_out '"api_token": "***"' "$engine --json: the key as an object"
  expect_out '"column": "n",' "$engine --json: the failing column"
  expect_out '"reason": "\"x\" is not an integer"' "$engine --json: the reason"
  grep -q '"table": "users"' "$TMP/out" && bad "$engine --json --tables: other tables listed" || ok
done

# the target refuses the row as a whole (NOT NULL email on SQLite's NULL): its message may quote
# the row; SQLite -> SQLite passes values through, so the target's own NOT NULL refuses it
TDB=$TMP/target.db
sqlite3 "$TDB" "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, pin INTEGER, age INTEGER)"
run "$SLUICE" copy "sqlite:$SRC" "sqlite:$TDB" --data-only --tables users --max-rejects 10
expect_rc 0 "sqlite --data-only copy"
run "$SLUICE" copy --rejects "sqlite:$TDB"
expect_out 'users {"id":4}' "sqlite --rejects: the refused row"
expect_out "target refused the row: NOT NULL constraint failed: users.email" "sqlite --rejects: the engine's reason"

if have postgres; then
  # PostgreSQL quotes the whole row in its message: the email of a sensitive column is masked there
  TURL=$(scratch_url postgres copy_rejects_row)
  psql -q "$TURL" -c "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL CHECK (email NOT LIKE 'ann%'), pin bigint, age bigint)"
  run "$SLUICE" copy "sqlite:$SRC" "$TURL" --data-only --tables users --max-rejects 10
  expect_rc 0 "pg --data-only copy with a check"
  run "$SLUICE" copy --rejects "$TURL"
  expect_out 'violates check constraint' "pg --rejects: the engine's message"
  grep -qF "ann@example.org" "$TMP/out" && bad "pg --rejects: the email in the engine's message" || ok
  grep -qF "ann@example.org" <(sql postgres "$TURL" "SELECT reason FROM sluice_rejects") &&
    bad "pg: the email in sluice_rejects" || ok
fi

run "$SLUICE" copy --rejects "sqlite:$TMP/src.db"
expect_rc 2 "--rejects on a database no copy wrote to"
expect_err "no copy has recorded rejects in" "--rejects: says why"
printf 'copy:\n  sensitve: ["users.email"]\n' >sluice.yaml
run "$SLUICE" copy --rejects "sqlite:$TDB"
expect_rc 2 "a misspelt copy key"
expect_err 'sluice.yaml:2:3: unknown key "sensitve" in "copy"' "names file, line and key"

for m in copy_rejects_po copy_rejects_my copy_rejects_row; do
  case $m in
    *_my) have mysql && sql mysql "${SLUICE_TEST_MY_URL%/*}/$m" "DROP DATABASE IF EXISTS $m" >/dev/null ;;
    *) have postgres && psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $m WITH (FORCE)" ;;
  esac
done
finish
