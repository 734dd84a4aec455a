#!/usr/bin/env bash
# test_shadow.sh - sluice shadow with the real binary: workflow queries of
# sluice.yaml (one text for all engines, and per-engine variants) run on a
# SQLite source and its copy on each server; equal results across engines
# (a SQLite REAL sum beside a NUMERIC one), a changed row reported as a
# missing and an extra result row (multiset) or a changed row (ordered),
# a failing query reported with the side, bad configuration with its line,
# and every run recorded in the state store.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1

SRC=$TMP/src.db
sqlite3 "$SRC" "CREATE TABLE inv (id INTEGER PRIMARY KEY, cust INTEGER NOT NULL, currency TEXT NOT NULL,
    total NUMERIC(10,2) NOT NULL, issued DATE NOT NULL, paid INTEGER NOT NULL);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)
  INSERT INTO inv SELECT x, x % 37, CASE x % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'GBP' END,
    (x * 7 % 1000) / 4.0, date('2024-01-01', '+' || (x % 300) || ' days'), x % 4 = 0 FROM c;"
cat >"$TMP/sluice.yaml" <<'YAML'
state: state.db
shadow:
  - name: revenue_by_currency
    sql: SELECT currency, sum(total) FROM inv GROUP BY currency
  - name: open_invoices_per_customer
    ordered: true
    sql: SELECT cust, count(*) FROM inv WHERE paid = 0 GROUP BY cust ORDER BY cust
  - name: invoices_per_month
    sql:
      sqlite: SELECT strftime('%Y-%m', issued), count(*) FROM inv GROUP BY 1
      postgres: SELECT to_char(issued, 'YYYY-MM'), count(*) FROM inv GROUP BY 1
      mysql: SELECT date_format(issued, '%Y-%m'), count(*) FROM inv GROUP BY 1
YAML
cd "$TMP" || exit 1

for e in $ENGINES; do
  [ "$e" = sqlite ] && continue
  url=$(scratch_url "$e" shadow_t)
  run "$SLUICE" copy -q "sqlite:$SRC" "$url"; expect_rc 0 "$e: copy"
  run "$SLUICE" shadow "sqlite:$SRC" "$url"; expect_rc 0 "$e: same results"
  expect_out "0 differences in 3 queries, 0 failed" "$e: summary"
  sql "$e" "$url" "UPDATE inv SET total = total + 1 WHERE id = 5" >/dev/null
  sql "$e" "$url" "UPDATE inv SET paid = 1 WHERE id = 7" >/dev/null
  run "$SLUICE" shadow "sqlite:$SRC" "$url"; expect_rc 1 "$e: differences"
  expect_out "missing  " "$e: the source's row"; expect_out "extra    " "$e: the target's row"
  expect_out "changed  row " "$e: ordered difference"
  run "$SLUICE" shadow --json -q revenue_by_currency "sqlite:$SRC" "$url"; expect_rc 1 "$e: --json"
  expect_out '"differences":2' "$e: --json counts"
  run "$SLUICE" shadow --sql "SELECT no_such_column FROM inv" "sqlite:$SRC" "$url"; expect_rc 3 "$e: failing query"
  expect_out "error: on the source" "$e: failing query names the side"
done

run "$SLUICE" shadow --history; expect_rc 0 "history"
expect_out "revenue_by_currency" "history lists the queries"
n=$(sqlite3 state.db "SELECT count(*) FROM shadow_runs")
[ "$n" -ge 1 ] && ok || bad "no shadow run recorded"

cat >"$TMP/bad.yaml" <<'YAML'
shadow:
  - name: q
    sql:
      oracle: SELECT 1
YAML
run "$SLUICE" shadow -C bad.yaml "sqlite:$SRC" "sqlite:$SRC"; expect_rc 2 "bad config"
expect_err "bad.yaml:4" "bad config: file and line"
finish
