#!/usr/bin/env bash
# test_report.sh - `sluice report` on the example project (examples/billing) on SQLite,
# PostgreSQL and MariaDB: with nothing recorded every section says what has not been run (and
# no state store is created); after up, check (a halt: no customers yet), rehearse, copy and two
# diffs, the report reads the map, the decision log and the history from the database and the
# state store, is NO-GO for the halted check, charts violations and discrepancies, and gives the
# same bytes twice. On SQLite a real cutover (waiting for its approval, then done) and a watch of
# its target (ok, then a breach) show up in the report's cutover and watch sections. The page is then opened in headless Chromium: it must render the map and the
# charts with no console error; its screenshot is kept as build/report-test.png and the printed
# page as report-test.pdf. Chromium is skipped only when it is not installed and
# SLUICE_TEST_REQUIRE is unset.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
export TMPDIR=$TMP
export USER=${USER:-tester}
BUILD=$(cd "$(dirname "$SLUICE")" && pwd)

# q FILE EXPR: the value of a python expression over the JSON document d
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
status() { q "$1" "d['sections']['$2']['status']"; }

for engine in $(engines); do
  E="[$engine]"
  P=$TMP/proj_$engine
  mkdir -p "$P/migrations"
  cp "$SLUICE_SOURCE_DIR/examples/billing/sluice.yaml" "$P/"
  cp "$SLUICE_SOURCE_DIR"/examples/billing/migrations/*.sql "$P/migrations/"
  cd "$P" || exit 1
  url=$(scratch_url "$engine" "reportt_$$")
  [ "$engine" = sqlite ] && sqlite3 "${url#sqlite:}" "VACUUM" # an empty database, as on the servers
  copy_url="sqlite:$TMP/copy_$engine.db"

  # ---- nothing recorded yet: the report says so and creates nothing ----
  run "$SLUICE" report "$url" --format json; expect_rc 0 "$E report with no state store"
  cp "$TMP/out" "$TMP/empty.json"
  [ ! -e .sluice ] && ok || bad "$E a report never creates the state store"
  [ "$(q "$TMP/empty.json" "d['verdict']['verdict']")" = NO-GO ] && ok || bad "$E nothing rehearsed: NO-GO"
  for s in rehearsals checks diffs copies shadow snapshots cutover watch; do
    [ "$(status "$TMP/empty.json" $s)" = not_run ] && ok || bad "$E $s not run yet"
  done
  [ "$(q "$TMP/empty.json" "d['sections']['migrations']['counts']['pending']")" = 4 ] && ok || bad "$E 4 pending changes"
  [ "$(q "$TMP/empty.json" "d['engine']")" = "$engine" ] && ok || bad "$E engine named"
  [ "$(q "$TMP/empty.json" "d['as_of_from']")" = "no record" ] && ok || bad "$E no record, no time"
  run "$SLUICE" report "$url"; expect_rc 0 "$E empty report as HTML"
  expect_out "No rehearsal recorded (there is no state store yet): run <code>sluice rehearse ENV</code>." "$E says what to run"

  # ---- evidence: migrations, a halted check, a rehearsal, a copy, two diffs ----
  run "$SLUICE" up "$url"; expect_rc 0 "$E up"
  run "$SLUICE" check "$url" --domain billing; expect_rc 1 "$E check halts on an empty customers table"
  run "$SLUICE" rehearse "$url"; expect_rc 0 "$E rehearse (nothing pending)"
  run "$SLUICE" copy "$url" "$copy_url" -q; expect_rc 0 "$E copy"
  run "$SLUICE" diff "$url" "$copy_url"; expect_rc 0 "$E diff: equal"
  sqlite3 "${copy_url#sqlite:}" "INSERT INTO customers (id, public_id, email, name, country) VALUES (77, 'x', 'x@example.com', 'X', 'SE')"
  run "$SLUICE" diff "$url" "$copy_url"; expect_rc 1 "$E diff: one extra row"
  [ "$(sqlite3 .sluice/state.db 'SELECT count(*) FROM diff_runs')" = 2 ] && ok || bad "$E diff runs recorded"
  [ "$(sqlite3 .sluice/state.db "SELECT status || ' ' || table_count FROM copy_runs")" = "finished 7" ] && ok \
    || bad "$E copy run recorded with its tables"
  [ "$(sqlite3 .sluice/state.db "SELECT extra FROM diff_tables WHERE run_id = 2 AND table_name = 'customers'")" = 1 ] \
    && ok || bad "$E the extra row is recorded against its table"

  if [ "$engine" = sqlite ]; then
    # snapshot and sync start create their SQLite target, as copy does (both refused a new file)
    run env SLUICE_DEMO_KEY=report-test-key-0123456789 "$SLUICE" snapshot "$url" "sqlite:$TMP/staging.db" --quiet
    expect_rc 0 "$E snapshot into a new SQLite file"
    run "$SLUICE" sync start "$url" "sqlite:$TMP/synced.db" --domain billing; expect_rc 0 "$E sync start into a new SQLite file"
    run "$SLUICE" report "$url" --sync "sqlite:$TMP/synced.db" --format json; expect_rc 0 "$E report with --sync"
    [ "$(status "$TMP/out" sync)" = pass ] && ok || bad "$E the sync is shown"
    [ "$(q "$TMP/out" "d['sections']['sync']['behind']")" = 0 ] && ok || bad "$E nothing waiting"
    [ "$(status "$TMP/out" snapshots)" = pass ] && ok || bad "$E the snapshot is shown"
    run "$SLUICE" sync stop "$url" "sqlite:$TMP/synced.db"; expect_rc 0 "$E sync stop"
    run "$SLUICE" report "$url" --sync "sqlite:$TMP/synced.db" --format json; expect_rc 0 "$E report after the stop"
    [ "$(status "$TMP/out" sync)" = not_run ] && ok || bad "$E no sync any more"

    # ---- a real cutover (as `make demo` runs one) and a watch of its target, in the report ----
    cat > cutover-test.yaml <<YAML
runbook: report-test
source: "$url"
target: "sqlite:$TMP/cut.db"
roles:
  dba: [ana]
downtime_budget: 30s
phases:
  - name: billing
    domain: billing
    steps:
      - sync-start
      - wait-lag: { max: 5s, timeout: 1m }
      - approve: { roles: [dba] }
      - freeze: { budget: 30s }
      - drain
      - diff: { max: 0 }
      - switch: { command: "true", timeout: 10s }
      - unfreeze
      - sync-stop
success:
  - { name: no lost billing records, type: lost_rows, tables: [customers, invoices, payments] }
  - { name: maximum downtime, type: downtime, max: 30s }
YAML
    run "$SLUICE" cutover run cutover-test.yaml --no-wait --quiet; expect_rc 8 "$E cutover stops at the approval"
    run "$SLUICE" report "$url" --format json; expect_rc 0 "$E report while the cutover waits"
    [ "$(status "$TMP/out" cutover)" = warn ] && ok || bad "$E a cutover waiting for approval is amber"
    [ "$(q "$TMP/out" "d['sections']['cutover']['runs'][0]['why']")" = "not done: waiting for approval of billing.approve" ] \
      && ok || bad "$E says what it waits for"
    run "$SLUICE" cutover approve billing.approve --as ana --note "checked <all>" -r cutover-test.yaml
    expect_rc 0 "$E approve"
    run "$SLUICE" cutover run cutover-test.yaml --quiet; expect_rc 0 "$E cutover done"
    run "$SLUICE" watch "sqlite:$TMP/cut.db" --source "$url" --checks diff --once; expect_rc 0 "$E watch the new side"
    run "$SLUICE" report "$url" --format json; expect_rc 0 "$E report after the cutover"
    cp "$TMP/out" "$TMP/cut.json"
    [ "$(status "$TMP/cut.json" cutover)" = pass ] && ok || bad "$E the cutover is green"
    [ "$(q "$TMP/cut.json" "d['sections']['cutover']['runs'][0]['status']")" = done ] && ok || bad "$E the run is done"
    [ "$(q "$TMP/cut.json" "[s['step'] for s in d['sections']['cutover']['runs'][0]['timeline']][-1]")" = billing.sync-stop ] \
      && ok || bad "$E the timeline ends with the last step"
    [ "$(q "$TMP/cut.json" "sorted((c['criterion'], c['ok']) for c in d['sections']['cutover']['runs'][0]['scorecard'])")" \
      = "[('maximum downtime', True), ('no lost billing records', True)]" ] && ok || bad "$E the scorecard"
    [ "$(q "$TMP/cut.json" "[(a['name'], a['role'], a['digest'][:7]) for a in d['sections']['cutover']['runs'][0]['approvals']]")" \
      = "[('ana', 'dba', 'sha256:')]" ] && ok || bad "$E the approval with its evidence digest"
    [ "$(q "$TMP/cut.json" "[(f['budget_ms'], f['within_budget'], f['window_ms'] < 30000) for f in d['sections']['cutover']['runs'][0]['freezes']]")" \
      = "[(30000, True, True)]" ] && ok || bad "$E the freeze window against its budget"
    [ "$(status "$TMP/cut.json" watch)" = pass ] && ok || bad "$E the watch is green"
    [ "$(q "$TMP/cut.json" "[(t['state'], t['runs']) for t in d['sections']['watch']['targets']]")" = "[('ok', 1)]" ] \
      && ok || bad "$E the watched target's state"
    # the new side drifts: the next watch run breaches, and the report is red for it
    sqlite3 "$TMP/cut.db" "INSERT INTO customers (id, public_id, email, name, country) VALUES (78, 'y', 'y@example.com', 'Y', 'SE')"
    run "$SLUICE" watch "sqlite:$TMP/cut.db" --source "$url" --checks diff --once; expect_rc 0 "$E watch again"
    run "$SLUICE" report "$url" --format json; expect_rc 0 "$E report after the breach"
    [ "$(status "$TMP/out" watch)" = fail ] && ok || bad "$E a watch in breach is red"
    [ "$(q "$TMP/out" "'watch' in [x['section'] for x in d['verdict']['red']]")" = True ] && ok || bad "$E the verdict names it"
    [ "$(q "$TMP/out" "d['as_of'] >= d['sections']['watch']['targets'][0]['last_run_at']")" = True ] && ok \
      || bad "$E the report's time counts the watch"
  fi
  run "$SLUICE" report "$url" --format json; expect_rc 0 "$E report json"
  cp "$TMP/out" "$TMP/r.json"
  [ "$(q "$TMP/r.json" "d['format']")" = sluice-report/1 ] && ok || bad "$E format"
  [ "$(q "$TMP/r.json" "d['verdict']['verdict']")" = NO-GO ] && ok || bad "$E NO-GO"
  red="['checks', 'diffs']"
  [ "$engine" = sqlite ] && red="['checks', 'diffs', 'watch']"
  [ "$(q "$TMP/r.json" "sorted(x['section'] for x in d['verdict']['red'])")" = "$red" ] && ok \
    || bad "$E red: the halted check and the last diff (and the watch in breach)"
  [ "$(status "$TMP/r.json" copies)" = pass ] && ok || bad "$E copy finished"
  [ "$(status "$TMP/r.json" rehearsals)" = pass ] && ok || bad "$E rehearsal GO"
  [ "$(status "$TMP/r.json" migrations)" = pass ] && ok || bad "$E decision log"
  [ "$(q "$TMP/r.json" "d['sections']['migrations']['counts']['applied']")" = 4 ] && ok || bad "$E 4 applied"
  [ "$(q "$TMP/r.json" "[m['applied_by'] for m in d['sections']['migrations']['log']][0]")" = "$USER" ] && ok \
    || bad "$E who applied, from the history table"
  [ "$(q "$TMP/r.json" "d['sections']['map']['map']['format']")" = sluice-map/1 ] && ok || bad "$E the map embedded"
  [ "$(q "$TMP/r.json" "d['sections']['map']['map']['counts']['consumer']")" = 4 ] && ok || bad "$E 4 consumers"
  [ "$(q "$TMP/r.json" "[r['discrepancies'] for r in d['sections']['diffs']['runs']]")" = "[1, 0]" ] && ok \
    || bad "$E diff history newest first"
  [ "$(q "$TMP/r.json" "d['as_of_from']")" = "newest record" ] && ok || bad "$E time of the newest record"

  run "$SLUICE" report "$url" --out "$TMP/r1.html"; expect_rc 0 "$E report html"
  expect_err "report written to $TMP/r1.html: NO-GO" "$E says where and what"
  run "$SLUICE" report "$url" --out "$TMP/r2.html"; expect_rc 0 "$E report again"
  cmp -s "$TMP/r1.html" "$TMP/r2.html" && ok || bad "$E the same inputs give the same bytes"
  if [ "$engine" = sqlite ]; then
    for want in 'id="chart-cutover-' 'id="chart-watch-t"' "<caption>Scorecard: the runbook's success criteria</caption>" \
                'checked &lt;all&gt;'; do
      grep -qF -- "$want" "$TMP/r1.html" && ok || bad "$E page has $want"
    done
  fi
  for want in '<section id="map"' '<svg class="chart"' 'id="chart-checks-t"' 'id="chart-diffs-t"' \
              'id="map-diagram-t"' '<caption>Who uses the data, and how much it matters</caption>' \
              '<th scope="row">invoice-run' 'Create refunds' '<p class="word">NO-GO</p>' \
              '<script type="application/json" id="sluice-report-data">'; do
    grep -qF -- "$want" "$TMP/r1.html" && ok || bad "$E page has $want"
  done
  grep -q 'style="' "$TMP/r1.html" && bad "$E no style attribute (CSP)" || ok
  run "$SLUICE" report "$url" --format md --now 2026-03-01T12:00:00Z; expect_rc 0 "$E markdown"
  expect_out "## Verdict: " "$E md verdict"
  expect_out "as of 2026-03-01T12:00:00Z." "$E --now is the report's time"
  run "$SLUICE" report "$url" --now yesterday; expect_rc 2 "$E bad --now"
  expect_err "--now expects a UTC time like 2026-03-01T12:00:00Z" "$E says what --now takes"
  run "$SLUICE" report "$url" --format pdf; expect_rc 2 "$E bad --format"
  [ "$engine" = postgres ] && { run "$SLUICE" report "postgres://sluice@127.0.0.1:1/none"; expect_rc 3 "$E unreachable database: exit 3"; }
  [ "$engine" = sqlite ] && cp "$TMP/r1.html" "$BUILD/report-test.html"
  cd "$TMP" || exit 1
done

# ---- the page in a browser: rendered, no console error, a screenshot kept ----
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  if [ "${SLUICE_TEST_REQUIRE:-}" = 1 ]; then
    bad "chromium is required (scripts/deps.sh test installs it)"
  else
    echo "skip: chromium is not installed; the page was not opened in a browser"
  fi
  finish; exit
fi
browse() { # browse OUT ERR ARGS... (a fresh profile each time)
  local out=$1 err=$2; shift 2
  local prof; prof=$(mktemp -d "$TMP/chromium.XXXXXX")
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
    --enable-logging=stderr --v=0 "$@" >"$out" 2>"$err"
}
# console errors as Chromium logs them: script errors, CSP refusals, failed loads
console_errors() { grep -E 'CONSOLE|Refused to|Content Security Policy|Uncaught|net::ERR_' "$1"; }

PAGE="$BUILD/report-test.html"
rm -f "$BUILD/report-test.png"
browse "$TMP/shot.out" "$TMP/shot.err" --screenshot="$BUILD/report-test.png" --window-size=1200,2000 "file://$PAGE"
[ -s "$BUILD/report-test.png" ] && [ "$(stat -c %s "$BUILD/report-test.png")" -gt 20000 ] && ok \
  || bad "screenshot written ($(cat "$TMP/shot.err" | tail -3))"
console_errors "$TMP/shot.err" && bad "no console error while rendering" || ok
browse "$TMP/dom.html" "$TMP/dom.err" --dump-dom "file://$PAGE"
for want in '<section id="map"' '<svg class="chart"' 'aria-labelledby="chart-checks-t chart-checks-d"' \
            '<svg class="map"' '<p class="word">NO-GO</p>' 'aria-labelledby="chart-watch-t chart-watch-d"' \
            '<section id="cutover"'; do
  grep -qF -- "$want" "$TMP/dom.html" && ok || bad "the rendered page has $want"
done
console_errors "$TMP/dom.err" && bad "no console error in the rendered page" || ok
# printable: the print layout makes a PDF (kept beside the screenshot)
rm -f "$BUILD/report-test.pdf"
browse "$TMP/pdf.out" "$TMP/pdf.err" --no-pdf-header-footer --print-to-pdf="$BUILD/report-test.pdf" "file://$PAGE"
[ "$(head -c 5 "$BUILD/report-test.pdf" 2>/dev/null)" = "%PDF-" ] && ok || bad "the page prints to PDF"
console_errors "$TMP/pdf.err" && bad "no console error while printing" || ok
# the check above sees errors when there are some: a page that breaks its own policy
cat > "$TMP/violates.html" <<'HTML'
<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>x</title><style>p{color:red}</style></head><body><p>x</p><script>document.title='y'</script></body></html>
HTML
browse "$TMP/v.out" "$TMP/v.err" --dump-dom "file://$TMP/violates.html"
console_errors "$TMP/v.err" >/dev/null && ok || bad "a page that violates its policy is caught ($(tail -3 "$TMP/v.err"))"
finish
