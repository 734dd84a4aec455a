#!/usr/bin/env bash
# demo.sh - the main job on the embedded default (SQLite), nothing to start:
# inspect the example billing database, adopt it into versioned migrations,
# lint, rehearse and apply the pending changes, verify them, print the decision log,
# draw the data map and follow a rename to the consumers it breaks, then
# check the integrity rules, copy the database, prove the copy row by row,
# reconcile totals, run an expand/contract migration on the copy with the old
# and new application versions writing side by side, keep a copy in step with sync while the application
# writes, compare the reports on both sides with shadow reads, watch the copy as
# hypercare after a cutover would (a drift breaches, the hook fires once; the repair
# brings it back), make
# an anonymized subset for staging, move the database with a written cutover
# runbook - dry run, approvals, freeze, switch, timeline and scorecard - watch
# the new side, and write the sign-off report (with the cutover and the watch) (build/demo-report.html) (`make demo`). Each
# capability adds its step here.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=$(cd "$(dirname "${1:-build/sluice}")" && pwd)/$(basename "${1:-build/sluice}")
REPORT=$(dirname "$SLUICE")/demo-report.html # kept after the demo (its working directory is removed)
WORK=$(mktemp -d /tmp/sluice-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r examples/billing/. "$WORK/"
cd "$WORK"
export USER=${USER:-demo}

n=0
step() { n=$((n + 1)); printf '\n\033[1m== %d. %s\033[0m\n$ %s\n' "$n" "${1#[0-9]*. }" "$2"; }
sluice() { "$SLUICE" "$@"; }

step "What is in the billing database" "sluice inspect sqlite:billing.db"
sluice inspect sqlite:billing.db

step "The same, as a data map for the whole team" "sluice inspect sqlite:billing.db --format md"
sluice inspect sqlite:billing.db --format md --title "Billing (example)"

step "Check the migration files before anything runs" "sluice lint"
sluice lint

step "Adopt the existing database: its schema is migration 20260301090000" "sluice baseline 20260301090000 dev"
sluice baseline 20260301090000 dev

step "What is pending" "sluice status dev"
sluice status dev

step "Lint them against the database: each pending migration applied and reverted on a scratch copy" "sluice lint dev"
sluice lint dev

step "Rehearse them: timed up and down on a scratch copy, verify, rules, rollback fidelity" "sluice rehearse dev"
sluice rehearse dev > rehearsal.txt
head -16 rehearsal.txt
echo "... (the full timeline: sluice rehearse dev; the record: sluice rehearse --latest --json)"
echo "rehearsal verdict: $(sed -n 's/^verdict: //p' rehearsal.txt)"

step "Apply them, each in its own transaction" "sluice up dev"
sluice up dev

step "Run every verify query" "sluice verify dev"
sluice verify dev

step "The schema decision log, for the people who sign off" "sluice log dev --format md"
sluice log dev --format md

step "Why does customers.tax_id exist?" "sluice why customers.tax_id dev"
sluice why customers.tax_id dev

step "The data map: who uses the data, and how much it matters" "sluice map dev"
sluice map dev > data-map.md
sed -n '1,/^## How it all connects/p' data-map.md | sed '$d'
echo "... (the whole map, with a diagram and every table: $(wc -l < data-map.md) lines; --format json|dot|mermaid)"

step "What would renaming invoices.total break? Impact, then lint" "sluice impact 20260401100000 dev && sluice lint dev"
cat > migrations/20260401100000_rename_invoice_total.sql <<'SQL'
-- title: Rename invoices.total to amount_due
-- ticket: BILL-160
-- pr: https://git.example.com/acme/billing/pull/160
-- author: Ana Ruiz <ana@example.com>
-- why: The ledger calls it amount_due.
-- rollback: Rename it back.

-- +sluice up
ALTER TABLE invoices RENAME COLUMN total TO amount_due;

-- +sluice down
ALTER TABLE invoices RENAME COLUMN amount_due TO total;
SQL
sluice impact 20260401100000 dev
sluice lint dev || echo "(lint exits $?: the rename breaks a revenue and a compliance consumer nobody signed off)"
rm migrations/20260401100000_rename_invoice_total.sql

step "Roll the last change back, and see the history tell the truth" "sluice down dev && sluice status dev"
sluice down dev
sluice status dev

step "The integrity rules, before anything moves" "sluice check dev --domain billing"
sluice check dev --domain billing

step "What a move would do: the cast plan and the target DDL" "sluice copy dev new --plan"
sluice copy dev new --plan > plan.txt
head -12 plan.txt
echo "... ($(wc -l < plan.txt) lines: every column's cast, then the target DDL by phase)"

step "Move it: schema, rows, indexes, constraints, foreign keys" "sluice copy dev new"
sluice copy dev new

step "Prove the move, row by row" "sluice diff dev new"
sluice diff dev new

step "And the rules on the new database, with totals reconciled against the old" "sluice check new"
sluice check new

step "A change both application versions survive: expand/contract on the new database" \
  "sluice up new --dir expand"
sluice up new --dir expand

step "The old release writes the old shape, the new one writes version billing_v2; both see both" \
  "sqlite3 billing-new.db ..."
sqlite3 billing-new.db "UPDATE customers SET name = 'Acme Corporation' WHERE id = 1"
sqlite3 billing-new.db "INSERT INTO billing_v2_customers (public_id, email, full_name, country, email_domain)
  VALUES ('7d0c5f5e-2a1b-4c3d-9e8f-0a1b2c3d4e5f', 'ines@example.org', 'Ines Duarte', 'PT', 'example.org')"
sqlite3 -header -column billing-new.db "SELECT id, name, email FROM customers WHERE id = 1 OR email = 'ines@example.org'"
sqlite3 -header -column billing-new.db \
  "SELECT id, full_name, email_domain FROM billing_v2_customers WHERE id = 1 OR email = 'ines@example.org'"

step "Both versions are live" "sluice status new --dir expand"
sluice status new --dir expand

step "Every old instance is gone: remove the old shape" "sluice contract new --dir expand --confirm"
sluice contract new --dir expand --confirm
sqlite3 -header -column billing-new.db "SELECT id, full_name, email_domain FROM customers WHERE id = 1"
step "Which columns hold personal data" "sluice pii scan dev"
sluice pii scan dev

step "An anonymized staging copy: half the customers and all they own, masked, with the proof" \
  "SLUICE_DEMO_KEY=... sluice snapshot dev staging --subset \"customers: 50%\""
export SLUICE_DEMO_KEY=demo-key-only-for-this-example-0123
sluice snapshot dev staging --subset "customers: 50%" --quiet

step "What staging got instead of the real values" "sluice diff dev staging --tables customers --limit 2 --threshold 100"
# staging differs by design (masked, half the customers): the threshold says how much is expected
sluice diff dev staging --tables customers --limit 2 --threshold 100

step "Keep a copy in step while dev keeps taking writes: capture, then the initial copy" \
  "sluice sync start dev synced --domain billing"
sluice sync start dev synced --domain billing

step "The application writes to dev: a new customer, an invoice paid, a payment removed" "sqlite3 billing.db ..."
sqlite3 billing.db "INSERT INTO customers (id, public_id, email, name, country)
    VALUES (9001, 'a3bb189e-8bf9-3888-9912-ace4e6543002', 'ana@example.com', 'Ana Lima', 'BR');
  UPDATE invoices SET status = 'paid' WHERE id = (SELECT min(id) FROM invoices WHERE status = 'open');
  DELETE FROM payments WHERE id = (SELECT max(id) FROM payments);"
sluice sync status dev synced | grep -E '^(behind|lag)'

step "Apply the changes (--follow would keep going until stopped)" "sluice sync run dev synced"
sluice sync run dev synced

step "Prove it, row by row" "sluice diff dev synced --tables customers,subscriptions,invoices,invoice_items,payments"
sluice diff dev synced --tables customers,subscriptions,invoices,invoice_items,payments

step "The reports the business runs give the same answers on both sides" "sluice shadow dev synced"
sluice shadow dev synced

step "Hypercare: watch the copy against dev - rules, row diff, sync lag, shadow reads - every second for 3s" \
  "sluice watch --every 1s --for 3s"
sluice watch --every 1s --for 3s

step "The copy drifts (an invoice deleted there): the next run breaches and the hook fires, once" \
  "sluice watch --once --exit-on-breach"
sqlite3 billing-synced.db "PRAGMA foreign_keys = OFF; DELETE FROM invoices WHERE id = (SELECT max(id) FROM invoices)"
sluice watch --once --exit-on-breach || echo "(exit $?: the state is breach)"
echo "the hook got: $(head -c 160 watch-alert.json)..."

step "What the team sees: the state since when, the last runs, the trends" "sluice watch status --runs 5"
sluice watch status --runs 5

step "Repair the copy: the next run that sees everything brings the state back to ok (the hook hears it)" \
  "sluice watch --once"
sqlite3 billing-synced.db "ATTACH 'billing.db' AS dev; PRAGMA foreign_keys = OFF;
  INSERT INTO invoices SELECT * FROM dev.invoices WHERE id NOT IN (SELECT id FROM invoices)"
sluice watch --once --quiet
echo "the watch of synced is now: $(sluice watch status --json | sed -n 's/^  "state": "\(.*\)",$/\1/p')"

step "Done: remove the triggers and the change log, dev is as it was" "sluice sync stop dev synced"
sluice sync stop dev synced

step "The cutover is a written runbook: phases, gates, approvals, freeze, switch, the way back" \
  "sluice cutover plan cutover.yaml"
sluice cutover plan cutover.yaml

step "The gate wants a GO rehearsal of exactly what is pending now" "sluice rehearse dev"
sluice rehearse dev > rehearsal.txt
echo "rehearsal verdict: $(sed -n 's/^verdict: //p' rehearsal.txt)"

step "Walk the whole plan on scratch copies first, each rollback practiced and timed" \
  "sluice cutover dry-run cutover.yaml"
sluice cutover dry-run cutover.yaml --quiet > dry-run.txt
sed -n '/^scorecard/,$p' dry-run.txt
echo "rollback practiced: $(grep -c 'rollback\.' dry-run.txt) steps, dev and cut untouched"

step "Run it for real: it stops where two people must sign the figures" "sluice cutover run cutover.yaml --no-wait"
sluice cutover run cutover.yaml --no-wait --quiet > /dev/null || [ $? -eq 8 ]

step "Ana (dba) and Carla (finance) approve, bound to the digest of the evidence they saw" \
  "sluice cutover approve billing.approve --as ana --note ..."
sluice cutover approve billing.approve --as ana --note "lag, rules and reports checked" -r cutover.yaml | head -1
sluice cutover approve billing.approve --as carla --note "totals reconcile" -r cutover.yaml | head -1

step "Run it again: it resumes at the approval, freezes writes, switches, proves, scores" \
  "sluice cutover run cutover.yaml"
sluice cutover run cutover.yaml --quiet
echo "the application now writes to: billing -> $(cat routes/billing), audit -> $(cat routes/audit)"

step "Hypercare on the new side: watch cut against dev - the billing rules and every row" \
  "sluice watch cut --source dev --checks rules,diff --once"
sluice watch cut --source dev --checks rules,diff --once

step "The report for the people who sign off: verdict, map, decision log, rehearsals, checks, cutover, watch" \
  "sluice report dev --out $REPORT"
sluice report dev --out "$REPORT"
sluice report dev --format md | sed -n '/^## Verdict/,/^## Data map/p' | sed '$d'
echo "The whole report, one HTML file that needs no network: $REPORT"
