#!/usr/bin/env bash
# test_snapshot.sh - `sluice snapshot` and `sluice pii scan` on the SaaS
# generator's database (../shared/bench/gen_saas.py, a small scale, plus a
# phone column) on all three engines, each as source and as target:
#  - the standard rules: no source email, name, phone or IP anywhere in the
#    target (checked here with the engines' own clients, apart from
#    sluice's report), foreign keys valid, unique keys hold;
#  - the same key twice gives identical targets (sluice diff), another key
#    other ones, and two engines give the same masked values;
#  - subsets: "customers: 5%" and a WHERE root are referentially complete and
#    hold every invoice, payment and audit row of their root customers;
#    sakila's store/staff cycle and neosync's cycles subset without error;
#  - fail closed, config errors with positions, the key never printed or
#    stored, and --resume after a lost connection (with the same key only).
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
GEN="$SLUICE_SOURCE_DIR/../shared/bench/gen_saas.py"
DATA="$SLUICE_SOURCE_DIR/../shared/data"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
have() { echo "$ENGINES" | grep -qx "$1"; }
skip() { echo "SKIP: $*" >&2; }
my_client() { mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw "$@"; }
# fresh ENGINE NAME: a new empty database's URL; server databases are listed for the cleanup
fresh() { [ "$1" = sqlite ] || echo "$1:$2" >>"$TMP/made"; scratch_url "$1" "$2"; }
[ -f "$GEN" ] || { skip "the generator is absent ($GEN)"; finish; exit $?; }

export SNAP_KEY="snapshot-test-key-0123456789abcdef"
export OTHER_KEY="another-snapshot-key-9876543210"
P="$TMP/project"
mkdir -p "$P"
cat >"$P/sluice.yaml" <<'EOF'
snapshot:
  key_env: SNAP_KEY
  masks:
    customers:
      email: email
      name: name
      phone: { rule: phone, keep: 1 }
      company: { rule: partial, first: 1 }
      notes: null
      created_at: { rule: date_shift, days: 30, by: id }
    users:
      email: email
      display_name: name
    audit_log:
      ip: ip
      payload: { rule: json, paths: { "$.comment": null, "$.note": null } }
  relationships:
    - { table: audit_log, columns: [entity_id], references: { table: customers, columns: [id] },
        where: "entity = 'customer'" }
EOF
cd "$P" || exit 1

# ---- the source: scale 0.02 (20k rows) with a phone per customer ------------------
python3 "$GEN" generate --scale 0.02 --out "$TMP/saas.db" >/dev/null 2>"$TMP/gen" || bad "generate: $(cat "$TMP/gen")"
sqlite3 "$TMP/saas.db" "ALTER TABLE customers ADD COLUMN phone TEXT;
  UPDATE customers SET phone = printf('+1 (%03d) %03d-%04d', 200 + id % 700, id % 997, (id * 7919) % 10000)
  WHERE id % 10 <> 3"
declare -A SRC
SRC[sqlite]="sqlite:$TMP/saas.db"
for e in postgres mysql; do
  have $e || continue
  SRC[$e]=$(fresh $e snap_src_$e)
  run "$SLUICE" copy "${SRC[sqlite]}" "${SRC[$e]}" --quiet
  expect_rc 0 "load the source into $e"
done

# values: the distinct values of one query, one per line, sorted
values() { sql "$1" "$2" "$3" | LC_ALL=C sort -u; }
# the personal values of a source (emails, names, phones, IPs)
personal() {
  values "$1" "$2" "SELECT email FROM customers UNION SELECT email FROM users UNION SELECT name FROM customers
    UNION SELECT display_name FROM users UNION SELECT phone FROM customers WHERE phone IS NOT NULL
    UNION SELECT ip FROM audit_log WHERE ip IS NOT NULL"
}
# every text value of the target's tables that could hold them
texts() {
  values "$1" "$2" "SELECT email FROM customers UNION SELECT name FROM customers UNION SELECT phone FROM customers
    WHERE phone IS NOT NULL UNION SELECT company FROM customers WHERE company IS NOT NULL UNION SELECT email FROM users
    UNION SELECT display_name FROM users UNION SELECT ip FROM audit_log WHERE ip IS NOT NULL"
  sql "$1" "$2" "SELECT payload FROM audit_log WHERE payload IS NOT NULL"
  sql "$1" "$2" "SELECT notes FROM customers WHERE notes IS NOT NULL"
}

# check_snapshot LABEL SE TE TURL: a finished snapshot with the standard rules, checked apart from the report
check_snapshot() {
  local label=$1 se=$2 te=$3 turl=$4
  expect_rc 0 "$label: snapshot"
  expect_out '"ok": true' "$label: the report is ok"
  expect_out '"leaks": 0,' "$label: the leak scan found nothing"
  expect_out '"orphans": 0,' "$label: no orphans"
  expect_out '"constraint_problems": 0,' "$label: every foreign key and unique key was created"
  personal "$se" "${SRC[$se]}" | awk 'length($0) >= 5' >"$TMP/needles"
  texts "$te" "$turl" >"$TMP/hay"
  local whole inside
  whole=$(LC_ALL=C sort -u "$TMP/hay" | LC_ALL=C comm -12 "$TMP/needles" - | wc -l)
  inside=$(grep -E '@|^[0-9a-f:.]+$' "$TMP/needles" | grep -cFf - "$TMP/hay")
  [ "$whole" = 0 ] && [ "$inside" = 0 ] && ok ||
    bad "$label: $whole source values found whole and $inside inside the target's text"
  [ "$(wc -l <"$TMP/needles")" -gt 1000 ] && ok || bad "$label: too few personal values to look for"
  [ "$(sql "$te" "$turl" "SELECT count(*) - count(DISTINCT email) FROM users")" = 0 ] && ok ||
    bad "$label: users.email is not unique"
  [ "$(sql "$te" "$turl" "SELECT count(*) FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = i.customer_id)")" = 0 ] &&
    ok || bad "$label: invoices without their customer"
  [ "$(sql "$te" "$turl" "SELECT count(*) FROM customers")" = 600 ] && ok || bad "$label: customers missing"
}

# ---- the standard rules on every engine, each as source and as target -------------
pairs="sqlite:sqlite"
have postgres && pairs="$pairs sqlite:postgres"
have mysql && pairs="$pairs postgres:mysql mysql:sqlite"
have postgres && have mysql && pairs="$pairs mysql:postgres"
declare -A TGT
for pair in $pairs; do
  se=${pair%%:*} te=${pair#*:}
  TGT[$pair]=$(fresh "$te" "snap_${se}_$te")
  run "$SLUICE" snapshot "${SRC[$se]}" "${TGT[$pair]}" --json --quiet
  check_snapshot "$se->$te" "$se" "$te" "${TGT[$pair]}"
  expect_nowhere "$SNAP_KEY" "$se->$te: the key"
done
# the same masked values whatever the engines
if have postgres; then
  a=$(sql sqlite "${TGT[sqlite:sqlite]}" "SELECT email || '|' || name || '|' || phone FROM customers WHERE id = 5")
  b=$(sql postgres "${TGT[sqlite:postgres]}" "SELECT email || '|' || name || '|' || phone FROM customers WHERE id = 5")
  [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "the same key gave '$a' on SQLite and '$b' on PostgreSQL"
fi
# a date shift keeps the customer's dates in step, and moves them
sql sqlite "${TGT[sqlite:sqlite]}" "ATTACH '$TMP/saas.db' AS s;
  SELECT count(*) FROM customers t JOIN s.customers c ON c.id = t.id WHERE date(t.created_at) = date(c.created_at)
    OR abs(julianday(t.created_at) - julianday(c.created_at)) > 30.0001" >"$TMP/shift"
[ "$(cat "$TMP/shift")" = 0 ] && ok || bad "date_shift: $(cat "$TMP/shift") dates unmoved or moved too far"

# ---- the same key twice: identical; another key: different -------------------------
T2=$(fresh sqlite again)
run "$SLUICE" snapshot "${SRC[sqlite]}" "$T2" --quiet
expect_rc 0 "second snapshot"
run "$SLUICE" diff "${TGT[sqlite:sqlite]}" "$T2"
expect_rc 0 "the same key twice gives identical targets"
T3=$(fresh sqlite otherkey)
run "$SLUICE" snapshot "${SRC[sqlite]}" "$T3" --key-env OTHER_KEY --quiet
expect_rc 0 "snapshot with another key"
"$SLUICE" diff "${TGT[sqlite:sqlite]}" "$T3" --json >"$TMP/diff" 2>&1
rc=$?
[ "$rc" = 1 ] && ok || bad "another key: diff exit $rc"
grep -F '"table":"customers","kind":"changed"' "$TMP/diff" | grep -qF '"email"' && ok ||
  bad "another key: customers.email did not change"
[ "$(sql sqlite "$T3" "SELECT count(*) FROM customers")" = 600 ] && ok || bad "another key: rows"

# ---- the other rules: noise, shuffle, hash on a unique column, sql, fixed ------------------
# (the relationships list ends sluice.yaml: the new tables go before it)
awk '/^  relationships:/ && !done {
       print "    invoices:\n      total: { rule: noise, ratio: 20% }"
       print "    subscriptions:\n      plan: shuffle"
       print "    payments:\n      provider_ref: { rule: hash, length: 12 }\n      failure_reason: { rule: fixed, value: \"declined\" }"
       print "    projects:\n      slug: { rule: sql, expr: \"'\''project-'\'' || id\" }"
       done = 1 }
     { print }' sluice.yaml >"$TMP/more.yaml"
te=sqlite
have postgres && te=postgres
MR=$(fresh $te snap_more)
run "$SLUICE" snapshot "${SRC[sqlite]}" "$MR" -C "$TMP/more.yaml" --json --quiet
expect_rc 0 "more rules: snapshot"
expect_out '"duplicates": 0,' "more rules: provider_ref stays unique"
[ "$(sql $te "$MR" "SELECT plan || ':' || count(*) FROM subscriptions GROUP BY plan ORDER BY plan")" = \
  "$(sql sqlite "${SRC[sqlite]}" "SELECT plan || ':' || count(*) FROM subscriptions GROUP BY plan ORDER BY plan")" ] &&
  ok || bad "shuffle: the plans' counts changed"
[ "$(sql $te "$MR" "SELECT count(*) FROM subscriptions t WHERE plan IS NULL")" = 0 ] && ok || bad "shuffle: NULL plans"
[ "$(sql $te "$MR" "SELECT count(*) FROM projects WHERE slug <> 'project-' || id")" = 0 ] && ok || bad "sql rule"
[ "$(sql $te "$MR" "SELECT count(*) FROM payments WHERE failure_reason IS NOT NULL AND failure_reason <> 'declined'")" = 0 ] &&
  ok || bad "fixed rule"
[ "$(sql $te "$MR" "SELECT count(*) - count(DISTINCT provider_ref) FROM payments WHERE provider_ref IS NOT NULL")" = 0 ] &&
  ok || bad "hash: provider_ref duplicates"
# noise keeps the sign and moves at most 20%
sql $te "$MR" "SELECT id, total FROM invoices ORDER BY id" >"$TMP/noisy"
sql sqlite "${SRC[sqlite]}" "SELECT id, total FROM invoices ORDER BY id" >"$TMP/orig"
bad_noise=$(paste "$TMP/orig" "$TMP/noisy" | awk -F'\t' '{ a = $2 + 0; b = $4 + 0
  if ((a > 0) != (b > 0) || (a < 0) != (b < 0) || (a != 0 && (b / a > 1.2001 || b / a < 0.7999))) n++ } END { print n + 0 }')
[ "$bad_noise" = 0 ] && ok || bad "noise: $bad_noise totals lost their sign or moved too far"
[ "$(paste "$TMP/orig" "$TMP/noisy" | awk -F'\t' '$2 + 0 != $4 + 0' | wc -l)" -gt 1000 ] && ok || bad "noise: totals unchanged"

# ---- the report in the state store; the key nowhere --------------------------------
[ "$(sqlite3 "$P/.sluice/state.db" "SELECT count(*) FROM snapshot_runs WHERE status = 'ok' AND leaks = 0")" -ge 3 ] &&
  ok || bad "state store: snapshot runs"
[ "$(sqlite3 "$P/.sluice/state.db" "SELECT count(*) FROM snapshot_columns WHERE rule = 'email'")" -ge 2 ] &&
  ok || bad "state store: column rules"
sqlite3 "$P/.sluice/state.db" "SELECT report FROM snapshot_runs ORDER BY id DESC LIMIT 1" | grep -q '"checks"' &&
  ok || bad "state store: the report as JSON"
if grep -rqaF "$SNAP_KEY" "$P/.sluice" "$TMP/again.db" || grep -rqaF "$OTHER_KEY" "$P/.sluice" "$TMP/otherkey.db"; then
  bad "a key was written to the state store or the target"
else
  ok
fi

# ---- subsets --------------------------------------------------------------------------
# 5% of the customers: complete, and at least the sampled customers keep everything they own
S5=$(fresh sqlite sub5)
run "$SLUICE" snapshot "${SRC[sqlite]}" "$S5" --subset "customers: 5%" --json --quiet
expect_rc 0 "subset 5%"
expect_out '"ok": true' "subset 5%: report ok"
[ -z "$(sqlite3 "${S5#sqlite:}" "PRAGMA foreign_key_check")" ] && ok || bad "subset 5%: foreign keys"
complete="ATTACH '$TMP/saas.db' AS s;
  SELECT count(*) FROM customers c WHERE
    (SELECT count(*) FROM invoices WHERE customer_id = c.id) = (SELECT count(*) FROM s.invoices WHERE customer_id = c.id)
    AND (SELECT count(*) FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.customer_id = c.id) =
        (SELECT count(*) FROM s.payments p JOIN s.invoices i ON i.id = p.invoice_id WHERE i.customer_id = c.id)
    AND (SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE u.customer_id = c.id) =
        (SELECT count(*) FROM s.audit_log a JOIN s.users u ON u.id = a.actor_id WHERE u.customer_id = c.id)
    AND (SELECT count(*) FROM audit_log WHERE entity = 'customer' AND entity_id = c.id) =
        (SELECT count(*) FROM s.audit_log WHERE entity = 'customer' AND entity_id = c.id)"
[ "$(sqlite3 "${S5#sqlite:}" "$complete")" -ge 30 ] && ok || bad "subset 5%: fewer than 30 complete customers"
n=$(sqlite3 "${S5#sqlite:}" "SELECT count(*) FROM invoices")
[ "$n" -gt 0 ] && [ "$n" -lt 1600 ] && ok || bad "subset 5%: $n invoices"
# a WHERE root: exactly the rows of customers 1-30, all of them
SW=$(fresh sqlite subwhere)
run "$SLUICE" snapshot "${SRC[sqlite]}" "$SW" --subset "customers: id <= 30" --quiet
expect_rc 0 "subset by condition"
[ -z "$(sqlite3 "${SW#sqlite:}" "PRAGMA foreign_key_check")" ] && ok || bad "subset by condition: foreign keys"
[ "$(sqlite3 "${SW#sqlite:}" "$complete AND c.id <= 30")" = 30 ] && ok ||
  bad "subset by condition: customers 1-30 are not all complete"
# the same subset from another engine, into a third
if have mysql && have postgres; then
  SMP=$(fresh postgres snap_sub_my_pg)
  run "$SLUICE" snapshot "${SRC[mysql]}" "$SMP" --subset "customers: 5%" --json --quiet
  expect_rc 0 "subset 5% mysql->pg"
  expect_out '"orphans": 0,' "subset 5% mysql->pg: orphans"
  [ "$(sql postgres "$SMP" "SELECT count(*) FROM invoices")" = "$(sqlite3 "${S5#sqlite:}" "SELECT count(*) FROM invoices")" ] &&
    ok || bad "subset 5%: another engine chose other rows"
fi

# sakila (MariaDB): the store <-> staff cycle, with the rules pii scan suggests
if [ ! -d "$DATA/sakila/mysql" ]; then
  skip "sakila: $DATA/sakila/mysql is absent"
elif have mysql; then
  src=$(fresh mysql snap_sakila)
  db=${src##*/}
  { sed -e "s/\\bsakila\\b/$db/g" "$DATA/sakila/mysql/sakila-mv-schema.sql"
    sed -e "s/^USE sakila;/USE $db;/" "$DATA/sakila/mysql/sakila-mv-data.sql"; } | my_client 2>"$TMP/load" &&
    ok || bad "sakila: load: $(head -c 300 "$TMP/load")"
  mkdir -p "$TMP/sakila" && cd "$TMP/sakila" || exit 1
  run "$SLUICE" pii scan "$src" --output sluice.yaml
  expect_rc 0 "sakila: pii scan"
  grep -q 'email: email' sluice.yaml && grep -q 'phone: phone' sluice.yaml && ok || bad "sakila: suggested rules"
  SK=$(fresh sqlite sakila_sub)
  run "$SLUICE" snapshot "$src" "$SK" --subset "customer: 5%" --key-env SNAP_KEY --json --quiet
  expect_rc 0 "sakila: subset through the store/staff cycle"
  expect_out '"orphans": 0,' "sakila: orphans"
  [ -z "$(sqlite3 "${SK#sqlite:}" "PRAGMA foreign_key_check")" ] && ok || bad "sakila: foreign keys"
  [ "$(sqlite3 "${SK#sqlite:}" "SELECT (SELECT count(*) FROM customer) || ' ' || (SELECT count(*) FROM store)")" = "30 2" ] &&
    ok || bad "sakila: customers and stores"
  cd "$P" || exit 1
fi

# neosync's cycles (PostgreSQL): customers -> addresses -> orders -> customers, and more
if [ ! -d "$DATA/neosync-testdata/postgres" ]; then
  skip "neosync: $DATA/neosync-testdata is absent"
elif have postgres; then
  mkdir -p "$TMP/neosync" && cd "$TMP/neosync" || exit 1
  printf 'snapshot:\n  masks:\n    employees: { first_name: { rule: name, part: first }, last_name: { rule: name, part: last }, email: email }\n    users: { name: name, email: email }\n' >subsetting.yaml
  echo 'snapshot: {}' >edgecases.yaml
  for set in subsetting edgecases; do
    src=$(fresh postgres "snap_ns_$set")
    psql -q -v ON_ERROR_STOP=1 "$src" -f "$DATA/neosync-testdata/postgres/$set/create-tables.sql" >/dev/null 2>"$TMP/load" &&
      ok || bad "neosync $set: load: $(head -c 300 "$TMP/load")"
    # into SQLite: a MariaDB target refuses the sets' foreign key names, which repeat across
    # tables (a copy matter, not a subset one)
    tgt=$(fresh sqlite "ns_${set}_t")
    run "$SLUICE" snapshot "$src" "$tgt" -C "$set.yaml" --subset "customers: 50%" --key-env SNAP_KEY --json --quiet
    expect_rc 0 "neosync $set: subset through the cycles"
    expect_out '"orphans": 0,' "neosync $set: orphans"
  done
  cd "$P" || exit 1
fi

# ---- fail closed, config errors -------------------------------------------------------
sed '/display_name: name/d' sluice.yaml >"$TMP/open.yaml"
run "$SLUICE" snapshot "${SRC[sqlite]}" "$(fresh sqlite refused)" -C "$TMP/open.yaml"
expect_rc 2 "fail closed: exit 2"
expect_err "users.display_name" "fail closed: names the column"
expect_err "suggested rule: name" "fail closed: suggests a rule"
[ ! -s "$TMP/refused.db" ] || [ "$(sqlite3 "$TMP/refused.db" "SELECT count(*) FROM sqlite_schema WHERE name = 'users'")" = 0 ] &&
  ok || bad "fail closed: a table was created"
sed 's/display_name: name/display_nam: name/' sluice.yaml >"$TMP/typo.yaml"
run "$SLUICE" snapshot "${SRC[sqlite]}" "$(fresh sqlite typo)" -C "$TMP/typo.yaml"
expect_rc 2 "unknown column: exit 2"
expect_err 'typo.yaml:13:7: snapshot.masks.users.display_nam: table "users" has no column "display_nam" (did you mean "display_name"?)' \
  "unknown column: position and suggestion"
sed 's/ip: ip/ip: { rule: ipp }/' sluice.yaml >"$TMP/rule.yaml"
run "$SLUICE" snapshot "${SRC[sqlite]}" "$(fresh sqlite badrule)" -C "$TMP/rule.yaml"
expect_rc 2 "unknown rule: exit 2"
expect_err 'unknown rule "ipp" (did you mean "ip"?)' "unknown rule: suggestion"
env -u SNAP_KEY "$SLUICE" snapshot "${SRC[sqlite]}" "$(fresh sqlite nokey)" >"$TMP/out" 2>"$TMP/err"
rc=$?
expect_rc 2 "no key: exit 2"
expect_err "SNAP_KEY" "no key: names the variable"

# ---- pii scan writes rules that a snapshot accepts ------------------------------------
run "$SLUICE" pii scan "${SRC[sqlite]}"
expect_rc 0 "pii scan"
expect_out "    customers:" "pii scan: customers"
expect_out "      email: email" "pii scan: email"
expect_out "      phone: phone" "pii scan: phone"
expect_out "      ip: ip" "pii scan: ip"
mkdir -p "$TMP/fromscan" && { cat "$TMP/out"; echo "  key_env: SNAP_KEY"; } >"$TMP/fromscan/sluice.yaml"
run "$SLUICE" snapshot "${SRC[sqlite]}" "$(fresh sqlite fromscan)" -C "$TMP/fromscan/sluice.yaml" --quiet
expect_rc 0 "a snapshot with the rules pii scan wrote"

# ---- resume after a lost connection: the same key only ----------------------------------
R=$(fresh sqlite resumed)
SLUICE_FAULT=write:3 run "$SLUICE" snapshot "${SRC[sqlite]}" "$R" --batch-rows 2000 --jobs 1 --quiet
expect_rc 3 "interrupted snapshot: exit 3"
run "$SLUICE" snapshot "${SRC[sqlite]}" "$R" --resume --key-env OTHER_KEY --quiet
expect_rc 5 "resume with another key: refused"
expect_err "another key" "resume with another key: says why"
run "$SLUICE" snapshot "${SRC[sqlite]}" "$R" --resume --quiet
expect_rc 0 "resume"
run "$SLUICE" diff "${TGT[sqlite:sqlite]}" "$R"
expect_rc 0 "resumed snapshot equals an uninterrupted one"

# ---- drop the server databases (kept on failure, for a look) -----------------------------
if [ "$failures" -eq 0 ] && [ -f "$TMP/made" ]; then
  while read -r m; do
    case ${m%%:*} in
      postgres) psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS ${m#*:} WITH (FORCE)" ;;
      mysql) my_client -e "DROP DATABASE IF EXISTS ${m#*:}" ;;
    esac
  done <"$TMP/made"
fi
finish
