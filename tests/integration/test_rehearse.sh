#!/usr/bin/env bash
# test_rehearse.sh - `sluice rehearse` on SQLite, PostgreSQL and MariaDB with
# the example billing project: a GO rehearsal that leaves the source
# untouched; a NO-GO for a migration whose down does not restore the data
# (drops a column, down re-adds it empty) naming table, column and rows;
# an injected failure and a dropped connection, each leaving the state
# reported truthfully; --cleanup after a SIGKILLed rehearsal; bad input;
# a forecast from three samples; the state store read back with --latest --json.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"

EX=$SLUICE_SOURCE_DIR/examples/billing
BILLING_TABLES="customers subscriptions invoices invoice_items payments audit_log"

# source_sum ENGINE URL: a digest of every table's rows and the history, read with the engine's client
source_sum() {
  local engine=$1 url=$2 t out=""
  for t in $BILLING_TABLES sluice_migrations; do
    case $engine in
      sqlite) out+=$(sqlite3 "${url#sqlite:}" "SELECT count(*) FROM $t"; sqlite3 "${url#sqlite:}" "SELECT * FROM $t ORDER BY 1" | md5sum) ;;
      postgres) out+=$(sql postgres "$url" "SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM $t x") ;;
      mysql) out+=$(sql mysql "$url" "CHECKSUM TABLE $t") ;;
    esac
  done
  case $engine in
    sqlite) out+=$(sqlite3 "${url#sqlite:}" "SELECT sql FROM sqlite_schema ORDER BY name" | md5sum) ;;
    postgres) out+=$(sql postgres "$url" "SELECT md5(string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name)) FROM information_schema.columns WHERE table_schema = 'public'") ;;
    mysql) out+=$(sql mysql "$url" "SELECT md5(group_concat(concat(table_name, '.', column_name, ':', column_type) ORDER BY table_name, column_name)) FROM information_schema.columns WHERE table_schema = DATABASE()") ;;
  esac
  echo "$out" | md5sum
}

# scratch_left ENGINE URL: scratch databases (or files) with the default prefix beside URL
scratch_left() {
  case $1 in
    sqlite) ls "$(dirname "${2#sqlite:}")" | grep -c '^sluice_rehearse_' ;;
    postgres) sql postgres "$2" "SELECT count(*) FROM pg_database WHERE datname LIKE 'sluice\_rehearse\_%'" ;;
    mysql) sql mysql "$2" "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'sluice\_rehearse\_%'" ;;
  esac
}

# a multi-statement migration for the drills, and one whose down loses data
add_drill_migration() {
  cat > "$1/migrations/20260401000000_invoice_notes.sql" <<'SQL'
-- title: Notes on invoices
-- ticket: BILL-40
-- pr: https://git.example.com/billing/pull/40
-- author: Ana <ana@example.com>
-- why: Support wants to annotate invoices.
-- rollback: Drops both columns; notes written since are lost.

-- +sluice up
ALTER TABLE invoices ADD COLUMN note VARCHAR(100);
UPDATE invoices SET note = 'checked' WHERE id < 5;
ALTER TABLE invoices ADD COLUMN note_by VARCHAR(40);

-- +sluice down
ALTER TABLE invoices DROP COLUMN note_by;
ALTER TABLE invoices DROP COLUMN note;
SQL
}
add_lossy_migration() {
  cat > "$1/migrations/20260402000000_drop_country.sql" <<'SQL'
-- title: Drop customers.country
-- ticket: BILL-41
-- pr: https://git.example.com/billing/pull/41
-- author: Ana <ana@example.com>
-- why: The country moves to addresses.
-- rollback: Re-adds the column (empty).

-- +sluice up
ALTER TABLE customers DROP COLUMN country;

-- +sluice down
ALTER TABLE customers ADD COLUMN country CHAR(2);
SQL
}

for engine in $(engines); do
  E="[$engine]"
  P=$TMP/proj-$engine
  mkdir -p "$P" && cp -r "$EX/migrations" "$EX/sluice.yaml" "$P/"
  cp "$EX/billing.db" "$P/seed.db"
  cd "$P" || exit 1
  if [ "$engine" = sqlite ]; then
    mkdir -p "$P/db"; cp "$P/seed.db" "$P/db/billing.db"; url="sqlite:$P/db/billing.db"
  else
    url=$(scratch_url "$engine" "sluice_rh_$$")
    run "$SLUICE" copy "sqlite:$P/seed.db" "$url"; [ "$rc" -le 1 ] && ok || bad "$E copy the example into the server"
  fi
  run "$SLUICE" baseline 20260301090000 "$url"; expect_rc 0 "$E baseline"

  # --- GO, source untouched, scratch removed, recorded -------------------------------------
  before=$(source_sum "$engine" "$url")
  run "$SLUICE" rehearse "$url" --repeat 2
  expect_rc 0 "$E GO rehearsal"; expect_out "verdict: GO" "$E GO verdict"
  expect_out "rollback fidelity: identical" "$E fidelity"; expect_out "20260310120000 Add customers.tax_id" "$E per migration"
  expect_out "timeline, slowest first" "$E timeline"; expect_out "ALTER TABLE customers ADD COLUMN tax_id" "$E timeline statement"
  expect_out "2 rounds" "$E repeat"
  [ "$(source_sum "$engine" "$url")" = "$before" ] && ok || bad "$E the source is unchanged by the rehearsal"
  [ "$(scratch_left "$engine" "$url")" = 0 ] && ok || bad "$E no scratch database left after GO"
  [ "$engine" = postgres ] && { grep -q "AccessExclusiveLock on customers" "$TMP/out" && ok || bad "$E locks seen from a second session"; }
  run "$SLUICE" rehearse --latest --json; expect_rc 0 "$E latest"
  expect_out '"verdict": "GO"' "$E latest verdict"; expect_out '"migrations_key": "v1:' "$E latest key"
  expect_out '"up"' "$E latest figures"
  run "$SLUICE" rehearse "$url" --format md; expect_rc 0 "$E md"; expect_out "### Rehearsal of" "$E md heading"
  run "$SLUICE" rehearse "$url" --json --no-record; expect_rc 0 "$E json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"]=="GO" and len(d["migrations"])==3 and d["rollback_fidelity"]["identical"]; assert all(l["held_us"] >= s["duration_us"] for s in d["statements"] for l in s["locks"]), "a lock is held at least as long as the statement that took it"' "$TMP/out" && ok || bad "$E json parses"

  # --- forecast: three sample sizes, a fitted curve, its error ---------------------------------
  run "$SLUICE" rehearse "$url" --forecast 100000 --no-record; expect_rc 0 "$E forecast"
  expect_out "forecast at 100000 rows:" "$E forecast figure"; expect_out "largest error on them" "$E forecast error"
  grep -qE 'samples [0-9]+/[0-9]+/386 rows' "$TMP/out" && ok || bad "$E forecast samples end at the full 386 rows"
  [ "$(scratch_left "$engine" "$url")" = 0 ] && ok || bad "$E no sample database left after a forecast"

  # --- bad input ------------------------------------------------------------------------------
  run "$SLUICE" rehearse "$url" --fail-at 123:1; expect_rc 2 "$E unknown migration"; expect_err "no pending migration has the id 123" "$E unknown migration message"
  run "$SLUICE" rehearse "$url" --fail-at 20260310120000:9; expect_rc 2 "$E unknown statement"; expect_err "has 1 up statement(s)" "$E unknown statement message"
  run "$SLUICE" rehearse "$url" --fail-at nonsense; expect_rc 2 "$E malformed"; expect_err "expected MIGRATION:STATEMENT" "$E malformed message"
  [ "$(scratch_left "$engine" "$url")" = 0 ] && ok || bad "$E no scratch database after bad input"

  # --- drills: an injected failure and a cut connection, on a 3-statement migration --------
  add_drill_migration "$P"
  run "$SLUICE" rehearse "$url" --fail-at 20260401000000:3
  expect_rc 0 "$E fail-at drill reported truthfully"; expect_out "verdict: DRILL OK" "$E fail-at verdict"
  expect_out "the database holds exactly what sluice reported" "$E fail-at truthful"
  if [ "$engine" = mysql ]; then
    expect_out "history row: dirty, failed statement recorded: ALTER TABLE invoices ADD COLUMN note_by" "$E dirty record names the statement"
    expect_out "2 statement(s) of 20260401000000 ran" "$E journal: two statements ran"
  else
    expect_out "history row: absent" "$E transactional: nothing recorded"
    expect_out "0 statement(s) of 20260401000000 ran" "$E transactional: nothing applied"
  fi
  run "$SLUICE" rehearse "$url" --drop-connection-at 20260401000000:2
  expect_rc 0 "$E drop-connection drill reported truthfully"; expect_out "verdict: DRILL OK" "$E drop verdict"
  expect_out "the connection was cut" "$E drop error"
  if [ "$engine" = mysql ]; then
    expect_out "history row: running" "$E interrupted record"; expect_out "1 statement(s) of 20260401000000 ran" "$E journal after cut"
    # the runner must not claim a record it could not write (it did, before the drill found it)
    expect_out "the failure could not be recorded" "$E cut: the error says the failure was not recorded"
    grep -q "recorded as dirty" "$TMP/out" && bad "$E cut: the error claims a dirty record" || ok
  else
    expect_out "history row: absent" "$E cut: rolled back"
  fi
  [ "$(scratch_left "$engine" "$url")" = 0 ] && ok || bad "$E no scratch database after drills"
  rm "$P/migrations/20260401000000_invoice_notes.sql"

  # --- PostgreSQL: a lock taken by one statement and strengthened by the next is one lock ----
  if [ "$engine" = postgres ]; then
    cat > "$P/migrations/20260403000000_invoice_flag.sql" <<'SQL'
-- title: Flag invoices by status
-- ticket: BILL-42
-- pr: https://git.example.com/billing/pull/42
-- author: Ana <ana@example.com>
-- why: Faster lookups.
-- rollback: Drops both.

-- +sluice up
CREATE INDEX invoices_status_idx ON invoices (status);
ALTER TABLE invoices ADD COLUMN flag INTEGER;

-- +sluice down
ALTER TABLE invoices DROP COLUMN flag;
DROP INDEX invoices_status_idx;
SQL
    run "$SLUICE" rehearse "$url" --json --no-record; expect_rc 0 "$E lock upgrade rehearsal"
    python3 - "$TMP/out" <<'PY' && ok || bad "$E the index's SHARE lock, upgraded by the ALTER, is held ACCESS EXCLUSIVE from the first statement to the commit"
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["statements"] if x["sql"].startswith("CREATE INDEX invoices_status_idx")][0]
l = [x for x in s["locks"] if x["table"] == "invoices"][0]
assert l["mode"] == "AccessExclusiveLock" and l["blocks"] == "reads and writes" and l["observed"], l
a = [x for x in d["statements"] if x["sql"].startswith("ALTER TABLE invoices ADD COLUMN flag")][0]
assert not [x for x in a["locks"] if x["table"] == "invoices"], a  # the same lock, not a second one
assert l["held_us"] >= s["duration_us"] + a["duration_us"], (l, s, a)
PY
    rm "$P/migrations/20260403000000_invoice_flag.sql"
  fi

  # --- NO-GO: a down that does not restore the data --------------------------------------------
  add_lossy_migration "$P"
  run "$SLUICE" rehearse "$url"
  expect_rc 1 "$E NO-GO"; expect_out "verdict: NO-GO" "$E NO-GO verdict"
  expect_out "require_rollback_fidelity" "$E failed threshold named"
  expect_out 'column "customers"."country": values differ after the round trip' "$E column named"
  expect_out 'row of "customers" id=' "$E rows named"; expect_out "country was" "$E old value shown"
  run "$SLUICE" rehearse --latest --json; expect_out '"verdict": "NO-GO"' "$E NO-GO recorded"
  run "$SLUICE" rehearse "$url" --latest --json; expect_rc 0 "$E latest of this URL"; expect_out '"verdict": "NO-GO"' "$E latest of this URL"
  expect_nowhere "sluice-test-pw" "$E no password in the record"
  rm "$P/migrations/20260402000000_drop_country.sql"

  # --- thresholds from sluice.yaml ----------------------------------------------------------
  cp sluice.yaml sluice.yaml.orig
  printf '\nrehearsal:\n  max_migration: 0ms\n  critical_domains: [billing]\n' >> sluice.yaml
  run "$SLUICE" rehearse "$url"; expect_rc 1 "$E threshold NO-GO"; expect_out "max_migration: migration 20260310120000" "$E max_migration named"
  printf '\nrehearsal:\n  max_migraton: 5s\n' > bad.yaml; cat sluice.yaml.orig >> bad.yaml
  run "$SLUICE" rehearse "$url" -C bad.yaml; expect_rc 2 "$E unknown key"
  expect_err 'bad.yaml:3:3: unknown key "max_migraton" in "rehearsal" (did you mean "max_migration"?)' "$E unknown key message"
  cp sluice.yaml.orig sluice.yaml

  # --- --cleanup after SIGKILL --------------------------------------------------------------
  "$SLUICE" rehearse "$url" --repeat 100 --no-record >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do [ "$(scratch_left "$engine" "$url")" != 0 ] && break; sleep 0.05; done
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  [ "$(scratch_left "$engine" "$url")" != 0 ] && ok || bad "$E a killed rehearsal leaves its scratch database"
  run "$SLUICE" rehearse "$url" --cleanup; expect_rc 0 "$E cleanup"
  expect_out "dropped sluice_rehearse_" "$E cleanup says what it dropped"; expect_out "1 scratch database(s) dropped" "$E cleanup count"
  [ "$(scratch_left "$engine" "$url")" = 0 ] && ok || bad "$E nothing left after cleanup"
  [ "$(source_sum "$engine" "$url")" = "$before" ] && ok || bad "$E source unchanged after everything"

  # --- SIGTERM: stops at the next phase and drops its scratch copy ---------------------------
  "$SLUICE" rehearse "$url" --repeat 100 --no-record >/dev/null 2>"$TMP/term.err" &
  pid=$!
  for _ in $(seq 1 200); do [ "$(scratch_left "$engine" "$url")" != 0 ] && break; sleep 0.05; done
  sleep 0.2; kill -TERM $pid; wait $pid; rc=$?
  [ "$rc" = 130 ] && ok || bad "$E SIGTERM: exit $rc, expected 130 ($(cat "$TMP/term.err"))"
  grep -q "rehearsal interrupted" "$TMP/term.err" && ok || bad "$E SIGTERM message"
  [ "$(scratch_left "$engine" "$url")" = 0 ] && ok || bad "$E SIGTERM leaves no scratch database"

  # --- no pending migrations; no history table ------------------------------------------------
  run "$SLUICE" up "$url"; expect_rc 0 "$E up"
  run "$SLUICE" rehearse "$url"; expect_rc 0 "$E nothing pending is GO"; expect_out "no pending migrations" "$E says so"
  expect_out "rules (violations before up" "$E rules still measured"
  if [ "$engine" = sqlite ]; then
    cp "$P/seed.db" "$P/db/fresh.db"
    run "$SLUICE" rehearse "sqlite:$P/db/fresh.db"; expect_rc 2 "$E no history table"; expect_err 'has no history table "sluice_migrations"' "$E no history message"
  fi
  cd "$TMP" || exit 1
done
finish
