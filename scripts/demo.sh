#!/usr/bin/env bash
# demo.sh - the main job on the embedded default (SQLite), nothing to start:
# inspect the example billing database, adopt it into versioned migrations,
# lint and apply the pending changes, verify them, print the decision log,
# then check the integrity rules, copy the database, prove the copy row by
# row and reconcile totals, then an expand/contract migration on the copy with
# the old and new application versions writing side by side (`make demo`).
# Each capability adds its step here.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=$(cd "$(dirname "${1:-build/sluice}")" && pwd)/$(basename "${1:-build/sluice}")
WORK=$(mktemp -d /tmp/sluice-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r examples/billing/. "$WORK/"
cd "$WORK"
export USER=${USER:-demo}

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
sluice() { "$SLUICE" "$@"; }

step "1. What is in the billing database" "sluice inspect sqlite:billing.db"
sluice inspect sqlite:billing.db

step "2. The same, as a data map for the whole team" "sluice inspect sqlite:billing.db --format md"
sluice inspect sqlite:billing.db --format md --title "Billing (example)"

step "3. Check the migration files before anything runs" "sluice lint"
sluice lint

step "4. Adopt the existing database: its schema is migration 20260301090000" "sluice baseline 20260301090000 dev"
sluice baseline 20260301090000 dev

step "5. What is pending" "sluice status dev"
sluice status dev

step "6. Rehearse the pending changes on a scratch copy (dynamic lint)" "sluice lint dev"
sluice lint dev

step "7. Apply them, each in its own transaction" "sluice up dev"
sluice up dev

step "8. Run every verify query" "sluice verify dev"
sluice verify dev

step "9. The schema decision log, for the people who sign off" "sluice log dev --format md"
sluice log dev --format md

step "10. Why does customers.tax_id exist?" "sluice why customers.tax_id dev"
sluice why customers.tax_id dev

step "11. Roll the last change back, and see the history tell the truth" "sluice down dev && sluice status dev"
sluice down dev
sluice status dev

step "12. The integrity rules, before anything moves" "sluice check dev --domain billing"
sluice check dev --domain billing

step "13. What a move would do: the cast plan and the target DDL" "sluice copy dev new --plan"
sluice copy dev new --plan > plan.txt
head -12 plan.txt
echo "... ($(wc -l < plan.txt) lines: every column's cast, then the target DDL by phase)"

step "14. Move it: schema, rows, indexes, constraints, foreign keys" "sluice copy dev new"
sluice copy dev new

step "15. Prove the move, row by row" "sluice diff dev new"
sluice diff dev new

step "16. And the rules on the new database, with totals reconciled against the old" "sluice check new"
sluice check new

step "17. A change both application versions survive: expand/contract on the new database" \
  "sluice up new --dir expand"
sluice up new --dir expand

step "18. The old release writes the old shape, the new one writes version billing_v2; both see both" \
  "sqlite3 billing-new.db ..."
sqlite3 billing-new.db "UPDATE customers SET name = 'Acme Corporation' WHERE id = 1"
sqlite3 billing-new.db "INSERT INTO billing_v2_customers (public_id, email, full_name, country, email_domain)
  VALUES ('7d0c5f5e-2a1b-4c3d-9e8f-0a1b2c3d4e5f', 'ines@example.org', 'Ines Duarte', 'PT', 'example.org')"
sqlite3 -header -column billing-new.db "SELECT id, name, email FROM customers WHERE id = 1 OR email = 'ines@example.org'"
sqlite3 -header -column billing-new.db \
  "SELECT id, full_name, email_domain FROM billing_v2_customers WHERE id = 1 OR email = 'ines@example.org'"

step "19. Both versions are live" "sluice status new --dir expand"
sluice status new --dir expand

step "20. Every old instance is gone: remove the old shape" "sluice contract new --dir expand --confirm"
sluice contract new --dir expand --confirm
sqlite3 -header -column billing-new.db "SELECT id, full_name, email_domain FROM customers WHERE id = 1"
