#!/usr/bin/env bash
# test_diff_cli.sh - `sluice diff` across every pair of engines (SQLite,
# PostgreSQL, MariaDB) on the realistic billing schema loaded with the same
# rows: a clean pair exits 0; then seven injected changes (one row changed,
# one deleted, one inserted, NULL vs '', 1.10 vs 1.1 in a decimal column,
# a timestamp one microsecond off, a change of case) are found exactly -
# six discrepancies, the decimal one is not - checked in --json output;
# --threshold, --limit, --tables, --out and usage errors.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
FIX=$SLUICE_SOURCE_DIR/tests/fixtures/realistic

load_schema() { # ENGINE URL
  case $1 in
    sqlite) sqlite3 "${2#sqlite:}" < "$FIX/sqlite.sql" && sql sqlite "$2" "DROP TRIGGER payments_audit" ;;
    postgres) psql -q -v ON_ERROR_STOP=1 "$2" -f "$FIX/postgres.sql" >/dev/null && sql postgres "$2" "DROP TRIGGER payments_audit ON payments" ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw "${2##*/}" < "$FIX/mysql.sql" &&
           sql mysql "$2" "DROP TRIGGER payments_audit; ALTER TABLE payments MODIFY paid_at DATETIME(6) NOT NULL" ;;
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
INSERT INTO invoice_items (id, invoice_id, description, quantity, unit_price, amount) VALUES
 (1, 1, 'Pro seats', 5, 2.02, 10.10), (2, 2, 'Basic seat', 1, 20.00, 20.00), (3, 3, 'Fee', 1, 0.50, 0.50);
INSERT INTO payments (id, invoice_id, amount, paid_at, method, reference) VALUES
 (1, 1, 10.10, '2024-02-05 08:00:00', 'card', NULL),
 (2, 3, 0.50, '2024-03-01 12:00:00.000001', 'card', 'R-2'),
 (3, 1, 1.00, '2024-03-02 12:00:00', 'wire', 'R-3');
INSERT INTO audit_log (id, table_name, row_id, action, changed_at, payload) VALUES
 (1, 'payments', 1, 'insert', '2024-02-05 08:00:00', '{\"a\": 1, \"b\": [1, 2]}'),
 (2, 'payments', 2, 'insert', '2024-03-01 12:00:00', NULL);"

CHANGES="
UPDATE invoices SET status = 'paid' WHERE id = 2;
UPDATE invoices SET total = 10.1 WHERE id = 1;
DELETE FROM payments WHERE id = 3;
INSERT INTO customers (id, public_id, email, name, country, is_vip, status, created_at) VALUES
 (4, '6f1c1a8e-6f3b-4bb1-9a57-2f2f0e7f0004', 'dee@example.com', 'Dee', 'FR', '0', 'active', '2024-01-04 10:00:00');
UPDATE payments SET reference = '' WHERE id = 1;
UPDATE payments SET paid_at = '2024-03-01 12:00:00.000002' WHERE id = 2;
UPDATE customers SET name = 'ann' WHERE id = 1;"

# What the injected changes must produce, one "table kind key columns" per line, sorted.
EXPECTED="customers changed 1 name
customers extra 4 -
invoices changed 2 status
payments changed 1 reference
payments changed 2 paid_at
payments missing 3 -"

declare -A CLEAN CLEAN2 MUTATED
for e in $(engines); do
  CLEAN[$e]=$(scratch_url "$e" "sluice_dcli_a_$$")
  CLEAN2[$e]=$(scratch_url "$e" "sluice_dcli_c_$$") # same rows: a database is never compared with itself
  MUTATED[$e]=$(scratch_url "$e" "sluice_dcli_b_$$")
  for u in "${CLEAN[$e]}" "${CLEAN2[$e]}" "${MUTATED[$e]}"; do
    load_schema "$e" "$u" && sql "$e" "$u" "$DATA" && ok || bad "[$e] load $u"
  done
  sql "$e" "${MUTATED[$e]}" "$CHANGES" && ok || bad "[$e] inject changes"
done

findings() { # JSON lines on stdin -> sorted "table kind key columns"
  python3 -c '
import json, sys
out = []
for line in sys.stdin:
    o = json.loads(line)
    if o["kind"] in ("missing", "extra", "changed"):
        key = ",".join(str(v) for v in o["key"].values())
        cols = ",".join(sorted(o["changed"])) if o["kind"] == "changed" else "-"
        out.append("%s %s %s %s" % (o["table"], o["kind"], key, cols))
print("\n".join(sorted(out)))'
}

for s in $(engines); do
  for d in $(engines); do
    E="[$s -> $d]"
    run "$SLUICE" diff "${CLEAN[$s]}" "${CLEAN2[$d]}"; expect_rc 0 "$E clean pair"
    expect_out "0 discrepancies" "$E clean pair"

    run "$SLUICE" diff "${CLEAN[$s]}" "${MUTATED[$d]}" --json; expect_rc 1 "$E changed pair exits 1"
    got=$(findings < "$TMP/out")
    if [ "$got" = "$EXPECTED" ]; then ok; else bad "$E findings: got
$got"; fi
    tot=$(grep '"kind":"total"' "$TMP/out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["discrepancies"])')
    [ "$tot" = 6 ] && ok || bad "$E total discrepancies $tot, expected 6"
    # the decimal 10.10 vs 10.1 is not a difference; the microsecond and NULL vs '' are, with both values
    python3 - "$TMP/out" <<'PY' && ok || bad "$E JSON values"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
pay = {o["key"]["id"]: o for o in ev if o.get("table") == "payments" and o["kind"] == "changed"}
assert pay[1]["changed"]["reference"] == {"source": None, "target": ""}, pay[1]
ts = pay[2]["changed"]["paid_at"]
assert ts["source"].endswith("12:00:00.000001") and ts["target"].endswith("12:00:00.000002"), ts
cust = [o for o in ev if o.get("table") == "customers" and o["kind"] == "changed"][0]
assert cust["changed"]["name"] == {"source": "Ann", "target": "ann"}, cust
inv = [o for o in ev if o.get("table") == "invoices" and o["kind"] == "summary"][0]
assert (inv["source_rows"], inv["target_rows"], inv["equal"], inv["changed"]) == (3, 3, 2, 1), inv
PY
  done
done

# text output, threshold, limit, tables, out file: once per engine (against SQLite's clean copy)
for d in $(engines); do
  E="[sqlite -> $d]"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}"; expect_rc 1 "$E text"
  expect_out 'changed  id=1: name: "Ann" -> "ann"' "$E text shows the case change"
  expect_out 'changed  id=1: reference: NULL -> ""' "$E text shows NULL vs empty"
  expect_out 'missing  id=3 (only in the source)' "$E text shows the deleted row"
  expect_out 'extra    id=4 (only in the target)' "$E text shows the inserted row"
  expect_out "6 discrepancies (threshold 0)" "$E text total"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --threshold 6; expect_rc 0 "$E threshold 6"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --threshold 5; expect_rc 1 "$E threshold 5"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --limit 1 --tables payments; expect_rc 1 "$E limit"
  expect_out "... 2 more" "$E limit cuts the text"
  expect_out "3 discrepancies" "$E --tables payments only"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --tables invoices --columns total,currency; expect_rc 0 "$E --columns leaves status out"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --tables customers --ci-text; expect_rc 1 "$E --ci-text"
  expect_out "1 discrepancy" "$E --ci-text ignores the case change"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --out "$TMP/all.jsonl"; expect_rc 1 "$E --out"
  [ "$(findings < "$TMP/all.jsonl")" = "$EXPECTED" ] && ok || bad "$E --out file holds every finding"
  run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[$d]}" --tables payments --mode keyless --json; expect_rc 1 "$E keyless"
  python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
s = [o for o in s if o["kind"] == "summary"][0]
assert s["keyless"] and (s["missing"], s["extra"], s["equal"]) == (3, 2, 0), s' "$TMP/out" && ok || bad "$E keyless counts"
done

# a table on one side only is a discrepancy
sql sqlite "${MUTATED[sqlite]}" "CREATE TABLE extra_table (id INTEGER PRIMARY KEY)"
run "$SLUICE" diff "${CLEAN[sqlite]}" "${MUTATED[sqlite]}" --threshold 6; expect_rc 1 "one-sided table counts"
expect_out "extra_table: only in the target" "one-sided table reported"

# usage
run "$SLUICE" diff "${CLEAN[sqlite]}"; expect_rc 2 "one argument"
run "$SLUICE" diff "${CLEAN[sqlite]}" "${CLEAN2[sqlite]}" --mode nope; expect_rc 2 "bad mode"
run "$SLUICE" diff "${CLEAN[sqlite]}" "${CLEAN2[sqlite]}" --tables nosuch; expect_rc 2 "unknown table"
expect_err 'table "nosuch" is on neither side' "unknown table message"
run "$SLUICE" diff nosuchenv "${CLEAN[sqlite]}"; expect_rc 2 "unknown environment"

for e in $(engines); do
  case $e in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS sluice_dcli_a_$$ WITH (FORCE)" -c "DROP DATABASE IF EXISTS sluice_dcli_b_$$ WITH (FORCE)" \
                -c "DROP DATABASE IF EXISTS sluice_dcli_c_$$ WITH (FORCE)" >/dev/null 2>&1 ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS sluice_dcli_a_$$; DROP DATABASE IF EXISTS sluice_dcli_b_$$; DROP DATABASE IF EXISTS sluice_dcli_c_$$" ;;
  esac
done
finish
