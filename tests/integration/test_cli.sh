#!/usr/bin/env bash
# test_cli.sh - the sluice binary end to end: help for every command, inspect
# in three formats on the example database, and the error contract (exit
# codes, the wrong part named, passwords never printed).
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"

EX="$SLUICE_SOURCE_DIR/examples/billing/billing.db"
cp "$EX" "$TMP/b.db"
DB="sqlite:$TMP/b.db"

run "$SLUICE" --version; expect_rc 0 "version"; expect_out "sluice " "version"
run "$SLUICE"; expect_rc 2 "no command"
run "$SLUICE" frobnicate; expect_rc 2 "unknown command"; expect_err 'unknown command "frobnicate"' "unknown command"
run "$SLUICE" help; expect_rc 0 "help"
for cmd in $(awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}' "$TMP/out"); do
  run "$SLUICE" "$cmd" --help; expect_rc 0 "$cmd --help"; expect_out "usage: sluice $cmd" "$cmd --help"
  run "$SLUICE" help "$cmd"; expect_rc 0 "help $cmd"
done

run "$SLUICE" inspect "$DB"
expect_rc 0 "inspect text"
expect_out "table invoices (72 rows)" "inspect text"
expect_out "foreign key (customer_id) -> customers (id) on delete restrict" "inspect text"
expect_out "view customer_balances reads" "inspect text"
expect_out "trigger payments_audit AFTER INSERT on payments" "inspect text"

run "$SLUICE" inspect "$DB" --format json
expect_rc 0 "inspect json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t={x["name"]:x for x in d["tables"]}; assert t["invoices"]["rows"]==72; assert t["invoices"]["columns"][6]["type"]["portable"]=="decimal(12,2)"; assert d["views"][0]["name"]=="customer_balances"' "$TMP/out"; then ok; else bad "inspect json content"; fi

run "$SLUICE" inspect "$DB" --format md --title "Billing"
expect_rc 0 "inspect md"
expect_out "# Data map: Billing" "md title"
expect_out '```mermaid' "md diagram"
expect_out "| [invoices](#table-invoices) | 72 | customers, subscriptions | invoice_items, payments |" "md glance row"
expect_out "Deleting that customers row also deletes these rows." "md cascade sentence"

run "$SLUICE" inspect "$DB" --format yaml; expect_rc 2 "bad format"; expect_err 'unknown format "yaml"' "bad format"
run "$SLUICE" inspect "$DB" --bogus; expect_rc 2 "unknown option"; expect_err 'unknown option "--bogus"' "unknown option"
run "$SLUICE" inspect; expect_rc 2 "missing URL"

# copy --domain: only the tables sluice.yaml names for that domain
run "$SLUICE" copy -C "$SLUICE_SOURCE_DIR/examples/billing/sluice.yaml" --domain audit "$DB" "sqlite:$TMP/audit.db" --quiet
expect_rc 0 "copy --domain"
[ "$(sqlite3 "$TMP/audit.db" "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sluice%' AND name NOT LIKE 'sqlite%'")" = audit_log ] \
  && ok || bad "copy --domain copied only audit_log"
[ "$(sqlite3 "$TMP/audit.db" "SELECT count(*) FROM audit_log")" = 40 ] && ok || bad "copy --domain rows"
run "$SLUICE" copy -C "$SLUICE_SOURCE_DIR/examples/billing/sluice.yaml" --domain nosuch "$DB" "sqlite:$TMP/x.db"
expect_rc 2 "copy --domain unknown"; expect_err 'no domain "nosuch"' "copy --domain unknown"

# malformed URLs: exit 2, the wrong part named
run "$SLUICE" inspect 'mysql://app:SECRETPW@db:99x/billing'
expect_rc 2 "bad port"; expect_err 'invalid port "99x"' "bad port"; expect_nowhere SECRETPW "bad port"
run "$SLUICE" inspect 'oracle://x'; expect_rc 2 "bad scheme"; expect_err 'unknown scheme "oracle"' "bad scheme"
run "$SLUICE" inspect 'postgresql://u:SECRETPW@h/db?bogus_option=1'
expect_rc 2 "bad pg option"; expect_nowhere SECRETPW "bad pg option"

# a malformed URL is a usage error on every engine: exit 2 before anything
# connects (the hosts do not resolve), the URL shown masked, the bad part named
bad_url() { # LABEL URL PART... : every PART in the message
  local label=$1 url=$2; shift 2
  for cmd in inspect "diff sqlite:$TMP/b.db" "copy sqlite:$TMP/b.db"; do
    run "$SLUICE" $cmd "$url"
    expect_rc 2 "$label ($cmd)"
    expect_nowhere SECRETPW "$label ($cmd): password masked"
    for part in "$@"; do expect_err "$part" "$label ($cmd)"; done
    grep -q "connect to" "$TMP/err" && bad "$label ($cmd): it tried to connect" || ok
  done
}
bad_url "pg port" 'postgres://u:SECRETPW@nowhere.invalid:notaport/x' 'URL postgres://u:***@nowhere.invalid:notaport/x' 'invalid port "notaport"'
bad_url "pg empty host, bad port" 'postgres://u@:notaport/x' 'invalid port "notaport"'
bad_url "pg port list" 'postgresql://nowhere.invalid:5432,other.invalid:5x/db' 'invalid port "5x"'
bad_url "pg sslmode" 'postgres://nowhere.invalid/db?sslmode=sometimes' 'invalid sslmode "sometimes"'
bad_url "pg keyword port" 'postgres:host=nowhere.invalid password=SECRETPW port=12a' 'password=***' 'invalid port "12a"'
bad_url "pg keyword quote" "postgres:host=nowhere.invalid password='SECRETPW" 'unterminated quoted string'
bad_url "mysql port" 'mysql://u:SECRETPW@nowhere.invalid:99x/db' 'URL mysql://u:***@nowhere.invalid:99x/db' 'invalid port "99x"'
bad_url "mysql option" 'mysql://u:SECRETPW@nowhere.invalid/db?conect-timeout=3' 'unknown option "conect-timeout"'
bad_url "mariadb ssl-mode" 'mariadb://nowhere.invalid/db?ssl-mode=maybe' 'invalid ssl-mode "maybe"'
bad_url "sqlite option" "sqlite:$TMP/x.db?mode=sometimes" 'invalid value "sometimes" for option "mode"'
bad_url "sqlite empty path" 'sqlite:' 'missing file path'
bad_url "scheme" 'oracle://u:SECRETPW@nowhere.invalid/x' 'unknown scheme "oracle"'

# unreachable servers: exit 3, host named, password never printed
run "$SLUICE" inspect 'postgresql://app:SECRETPW@127.0.0.1:1/billing?connect_timeout=3'
expect_rc 3 "pg unreachable"; expect_err "127.0.0.1" "pg unreachable"; expect_nowhere SECRETPW "pg unreachable"
run "$SLUICE" inspect 'mysql://app:SECRETPW@127.0.0.1:1/billing?connect-timeout=3'
expect_rc 3 "mysql unreachable"; expect_err "127.0.0.1" "mysql unreachable"; expect_nowhere SECRETPW "mysql unreachable"
run "$SLUICE" inspect "sqlite:$TMP/no/such/dir/x.db"
expect_rc 2 "sqlite missing dir"; expect_err "no such SQLite file \"$TMP/no/such/dir/x.db\"" "sqlite missing dir"
run "$SLUICE" copy "sqlite:$TMP/b.db" "sqlite:$TMP/no/such/dir/x.db"
expect_rc 3 "sqlite target in a missing dir"; expect_err "$TMP/no/such/dir/x.db" "sqlite target in a missing dir"

# wrong password against the real servers: exit 3, never echoed
if [ -n "${SLUICE_TEST_MY_URL:-}" ]; then
  hostport=${SLUICE_TEST_MY_URL#*@}
  run "$SLUICE" inspect "mysql://sluice:WRONGSECRET@${hostport}"
  expect_rc 3 "mysql wrong password"; expect_nowhere WRONGSECRET "mysql wrong password"
fi

finish
