#!/usr/bin/env bash
# test_check.sh - `sluice check` on SQLite, PostgreSQL and MariaDB: every
# rule type passing and failing with exact violation counts on the billing
# schema; count and ratio thresholds and severities deciding pass / warn /
# halt; exit codes; reconcile against a SQLite copy; the state store holding
# every run (and no password); --history; bad configs naming file:line:col
# and the rule; checks being read-only.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
FIX=$SLUICE_SOURCE_DIR/tests/fixtures/realistic

load_schema() { # ENGINE URL
  case $1 in
    sqlite) sqlite3 "${2#sqlite:}" < "$FIX/sqlite.sql" && sql sqlite "$2" "DROP TRIGGER payments_audit" ;;
    postgres) psql -q -v ON_ERROR_STOP=1 "$2" -f "$FIX/postgres.sql" >/dev/null && sql postgres "$2" "DROP TRIGGER payments_audit ON payments" ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw "${2##*/}" < "$FIX/mysql.sql" &&
           sql mysql "$2" "DROP TRIGGER payments_audit" ;;
  esac
}

DATA="
INSERT INTO customers (id, public_id, email, name, country, is_vip, status, created_at) VALUES
 (1, '6f1c1a8e-6f3b-4bb1-9a57-2f2f0e7f0001', 'ann@example.com', 'Ann', 'US', '0', 'active', '2024-01-01 10:00:00'),
 (2, '6f1c1a8e-6f3b-4bb1-9a57-2f2f0e7f0002', 'bob@example.com', 'Bob', NULL, '1', 'active', '2024-01-02 11:30:00'),
 (3, '6f1c1a8e-6f3b-4bb1-9a57-2f2f0e7f0003', 'cy@example.com', 'Cy', 'DE', '0', 'closed', '2024-01-03 09:15:00');
INSERT INTO subscriptions (id, customer_id, plan, seats, started_on, ends_on) VALUES
 (1, 1, 'pro', 5, '2024-01-01', NULL), (2, 2, 'basic', 1, '2024-01-02', '2024-12-31');
INSERT INTO invoices (id, customer_id, subscription_id, number, issued_on, due_on, total, currency, status) VALUES
 (1, 1, 1, 'INV-0001', '2024-02-01', '2024-03-01', 10.10, 'USD', 'paid'),
 (2, 2, 2, 'INV-0002', '2024-02-02', NULL, 20.00, 'EUR', 'open'),
 (3, 1, NULL, 'INV-0003', '2024-02-03', '2024-03-03', 0.50, 'JPY', 'paid');
INSERT INTO payments (id, invoice_id, amount, paid_at, method, reference) VALUES
 (1, 1, 10.10, '2024-02-05 08:00:00', 'card', NULL),
 (2, 3, 0.50, '2024-03-01 12:00:00', 'card', 'R-2'),
 (3, 1, 1.00, '2024-03-02 12:00:00', 'wire', 'R-3');
INSERT INTO audit_log (id, table_name, row_id, action, changed_at, payload) VALUES
 (1, 'payments', 1, 'insert', '2024-02-05 08:00:00', NULL),
 (2, 'payments', 2, 'insert', '2024-03-01 12:00:00', NULL);"

# the reference copy for reconcile rules: SQLite with the same rows
REF=$(scratch_url sqlite "sluice_chk_ref")
load_schema sqlite "$REF" && sql sqlite "$REF" "$DATA" && ok || bad "load reference copy"

write_configs() { # DIR URL: pass.yaml (every rule passes, one warns) and fail.yaml (exact failures)
  cat > "$1/pass.yaml" <<YAML
environments:
  db: { url: "$2" }
  ref: { url: "$REF" }
rules:
  billing:
    - { name: totals present, type: not_null, table: invoices, columns: [total, currency] }
    - { name: two nulls allowed, type: not_null, table: invoices, columns: [due_on, subscription_id], threshold: 2 }
    - { name: one number per invoice, type: unique, table: invoices, columns: [number], case_insensitive: true }
    - { name: methods mostly unique, type: unique, table: payments, column: method, case_insensitive: true, threshold: "70%" }
    - { name: invoices have customers, type: relationship, table: invoices, columns: [customer_id], references: { table: customers, columns: [id] } }
    - { name: known currencies, type: accepted_values, table: invoices, column: currency, values: [USD, EUR, JPY] }
    - { name: known currencies any case, type: accepted_values, table: invoices, column: currency, values: [usd, eur, jpy], case_insensitive: true }
    - { name: positive totals, type: range, table: invoices, column: total, min: 0 }
    - { name: enough customers, type: row_count, table: customers, min: 1, max: 10000000 }
    - { name: payments within a century, type: freshness, table: payments, column: paid_at, max_age: 36500d }
    - { name: no negative balance, type: sql, sql: "SELECT id FROM invoices WHERE total < 0" }
    - { name: euro only, type: accepted_values, table: invoices, column: currency, values: [EUR], severity: warn }
  money:
    - name: totals by currency match
      type: reconcile
      source: ref
      target: db
      table: invoices
      group_by: [currency]
      measures: [count, sum(total), min(issued_on), max(issued_on)]
      tolerance: 0.01
YAML
  cat > "$1/fail.yaml" <<YAML
environments:
  db: { url: "$2" }
  ref: { url: "$REF" }
rules:
  billing:
    - { name: dates present, type: not_null, table: invoices, columns: [due_on, subscription_id], threshold: 1 }
    - { name: one invoice per customer, type: unique, table: invoices, columns: [customer_id] }
    - { name: methods unique exactly, type: unique, table: payments, column: method }
    - { name: methods unique any case, type: unique, table: payments, column: method, case_insensitive: true, threshold: "50%" }
    - { name: audit rows point at payments, type: relationship, table: audit_log, column: row_id, references: { table: payments, column: id } }
    - { name: dollars and euros, type: accepted_values, table: invoices, column: currency, values: [USD, EUR] }
    - { name: lower-case currencies, type: accepted_values, table: invoices, column: currency, values: [usd, eur, jpy] }
    - { name: totals between 1 and 15, type: range, table: invoices, column: total, min: 1, max: 15 }
    - { name: issued from February 2, type: range, table: invoices, column: issued_on, min: "2024-02-02" }
    - { name: few customers, type: row_count, table: customers, max: 2 }
    - { name: recent payments, type: freshness, table: payments, column: paid_at, max_age: 30d }
    - { name: paid invoices, type: sql, sql: "SELECT id FROM invoices WHERE status = 'paid'" }
    - name: methods match
      type: reconcile
      source: ref
      target: db
      table: payments
      group_by: [method]
      measures: [count, sum(amount)]
YAML
}

counts() { # JSON on stdin -> "rule|status|violations|rows" lines, sorted
  python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in sorted(d["results"], key=lambda r: r["rule"]):
    print("%s|%s|%s|%s" % (r["rule"], r["status"], r["violations"], r["rows_checked"]))'
}

PASS_EXPECTED="enough customers|pass|0|3
euro only|warn|2|3
invoices have customers|pass|0|3
known currencies|pass|0|3
known currencies any case|pass|0|3
methods mostly unique|pass|1|3
no negative balance|pass|0|None
payments within a century|pass|0|3
positive totals|pass|0|3
one number per invoice|pass|0|3
totals by currency match|pass|0|3
totals present|pass|0|3
two nulls allowed|pass|2|3"

FAIL_EXPECTED="audit rows point at payments|halt|1|2
dates present|halt|2|3
few customers|halt|1|3
issued from February 2|halt|1|3
lower-case currencies|halt|3|3
methods match|halt|2|3
methods unique any case|halt|2|3
methods unique exactly|halt|1|3
one invoice per customer|halt|1|3
paid invoices|halt|2|None
recent payments|halt|1|3
totals between 1 and 15|halt|2|3
dollars and euros|halt|1|3"

for e in $(engines); do
  E="[$e]"
  url=$(scratch_url "$e" "sluice_chk_$$")
  load_schema "$e" "$url" && sql "$e" "$url" "$DATA" && ok || bad "$E load"
  P=$TMP/proj_$e; mkdir -p "$P"; write_configs "$P" "$url"
  cd "$P" || exit 1

  run "$SLUICE" check -C pass.yaml db --json; expect_rc 0 "$E passing rules (one warns) exit 0"
  got=$(counts < "$TMP/out" | sort); want=$(sort <<< "$PASS_EXPECTED")
  [ "$got" = "$want" ] && ok || bad "$E passing counts:
$got"
  run "$SLUICE" check -C pass.yaml db; expect_rc 0 "$E text"
  expect_out "12 pass, 1 warn, 0 halt, 0 error" "$E text summary"

  # violations on this engine only (the reference copy keeps the clean rows)
  sql "$e" "$url" "UPDATE payments SET method = 'CARD' WHERE id = 3; UPDATE audit_log SET row_id = 9 WHERE id = 2"
  run "$SLUICE" check -C fail.yaml db --json; expect_rc 1 "$E failing rules exit 1"
  got=$(counts < "$TMP/out" | sort); want=$(sort <<< "$FAIL_EXPECTED")
  [ "$got" = "$want" ] && ok || bad "$E failing counts:
$got"
  python3 - "$TMP/out" <<'PY' && ok || bad "$E examples"
import json, sys
d = {r["rule"]: r for r in json.load(open(sys.argv[1]))["results"]}
assert d["dates present"]["examples"] == ["id=2, due_on=NULL, subscription_id=2", "id=3, due_on=2024-03-03, subscription_id=NULL"], d["dates present"]["examples"]
assert d["dollars and euros"]["examples"] == ['id=3, currency="JPY"'], d["dollars and euros"]["examples"]
assert d["one invoice per customer"]["examples"] == ["customer_id=1 (2 rows)"], d["one invoice per customer"]["examples"]
assert d["audit rows point at payments"]["examples"] == ["id=2, row_id=9"], d["audit rows point at payments"]["examples"]
assert sorted(d["methods match"]["examples"]) == ['method="CARD": only in target (1 rows)', 'method="wire": only in source (1 rows)'], d["methods match"]["examples"]
assert d["paid invoices"]["examples"] in (["id=1", "id=3"], ["id=3", "id=1"]), d["paid invoices"]["examples"]
PY
  run "$SLUICE" check -C fail.yaml db --rule "dollars and euros"; expect_rc 1 "$E --rule"
  expect_out 'id=3, currency="JPY"' "$E text example"
  expect_out "0 pass, 0 warn, 1 halt, 0 error" "$E --rule runs one rule"

  # the state store: three runs so far, every result, no password
  [ -f .sluice/state.db ] && ok || bad "$E state store created beside the config"
  [ "$(sqlite3 .sluice/state.db 'SELECT count(*) FROM check_runs')" = 4 ] && ok || bad "$E 4 runs recorded"
  [ "$(sqlite3 .sluice/state.db "SELECT status || ' ' || violations || ' ' || rows_checked FROM check_results WHERE rule = 'dates present' ORDER BY id LIMIT 1")" = "halt 2 3" ] && ok || bad "$E result figures recorded"
  [ "$(sqlite3 .sluice/state.db "SELECT count(*) FROM check_runs WHERE finished_at IS NULL")" = 0 ] && ok || bad "$E runs finished"
  if grep -a -q 'sluice-test-pw' .sluice/state.db; then bad "$E password in the state store"; else ok; fi
  run "$SLUICE" check -C fail.yaml --history "dollars and euros"; expect_rc 0 "$E history of a rule"
  [ "$(grep -c 'dollars and euros' "$TMP/out")" = 2 ] && ok || bad "$E history lists both runs of the rule"
  run "$SLUICE" check -C fail.yaml --history --json --limit 1; expect_rc 0 "$E history json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len({r["run_id"] for r in d}) == 1 and len(d) == 1, d' "$TMP/out" && ok || bad "$E history --limit 1"

  # checks are read-only, even a sql rule that tries to write
  cat > ro.yaml <<YAML
environments: { db: { url: "$url" } }
rules: [ { name: sneaky, type: sql, sql: "DELETE FROM invoices" } ]
YAML
  run "$SLUICE" check -C ro.yaml; expect_rc 3 "$E a writing sql rule fails"
  [ "$(sql "$e" "$url" "SELECT count(*) FROM invoices")" = 3 ] && ok || bad "$E nothing deleted"

  # bad configs name file:line:col and the rule
  sed 's/column: currency, values: \[USD, EUR\]/column: currncy, values: [USD, EUR]/' fail.yaml > bad.yaml
  run "$SLUICE" check -C bad.yaml db; expect_rc 2 "$E unknown column"
  expect_err 'bad.yaml:11:82: rule "dollars and euros": column "currncy" does not exist in table "invoices"' "$E unknown column message"
  sed 's/table: customers, max: 2/table: customerz, max: 2/' fail.yaml > bad.yaml
  run "$SLUICE" check -C bad.yaml db; expect_rc 2 "$E unknown table"
  expect_err 'bad.yaml:15:54: rule "few customers": table "customerz" does not exist' "$E unknown table message"
  cd "$SLUICE_SOURCE_DIR" || exit 1
  case $e in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS sluice_chk_$$ WITH (FORCE)" >/dev/null 2>&1 ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS sluice_chk_$$" ;;
  esac
done

# config errors found before any database is touched
P=$TMP/proj_bad; mkdir -p "$P"; cd "$P" || exit 1
bad_config() { # DESCRIPTION EXPECTED-STDERR RULE-LINES...
  local what=$1 want=$2; shift 2
  { echo "environments: { db: { url: \"$REF\" } }"; echo "rules:"; echo "  billing:"; printf '%s\n' "$@"; } > sluice.yaml
  run "$SLUICE" check; expect_rc 2 "$what"; expect_err "$want" "$what message"
}
bad_config "unknown type" 'sluice.yaml:4:24: rule "r": unknown rule type "not_nul" (did you mean "not_null"?)' \
  '    - { name: r, type: not_nul, table: invoices, column: total }'
bad_config "unknown key" 'sluice.yaml:4:66: rule "r": unknown key "colums" (did you mean "columns"?)' \
  '    - { name: r, type: not_null, table: invoices, column: total, colums: [a] }'
bad_config "key of another type" 'sluice.yaml:4:66: rule "r": key "values" does not apply to rule type "not_null"' \
  '    - { name: r, type: not_null, table: invoices, column: total, values: [a] }'
bad_config "bad threshold" 'sluice.yaml:4:77: rule "r": bad threshold "5 percent"' \
  '    - { name: r, type: not_null, table: invoices, column: total, threshold: 5 percent }'
bad_config "bad ratio" 'sluice.yaml:4:78: rule "r": bad threshold "120%"' \
  '    - { name: r, type: not_null, table: invoices, column: total, threshold: "120%" }'
bad_config "missing key" 'sluice.yaml:4:7: rule "r": rule type "accepted_values" needs "values"' \
  '    - name: r' '      type: accepted_values' '      table: invoices' '      column: currency'
bad_config "duplicate name" 'sluice.yaml:5:9: rule "r": a rule of this name is already defined at sluice.yaml:4:9' \
  '    - { name: r, type: row_count, table: invoices, min: 1 }' '    - { name: r, type: row_count, table: invoices, min: 1 }'
bad_config "bad max_age" 'sluice.yaml:4:78: rule "r": bad max_age "soon"' \
  '    - { name: r, type: freshness, table: payments, column: paid_at, max_age: soon }'
bad_config "bad measure" 'rule "r": bad measure "median(total)"' \
  '    - { name: r, type: reconcile, source: db, target: db, table: invoices, measures: [median(total)] }'
[ ! -e .sluice/state.db ] && ok || bad "a bad config records no run"
cd "$SLUICE_SOURCE_DIR" || exit 1
finish
