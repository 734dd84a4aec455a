#!/usr/bin/env bash
# test_map_impact.sh - `sluice map`, `sluice impact` and lint's consumer rules on the example
# project (examples/billing) on SQLite, PostgreSQL and MariaDB: the read and write sets derived
# from the consumers' queries and from the view; the impact of a rename, a drop and a type
# change (tests/fixtures/impact) on the consumers, with criticality; lint failing on an
# undeclared break of a revenue or compliance consumer and passing once "breaks:" declares it;
# bad input: a consumer naming a missing column, a query that does not parse.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
export TMPDIR=$TMP

P=$TMP/proj
mkdir -p "$P/migrations"
cp "$SLUICE_SOURCE_DIR/examples/billing/sluice.yaml" "$P/"
cp "$SLUICE_SOURCE_DIR"/examples/billing/migrations/*.sql "$P/migrations/"
cd "$P" || exit 1

# jq-like checks with python3: q FILE EXPR prints the expression's value
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# effect of a node in an impact JSON ("-" when not reached)
effect() { q "$1" "next((x['effect'] for x in d['reached'] if x['id'] == '$2'), '-')"; }
# 1 when the map JSON has the edge
has_edge() { q "$1" "int(any(e['from'] == '$2' and e['to'] == '$3' and e['kind'] == '$4' for e in d['edges']))"; }

for engine in $(engines); do
  url=$(scratch_url "$engine" "mapt_$$")
  E="[$engine]"
  rm -f migrations/2026040*
  run "$SLUICE" up "$url"; expect_rc 0 "$E up the example"

  # ---- the map: derived read and write sets ----
  run "$SLUICE" map "$url" --format json; expect_rc 0 "$E map json"
  cp "$TMP/out" "$TMP/map.json"
  [ "$(q "$TMP/map.json" "d['format']")" = sluice-map/1 ] && ok || bad "$E map format"
  for e in "consumer:revenue-report column:invoices.total reads" \
           "consumer:revenue-report column:customers.country reads" \
           "consumer:revenue-report column:payments.amount reads" \
           "consumer:invoice-run column:subscriptions.seats reads" \
           "consumer:invoice-run column:subscriptions.ends_on reads" \
           "consumer:invoice-run table:invoices writes" \
           "consumer:balances-page view:customer_balances reads" \
           "consumer:crm-sync column:customers.email reads" \
           "view:customer_balances column:invoices.total reads" \
           "view:customer_balances column:customers.email reads" \
           "domain:billing table:invoices groups" \
           "trigger:payments_audit table:payments fires_on" \
           "migration:20260310120000 column:customers.tax_id names"; do
    set -- $e
    [ "$(has_edge "$TMP/map.json" "$1" "$2" "$3")" = 1 ] && ok || bad "$E map edge $e"
  done
  [ "$(has_edge "$TMP/map.json" consumer:balances-page column:invoices.total reads)" = 0 ] && ok \
    || bad "$E a consumer of the view does not read the view's tables itself"
  [ "$(q "$TMP/map.json" "next(n['level'] for n in d['nodes'] if n['id'] == 'column:invoices.total')")" = revenue ] \
    && ok || bad "$E invoices.total carries the revenue criticality of invoice-run"
  [ "$(q "$TMP/map.json" "d['counts']['unowned']")" = 0 ] && ok || bad "$E nothing unowned"
  run "$SLUICE" map "$url"; expect_rc 0 "$E map md"
  expect_out "| **invoice-run**: Monthly job that issues invoices for active subscriptions | billing-team | revenue (sign-off needed) |" "$E md consumers table"
  expect_out '```mermaid' "$E md diagram"
  run "$SLUICE" map "$url" --format dot; expect_rc 0 "$E dot"; expect_out "digraph data_map {" "$E dot header"

  # ---- impact of an object ----
  run "$SLUICE" impact customers.country "$url" --format json; expect_rc 0 "$E impact of a column"
  cp "$TMP/out" "$TMP/obj.json"
  [ "$(effect "$TMP/obj.json" consumer:revenue-report)" = breaks ] && ok || bad "$E country reaches revenue-report"
  [ "$(effect "$TMP/obj.json" consumer:crm-sync)" = breaks ] && ok || bad "$E country reaches crm-sync"
  [ "$(effect "$TMP/obj.json" consumer:balances-page)" = - ] && ok || bad "$E country does not reach balances-page"

  # ---- impact of migrations: rename, drop, type change ----
  cp "$SLUICE_SOURCE_DIR"/tests/fixtures/impact/2026040*.sql migrations/
  run "$SLUICE" impact 20260401100000 "$url" --format json; expect_rc 0 "$E impact of the rename"
  cp "$TMP/out" "$TMP/rename.json"
  [ "$(effect "$TMP/rename.json" consumer:revenue-report)" = breaks ] && ok || bad "$E rename breaks revenue-report"
  [ "$(effect "$TMP/rename.json" consumer:invoice-run)" = breaks ] && ok || bad "$E rename breaks invoice-run (its INSERT names total)"
  [ "$(effect "$TMP/rename.json" consumer:crm-sync)" = - ] && ok || bad "$E rename does not reach crm-sync"
  # PostgreSQL and SQLite rewrite the view on a rename; MariaDB leaves it pointing at the old name
  want=affected; [ "$engine" = mysql ] && want=breaks
  [ "$(effect "$TMP/rename.json" consumer:balances-page)" = $want ] && ok || bad "$E rename: balances-page $want"
  [ "$(q "$TMP/rename.json" "d['worst']")" = revenue ] && ok || bad "$E rename: worst is revenue"
  run "$SLUICE" impact migrations/20260401100000_rename_invoice_total.sql "$url"; expect_rc 0 "$E impact by file, text"
  expect_out 'changes: column "invoices"."total" renamed to "amount_due"' "$E text names the rename"
  expect_out "BREAKS    consumer revenue-report [compliance, owner finance]" "$E text: criticality and owner"

  run "$SLUICE" impact 20260402100000 "$url" --format json; expect_rc 0 "$E impact of the drop"
  cp "$TMP/out" "$TMP/drop.json"
  [ "$(effect "$TMP/drop.json" consumer:crm-sync)" = breaks ] && ok || bad "$E drop breaks crm-sync"
  [ "$(effect "$TMP/drop.json" consumer:revenue-report)" = breaks ] && ok || bad "$E drop breaks revenue-report"
  [ "$(effect "$TMP/drop.json" consumer:invoice-run)" = - ] && ok || bad "$E drop does not reach invoice-run"
  [ "$(effect "$TMP/drop.json" domain:billing)" = affected ] && ok || bad "$E drop affects the billing domain"

  run "$SLUICE" impact 20260403100000 "$url" --format json; expect_rc 0 "$E impact of the type change"
  cp "$TMP/out" "$TMP/type.json"
  [ "$(effect "$TMP/type.json" consumer:invoice-run)" = breaks ] && ok || bad "$E narrowing breaks invoice-run"
  [ "$(q "$TMP/type.json" "d['changes'][0]['cause']")" != None ] && ok || bad "$E type change has a cause"
  [ "$(effect "$TMP/type.json" consumer:revenue-report)" = - ] && ok || bad "$E seats does not reach revenue-report"

  # ---- lint: undeclared breaks fail, declared ones pass ----
  run "$SLUICE" lint "$url"; expect_rc 1 "$E lint fails on undeclared breaks"
  expect_out 'error: consumer-broken: breaks consumer "revenue-report" (compliance, owner finance)' "$E consumer-broken"
  expect_out '"-- breaks: revenue-report FIN-<ticket>"' "$E consumer-broken says how to declare"
  expect_out 'warn: consumer-affected: breaks consumer "crm-sync" (internal, owner growth-team)' "$E consumer-affected for an internal consumer"
  sed -i 's/^-- rollback: Rename it back./&\n-- breaks: revenue-report FIN-310, invoice-run BILL-311/' migrations/20260401100000_rename_invoice_total.sql
  sed -i 's/^-- rollback: Adds the column back, empty./&\n-- breaks: revenue-report FIN-312, crm-sync GROW-9/' migrations/20260402100000_drop_customer_country.sql
  sed -i 's/^-- rollback: Widens the column again./&\n-- breaks: invoice-run BILL-313/' migrations/20260403100000_narrow_seats.sql
  run "$SLUICE" lint "$url"
  expect_nowhere "consumer-broken" "$E declared breaks pass"
  expect_nowhere "breaks-declaration" "$E declarations are well formed"
  sed -i 's/invoice-run BILL-313/invoice-run FIN-313/' migrations/20260403100000_narrow_seats.sql
  run "$SLUICE" lint "$url"
  expect_out "error: breaks-declaration: breaks: ticket \"FIN-313\" for \"invoice-run\" is not one of its owner's (billing-team's tickets start with \"BILL-\")" "$E ticket of the wrong owner"
  run "$SLUICE" impact 20260401100000 "$url"; expect_rc 0 "$E impact shows the declaration"
  expect_out "declared  consumer invoice-run" "$E declared in impact text"

  # ---- bad input: a query that does not parse, with the engine's message and its position ----
  cat > bad.yaml <<'YAML'
consumers:
  broken-report:
    owner: x
    query: |
      SELECT id
      FORM invoices
YAML
  run "$SLUICE" map "$url" -C bad.yaml --dir migrations; expect_rc 2 "$E query that does not parse"
  expect_err 'bad.yaml:6:12: consumer "broken-report": query: ' "$E parse error position (each engine stops at the second word: FORM reads as an alias)"
  expect_err 'invoices' "$E parse error names the token"

  case $engine in
    postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS mapt_$$ WITH (FORCE)" >/dev/null ;;
    mysql) sql mysql "$SLUICE_TEST_MY_URL" "DROP DATABASE IF EXISTS mapt_$$" ;;
  esac
done

# ---- bad input: names that do not exist, with file:line:column and a suggestion ----
url=$(scratch_url sqlite "mapt_bad_$$")
rm -f migrations/2026040*
"$SLUICE" up "$url" >/dev/null 2>&1
cat > typo.yaml <<'YAML'
consumers:
  report:
    owner: finance
    reads: [invoices.totl]
YAML
run "$SLUICE" map "$url" -C typo.yaml --dir migrations; expect_rc 2 "missing column"
expect_err 'typo.yaml:4:13: consumer "report": no column of "invoices" named "totl" (did you mean "total"?)' "missing column message"
cat > typo2.yaml <<'YAML'
domains:
  billing: [invoices, custmers]
YAML
run "$SLUICE" map "$url" -C typo2.yaml --dir migrations; expect_rc 2 "missing table"
expect_err 'typo2.yaml:2:23: domain "billing": no table "custmers" (did you mean "customers"?)' "missing table message"
cat > typo3.yaml <<'YAML'
consumers:
  report:
    owner: finance
    criticality: revenu
    reads: [invoices]
YAML
run "$SLUICE" map "$url" -C typo3.yaml --dir migrations; expect_rc 2 "unknown criticality"
expect_err 'typo3.yaml:4:18: "consumers.report.criticality": unknown criticality "revenu" (did you mean "revenue"?)' "unknown criticality message"
finish
