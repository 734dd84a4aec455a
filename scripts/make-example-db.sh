#!/usr/bin/env bash
# make-example-db.sh - rebuild examples/billing/billing.db from the realistic
# schema and examples/billing/seed.sql (needs the sqlite3 CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
out=examples/billing/billing.db
rm -f "$out"
sqlite3 "$out" < tests/fixtures/realistic/sqlite.sql
sqlite3 "$out" < examples/billing/seed.sql
sqlite3 "$out" 'VACUUM'
echo "$out: $(sqlite3 "$out" "SELECT group_concat(name || '=' || n, ' ') FROM (SELECT 'customers' name, count(*) n FROM customers UNION ALL SELECT 'invoices', count(*) FROM invoices UNION ALL SELECT 'items', count(*) FROM invoice_items UNION ALL SELECT 'payments', count(*) FROM payments UNION ALL SELECT 'audit', count(*) FROM audit_log)")"
