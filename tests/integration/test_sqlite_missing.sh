#!/usr/bin/env bash
# test_sqlite_missing.sh - a SQLite file that does not exist is an error
# ("no such SQLite file", exit 2), never a new empty database, for every
# command that reads a database: inspect, copy's source, diff's two sides,
# check, status, verify, down, repair, log, why and lint. Only a target is
# created: copy's target, up and baseline, or any URL with ?mode=rwc.
# After each refusal the file must still not exist.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"

GOOD=$TMP/good.db
sqlite3 "$GOOD" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')"
MISSING=$TMP/typo.db

P=$TMP/proj
mkdir -p "$P/migrations"
cat >"$P/sluice.yaml" <<YAML
project: missing
environments:
  gone: { url: "sqlite:$MISSING" }
rules:
  - { name: ids present, type: not_null, table: t, columns: [id] }
YAML
cat >"$P/migrations/20260101000001_t.sql" <<'SQL'
-- id: 20260101000001
-- title: Create t
-- ticket: T-1
-- pr: https://git.example.com/t/pull/1
-- author: Ana <ana@example.com>
-- why: A table to migrate.
-- rollback: Drops it.

-- +sluice up
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);

-- +sluice down
DROP TABLE t;
SQL
cd "$P" || exit 1

# refused LABEL CMD...: exit 2, the message, and no file left behind
refused() {
  local label=$1; shift
  run "$SLUICE" "$@"
  expect_rc 2 "$label"
  expect_err "no such SQLite file \"$MISSING\"" "$label: says which file"
  [ -e "$MISSING" ] && { bad "$label created $MISSING"; rm -f "$MISSING"; } || ok
}

refused "inspect" inspect "sqlite:$MISSING"
refused "inspect sqlite://" inspect "sqlite://$MISSING"
refused "inspect file: URI" inspect "sqlite:file:$MISSING"
refused "copy source" copy "sqlite:$MISSING" "sqlite:$TMP/target.db"
[ -e "$TMP/target.db" ] && bad "copy created its target although the source is missing" || ok
refused "diff source" diff "sqlite:$MISSING" "sqlite:$GOOD"
refused "diff target" diff "sqlite:$GOOD" "sqlite:$MISSING"
refused "check" check gone
refused "status" status gone
refused "verify" verify gone
refused "down" down gone
refused "repair" repair gone
refused "log" log gone
refused "why" why t gone
refused "lint" lint gone

# only a target is created
run "$SLUICE" copy "sqlite:$GOOD" "sqlite:$TMP/target.db" -q; expect_rc 0 "copy creates its target"
[ "$(sqlite3 "$TMP/target.db" "SELECT v FROM t")" = a ] && ok || bad "copy target rows"
run "$SLUICE" up "sqlite:$TMP/new.db"; expect_rc 0 "up creates the database"
[ "$(sqlite3 "$TMP/new.db" "SELECT count(*) FROM sqlite_master WHERE name = 't'")" = 1 ] && ok || bad "up applied"
run "$SLUICE" baseline 20260101000001 "sqlite:$TMP/base.db"; expect_rc 0 "baseline creates the database"
run "$SLUICE" status "sqlite:$TMP/new.db"; expect_rc 0 "status once it exists"
run "$SLUICE" inspect "sqlite:$MISSING?mode=rwc"; expect_rc 0 "?mode=rwc asks for a new file"
[ -e "$MISSING" ] && ok || bad "?mode=rwc did not create the file"
run "$SLUICE" inspect "sqlite:$TMP/x.db?mode=nonsense"; expect_rc 2 "a bad SQLite option"
expect_err 'invalid value "nonsense" for option "mode"' "the option is named"
finish
