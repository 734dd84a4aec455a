#!/usr/bin/env bash
# test_cutover.sh - `sluice cutover` end to end with the real binary on the
# example billing project, a writer inserting customers all along and
# following the switch hook's route:
#   1. SQLite source -> PostgreSQL target, two phases (billing, then audit):
#      gates pass, two approvals recorded (a name outside the roles refused,
#      an approval of other evidence refused), the freeze denies the writer
#      and is measured, the switch repoints it, diff 0 under the freeze, the
#      scorecard is all green, every acknowledged write is on the target, no
#      password anywhere, nothing of sluice left in either database;
#   2. the same with a discrepancy injected on the target after the switch:
#      the watch gate fails and the phase rolls back to the source, carrying
#      the target's writes back (diff 0 under the rollback's freeze);
#   3. SQLite -> SQLite with the run SIGKILLed at several points (mid-copy,
#      frozen, inside the switch hook, while watching) and resumed: no step
#      completes twice in the journal, the switch hook ran once, nothing lost;
#      then a freeze whose budget runs out while nobody runs the runbook:
#      the trigger lets writes through, the watchdog removes the fence, and the
#      resumed run rolls back;
#   4. bad input and faults: unknown step type, table, domain, rule and key
#      (file:line:col and a suggestion), a switch hook that fails and one
#      that hangs (killed at its timeout, then rollback), two runs at once.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
has() { echo "$ENGINES" | grep -qx "$1"; }
EX=$SLUICE_SOURCE_DIR/examples/billing

# project NAME TARGET_URL: the example project in $TMP/NAME with environment `cut` at TARGET_URL,
# adopted (baseline) and rehearsed (a GO for the gate)
project() {
  local d=$TMP/$1
  rm -rf "$d"; mkdir -p "$d"; cp -r "$EX/." "$d/"
  sed -i "s|url: \"sqlite:billing-cut.db\"|url: \"$2\"|" "$d/sluice.yaml"
  (cd "$d" && "$SLUICE" baseline 20260301090000 dev >/dev/null 2>&1 && "$SLUICE" rehearse dev >/dev/null 2>&1) ||
    bad "$1: baseline and rehearse"
  echo "$d"
}

# runbook FILE WATCH_SECONDS SWITCH_COMMAND [BUDGET] [APPROVE]: a two-phase runbook for the tests
runbook() {
  local f=$1 watch=$2 sw=$3 budget=${4:-60s} approve=${5:-yes}
  {
    cat <<EOF
runbook: test-cutover
source: dev
target: cut
roles:
  dba: [ana, bo]
  finance: [carla]
downtime_budget: $budget
notify:
  command: cat >> notifications.jsonl
  timeout: 5s
phases:
  - name: billing
    domain: billing
    steps:
      - rehearse-required: { max_age: 1d }
      - sync-start
      - wait-lag: { max: 5s, timeout: 2m }
      - check: { rules: [billing], on: target }
      - shadow
EOF
    [ "$approve" = yes ] && echo "      - approve: { roles: [dba, finance] }"
    cat <<EOF
      - freeze
      - drain: { timeout: 60s }
      - diff: { max: 0 }
      - sync-reverse
      - switch: { command: "$sw", check: ./switch.sh --check billing, timeout: 3s, on_fail: rollback }
      - unfreeze
      - watch: { for: ${watch}s, every: 1s, rules: [invoice totals match their items], max_lag: 10s, on_fail: rollback }
      - sync-stop
    rollback:
      - freeze: { on: target }
      - drain: { timeout: 60s }
      - diff: { max: 0 }
      - switch: { command: ./switch.sh --back billing, timeout: 5s }
      - unfreeze
      - sync-stop
  - name: audit
    domain: audit
    steps:
      - sync-start
      - freeze: { budget: 30s }
      - drain
      - diff
      - unfreeze
      - sync-stop
success:
  - { name: no lost billing records, type: lost_rows, tables: [customers, invoices, invoice_items, payments] }
  - { name: no duplicate customers, type: rules, rules: [one account per email] }
  - { name: maximum downtime, type: downtime, max: 60s }
  - { name: workflow queries equal, type: shadow }
EOF
  } >"$f"
}

exec_on() { # exec_on KIND URL SQL: one statement, exit status of the client
  case $1 in
    sqlite) sqlite3 -cmd ".timeout 5000" "${2#sqlite:}" "$3" >/dev/null 2>&1 ;;
    postgres) psql -q -v ON_ERROR_STOP=1 "$2" -c "$3" >/dev/null 2>&1 ;;
  esac
}

# writer DIR SKIND SURL TKIND TURL FIRST_ID: inserts customers where routes/billing points until DIR/stop exists;
# DIR/acked lists "id side" of every insert the database acknowledged, DIR/denied the refused ones
writer() {
  local d=$1 sk=$2 su=$3 tk=$4 tu=$5 id=$6 side q
  while [ ! -e "$d/stop" ]; do
    side=source
    [ "$(cat "$d/routes/billing" 2>/dev/null)" = target ] && side=target
    q="INSERT INTO customers (id, public_id, email, name, country) VALUES ($id, '$(printf '00000000-0000-4000-8000-%012d' "$id")', 'w$id@example.test', 'Writer $id', 'US')"
    if { [ $side = source ] && exec_on "$sk" "$su" "$q"; } || { [ $side = target ] && exec_on "$tk" "$tu" "$q"; }; then
      echo "$id $side" >>"$d/acked"; id=$((id + 1))
    else
      echo "$id $side" >>"$d/denied"; sleep 0.05
    fi
  done
}

state_q() { sqlite3 -cmd ".timeout 5000" "$1/.sluice/state.db" "$2" 2>/dev/null; }

# wait_until SECONDS CMD...: polls CMD every 0.2 s; 1 when it never succeeded
wait_until() {
  local limit=$1 t=0; shift
  while ! "$@"; do
    sleep 0.2; t=$((t + 1))
    [ $t -ge $((limit * 5)) ] && return 1
  done
  return 0
}
waiting_at() { [ "$(state_q "$1" "SELECT count(*) FROM cutover_steps WHERE step = '$2' AND status IN ('running', 'waiting')")" -ge 1 ] &&
  [ "$(state_q "$1" "SELECT count(*) FROM cutover_requests WHERE step = '$2'")" -ge 1 ]; }
step_done() { [ "$(state_q "$1" "SELECT count(*) FROM cutover_steps WHERE step = '$2' AND status = 'done'")" -ge 1 ]; }
lifted_by_watchdog() { [ "$(state_q "$1" "SELECT lifted_by FROM cutover_freezes")" = watchdog ]; }
step_running() { [ "$(state_q "$1" "SELECT count(*) FROM cutover_steps WHERE step = '$2' AND status = 'running'")" -ge 1 ]; }

# each step of the run completed at most once (the journal's own count)
once_each() { # once_each DIR DESC
  local twice
  twice=$(state_q "$1" "SELECT step || ' ' || path || ' x' || count(*) FROM cutover_steps WHERE status = 'done'
                         GROUP BY step, path HAVING count(*) > 1")
  [ -z "$twice" ] && ok || bad "$2: steps completed twice: $twice"
}

# every acknowledged write is on SIDE (KIND URL)
all_acked_on() { # all_acked_on DIR KIND URL DESC
  local want have missing
  want=$(awk '{print $1}' "$1/acked" | sort -n | uniq)
  have=$(sql "$2" "$3" "SELECT id FROM customers WHERE id >= 100000 ORDER BY id")
  missing=$(comm -23 <(echo "$want" | sort) <(echo "$have" | sort))
  [ -n "$want" ] && [ -z "$missing" ] && ok || bad "$4: acknowledged writes missing: $(echo $missing | head -c 200) (of $(echo "$want" | wc -l))"
}

no_sluice_left() { # no_sluice_left KIND URL DESC
  local n
  case $1 in
    sqlite) n=$(sqlite3 "${2#sqlite:}" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sluice\_freeze%' ESCAPE '\\' OR name LIKE 'sluice\_sync%' ESCAPE '\\'") ;;
    postgres) n=$(sql postgres "$2" "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'sluice\_%') + (SELECT count(*) FROM pg_class WHERE relname LIKE 'sluice\_freeze%' OR relname LIKE 'sluice\_sync%')") ;;
  esac
  [ "$n" = 0 ] && ok || bad "$3: sluice objects left: $n"
}

# ---- 1. SQLite -> PostgreSQL, a writer throughout ----
e2e_postgres() {
  local url d wpid cpid
  url=$(scratch_url postgres cutover_e2e)
  url=${url/postgres@/postgres:cutover-secret-pw@}
  d=$(project e2e "$url")
  runbook "$d/cutover.yaml" 2 "./switch.sh billing"
  cd "$d" || return
  run "$SLUICE" cutover plan cutover.yaml; expect_rc 0 "e2e: plan"; expect_out "billing.freeze" "e2e: plan lists the steps"
  writer "$d" sqlite "sqlite:$d/billing.db" postgres "$url" 100000 &
  wpid=$!
  "$SLUICE" cutover run cutover.yaml >"$d/run.out" 2>"$d/run.err" &
  cpid=$!
  wait_until 120 waiting_at "$d" billing.approve || bad "e2e: the run never asked for approval"
  run "$SLUICE" cutover approve billing.approve --as mallory --note "let me in"
  expect_rc 6 "e2e: a name outside the roles"; expect_err "may not approve" "e2e: refusal names why"
  run "$SLUICE" cutover approve billing.approve --as ana --digest sha256:0000 --note "other evidence"
  expect_rc 5 "e2e: an approval of other evidence"
  run "$SLUICE" cutover approve billing.approve --as ana --note "figures checked"; expect_rc 0 "e2e: ana approves"
  run "$SLUICE" cutover approve billing.approve --as ana --role finance; expect_rc 6 "e2e: one person, two roles"
  run "$SLUICE" cutover approve billing.approve --as carla --note "totals reconcile"; expect_rc 0 "e2e: carla approves"
  wait $cpid; rc=$?
  touch "$d/stop"; wait $wpid
  cp "$d/run.out" "$TMP/out"; cp "$d/run.err" "$TMP/err"
  expect_rc 0 "e2e: cutover run"
  expect_out "scorecard: 4 of 4 criteria met" "e2e: scorecard all green"
  [ "$(cat "$d/routes/billing")" = target ] && ok || bad "e2e: the switch hook did not repoint the writer"
  once_each "$d" "e2e"
  [ "$(state_q "$d" "SELECT count(*) FROM cutover_approvals")" = 2 ] && ok || bad "e2e: approvals recorded"
  local win
  win=$(state_q "$d" "SELECT (ended_us - started_us) / 1000 FROM cutover_freezes WHERE phase = 'billing'")
  [ -n "$win" ] && [ "$win" -gt 0 ] && [ "$win" -lt 60000 ] && ok || bad "e2e: freeze window measured ($win ms)"
  [ -s "$d/denied" ] && ok || bad "e2e: the freeze never denied the writer"
  [ "$(state_q "$d" "SELECT json_extract(figures, '\$.discrepancies') FROM cutover_steps WHERE step = 'billing.diff' AND status = 'done'")" = 0 ] &&
    ok || bad "e2e: diff under the freeze"
  [ "$(state_q "$d" "SELECT count(*) FROM cutover_scorecard WHERE ok = 1")" = 4 ] && ok || bad "e2e: scorecard stored"
  grep -q ' target$' "$d/acked" && ok || bad "e2e: no write reached the target after the switch"
  all_acked_on "$d" postgres "$url" "e2e"
  run "$SLUICE" diff dev cut --tables subscriptions,invoices,invoice_items,payments,audit_log
  expect_rc 0 "e2e: diff after the cutover"; expect_out "0 discrepancies" "e2e: diff 0"
  no_sluice_left sqlite "sqlite:$d/billing.db" "e2e source"; no_sluice_left postgres "$url" "e2e target"
  run "$SLUICE" cutover status cutover.yaml --json; expect_rc 0 "e2e: status --json"
  expect_out '"format": "sluice-cutover/1"' "e2e: JSON form"
  grep -ac "cutover-secret-pw" "$d/.sluice/state.db" "$d/run.out" "$d/run.err" "$d/notifications.jsonl" "$TMP/out" | grep -qv ':0$' &&
    bad "e2e: the password was written somewhere" || ok
  run "$SLUICE" cutover run cutover.yaml; expect_rc 5 "e2e: a finished run is not run again"
  cd "$TMP" || return
}

# ---- 2. a discrepancy after the switch: rollback to the source, no write lost ----
rollback_postgres() {
  local url d wpid cpid
  url=$(scratch_url postgres cutover_rb)
  d=$(project rb "$url")
  runbook "$d/cutover.yaml" 8 "./switch.sh billing" 60s no
  cd "$d" || return
  writer "$d" sqlite "sqlite:$d/billing.db" postgres "$url" 200000 &
  wpid=$!
  "$SLUICE" cutover run cutover.yaml >"$d/run.out" 2>"$d/run.err" &
  cpid=$!
  wait_until 120 step_running "$d" billing.watch || bad "rollback: the watch never began"
  sleep 1
  # the application writes an invoice whose total does not match its items
  exec_on postgres "$url" "INSERT INTO invoices (id, customer_id, number, issued_on, total, currency, status)
                           VALUES (900001, 1, 'INV-INJECTED', '2026-12-01', 99.00, 'USD', 'open')" ||
    bad "rollback: inject"
  wait $cpid; rc=$?
  sleep 0.5; touch "$d/stop"; wait $wpid
  cp "$d/run.out" "$TMP/out"; cp "$d/run.err" "$TMP/err"
  expect_rc 1 "rollback: the run ends rolled back"
  expect_out "rolled_back" "rollback: status"
  expect_err "invoice totals match their items" "rollback: the failed rule is named"
  [ "$(cat "$d/routes/billing")" = source ] && ok || bad "rollback: the writer was not pointed back"
  [ "$(state_q "$d" "SELECT json_extract(figures, '\$.discrepancies') FROM cutover_steps WHERE step = 'billing.rollback.diff' AND status = 'done'")" = 0 ] &&
    ok || bad "rollback: diff 0 under the rollback's freeze"
  [ "$(state_q "$d" "SELECT count(*) FROM cutover_steps WHERE path = 'rollback' AND status = 'done'")" = 6 ] &&
    ok || bad "rollback: every rollback step done"
  once_each "$d" "rollback"
  all_acked_on "$d" sqlite "sqlite:$d/billing.db" "rollback: writes on the source"
  grep -q ' target$' "$d/acked" && ok || bad "rollback: no write went to the target before the rollback"
  [ "$(sqlite3 "$d/billing.db" "SELECT count(*) FROM invoices WHERE id = 900001")" = 1 ] && ok ||
    bad "rollback: the target's write was not carried back"
  # rows on the target the source lacks: none (the source has more: the writer went on there)
  run "$SLUICE" diff cut dev --tables customers,invoices,invoice_items,payments --json
  [ "$(grep '"kind":"summary"' "$TMP/out" | grep -c '"missing":0')" = 4 ] && ok || bad "rollback: the target holds rows the source lacks"
  [ "$(state_q "$d" "SELECT count(*) FROM cutover_scorecard WHERE criterion = 'no lost billing records' AND ok = 1")" = 1 ] &&
    ok || bad "rollback: scorecard says a record was lost"
  no_sluice_left sqlite "sqlite:$d/billing.db" "rollback source"; no_sluice_left postgres "$url" "rollback target"
  cd "$TMP" || return
}

# ---- 3. SIGKILL at several points, resumed ----
kills_sqlite() {
  local d wpid cpid kills=0 point target
  d=$(project kills "sqlite:billing-cut.db")
  runbook "$d/cutover.yaml" 3 "sleep 1; ./switch.sh billing" 60s no
  sed -i 's/timeout: 3s, on_fail: rollback/timeout: 10s, on_fail: rollback/' "$d/cutover.yaml"
  # the switch hook also counts its runs
  printf '#!/bin/sh\necho run >> switch-runs\nexec ./switch.sh "$@"\n' >"$d/count-switch.sh"; chmod +x "$d/count-switch.sh"
  sed -i 's|command: "sleep 1; ./switch.sh billing"|command: "sleep 1; ./count-switch.sh billing"|' "$d/cutover.yaml"
  cd "$d" || return
  writer "$d" sqlite "sqlite:$d/billing.db" sqlite "sqlite:$d/billing-cut.db" 300000 &
  wpid=$!
  for point in billing.sync-start billing.drain billing.switch billing.watch; do
    # the short steps wait, journaled as running, until the kill (docs/testing.md)
    SLUICE_FAULT_HOLD=billing.sync-start,billing.drain "$SLUICE" cutover run cutover.yaml >>"$d/run.out" 2>>"$d/run.err" &
    cpid=$!
    if wait_until 60 step_running "$d" "$point"; then
      [ "$point" = billing.switch ] && sleep 0.5
      kill -9 $cpid 2>/dev/null && kills=$((kills + 1))
    fi
    wait $cpid 2>/dev/null
    if [ "$point" = billing.drain ]; then
      # killed while frozen: the fence stands, and so does its watchdog
      [ "$(state_q "$d" "SELECT count(*) FROM cutover_freezes WHERE ended_us IS NULL")" = 1 ] && ok || bad "kills: no fence standing after the kill"
      target=$(state_q "$d" "SELECT watchdog_pid FROM cutover_freezes WHERE ended_us IS NULL")
      [ -n "$target" ] && kill -0 "$target" 2>/dev/null && ok || bad "kills: no watchdog alive after the kill"
    fi
  done
  run "$SLUICE" cutover run cutover.yaml
  touch "$d/stop"; wait $wpid
  expect_rc 0 "kills: the last resume completes"
  [ $kills -ge 4 ] && ok || bad "kills: only $kills kills landed"
  [ "$(state_q "$d" "SELECT count(*) FROM cutover_steps WHERE status = 'interrupted'")" -ge 3 ] && ok || bad "kills: interrupted attempts journaled"
  once_each "$d" "kills"
  [ "$(wc -l <"$d/switch-runs")" = 1 ] && ok || bad "kills: the switch hook ran $(wc -l <"$d/switch-runs") times"
  all_acked_on "$d" sqlite "sqlite:$d/billing-cut.db" "kills"
  expect_out "scorecard: 4 of 4 criteria met" "kills: scorecard"
  no_sluice_left sqlite "sqlite:$d/billing.db" "kills source"
  cd "$TMP" || return
}

# ---- 3b. the budget runs out while nobody runs the runbook ----
budget_sqlite() {
  local d cpid wd t0
  d=$(project budget "sqlite:billing-cut.db")
  runbook "$d/cutover.yaml" 1 "./switch.sh billing" 3s no
  cd "$d" || return
  "$SLUICE" cutover run cutover.yaml >"$d/run.out" 2>"$d/run.err" &
  cpid=$!
  wait_until 60 step_done "$d" billing.freeze || bad "budget: no freeze"
  kill -9 $cpid; wait $cpid 2>/dev/null
  exec_on sqlite "sqlite:$d/billing.db" "UPDATE customers SET name = name WHERE id = 1" && bad "budget: the fence let a write through" || ok
  sleep 3.5
  exec_on sqlite "sqlite:$d/billing.db" "UPDATE customers SET name = 'after the deadline' WHERE id = 1" && ok ||
    bad "budget: the fence did not lift itself at the deadline"
  wait_until 10 lifted_by_watchdog "$d" || bad "budget: the watchdog did not lift the fence"
  [ "$(sqlite3 "$d/billing.db" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sluice_freeze%'")" = 0 ] && ok || bad "budget: fence left"
  run "$SLUICE" cutover run cutover.yaml
  expect_rc 1 "budget: resumed after the budget ran out"
  expect_err "ran past its budget" "budget: says why"
  [ "$(state_q "$d" "SELECT status FROM cutover_runs")" = rolled_back ] && ok || bad "budget: not rolled back"
  cd "$TMP" || return
}

# ---- 4. bad input and faults ----
bad_input() {
  local d
  d=$(project badin "sqlite:billing-cut.db")
  cd "$d" || return
  runbook cutover.yaml 1 "./switch.sh billing" 60s no
  sed 's/      - freeze$/      - frezze/' cutover.yaml >bad1.yaml
  run "$SLUICE" cutover plan bad1.yaml --offline; expect_rc 2 "bad: unknown step type"
  expect_err "bad1.yaml:$(grep -n -- '- frezze' bad1.yaml | cut -d: -f1):9: unknown step type \"frezze\" (did you mean \"freeze\"?)" \
    "bad: step type position and suggestion"
  sed 's/domain: billing/domain: biling/' cutover.yaml >bad2.yaml
  run "$SLUICE" cutover plan bad2.yaml --offline; expect_rc 2 "bad: unknown domain"
  expect_err 'no domain "biling" under domains: in sluice.yaml (did you mean "billing"?)' "bad: domain suggestion"
  expect_err "bad2.yaml:$(grep -n 'domain: biling' bad2.yaml | cut -d: -f1):13" "bad: domain position"
  sed 's/rules: \[billing\]/rules: [no negativ totals]/' cutover.yaml >bad3.yaml
  run "$SLUICE" cutover plan bad3.yaml --offline; expect_rc 2 "bad: unknown rule"
  expect_err 'no rule or rule group "no negativ totals" in sluice.yaml (did you mean "no negative totals"?)' "bad: rule suggestion"
  sed 's/    domain: audit/    tables: [audit_log, invoces]/' cutover.yaml >bad4.yaml
  run "$SLUICE" cutover plan bad4.yaml; expect_rc 2 "bad: unknown table"
  expect_err 'the source has no table "invoces" (did you mean "invoices"?)' "bad: table suggestion"
  sed 's/      - freeze$/      - freeze: { budgte: 30s }/' cutover.yaml >bad5.yaml
  run "$SLUICE" cutover plan bad5.yaml --offline; expect_rc 2 "bad: unknown key"
  expect_err 'unknown key "budgte" in step "freeze" (did you mean "budget"?)' "bad: key suggestion"
  sed '0,/      - unfreeze$/{/      - unfreeze$/d}' cutover.yaml >bad6.yaml
  run "$SLUICE" cutover plan bad6.yaml --offline; expect_rc 2 "bad: a freeze never lifted"
  expect_err "no unfreeze step follows it" "bad: freeze without unfreeze"
  # a switch hook that fails: rollback, and the application never left the source
  runbook fail.yaml 1 "echo broken proxy >&2; exit 3"
  sed -i 's/runbook: test-cutover/runbook: test-fail/; /approve:/d' fail.yaml
  run "$SLUICE" cutover run fail.yaml; expect_rc 1 "bad: failing switch hook"
  expect_err "broken proxy" "bad: the hook's output is shown"
  expect_out "rolled_back" "bad: failing hook rolls back"
  # a switch hook that hangs: killed at its timeout, then rollback
  rm -f billing-cut.db; rm -rf routes
  runbook hang.yaml 1 "sleep 600"
  sed -i 's/runbook: test-cutover/runbook: test-hang/; /approve:/d' hang.yaml
  local t0 t1
  t0=$(date +%s)
  run "$SLUICE" cutover run hang.yaml; expect_rc 1 "bad: hanging switch hook"
  t1=$(date +%s)
  expect_err "did not finish within 3s and was killed" "bad: the hang is named"
  [ $((t1 - t0)) -lt 120 ] && ok || bad "bad: the hang held the run $((t1 - t0))s"
  pgrep -f "sleep 600" >/dev/null && bad "bad: the hanging hook still runs" || ok
  # two runs at once: the second exits 4, also after waiting
  rm -f billing-cut.db; rm -rf routes
  runbook two.yaml 1 "./switch.sh billing"
  sed -i 's/runbook: test-cutover/runbook: test-two/' two.yaml
  "$SLUICE" cutover run two.yaml >two.out 2>two.err &
  local cpid=$!
  wait_until 60 waiting_at "$d" billing.approve || bad "bad: the first run never waited"
  run "$SLUICE" cutover run two.yaml; expect_rc 4 "bad: a second run at once"
  expect_err "is being run by another process" "bad: says who holds it"
  t0=$(date +%s)
  run "$SLUICE" cutover run two.yaml --wait 2; expect_rc 4 "bad: a second run after --wait"
  t1=$(date +%s)
  [ $((t1 - t0)) -ge 2 ] && ok || bad "bad: --wait did not wait"
  kill -INT $cpid; wait $cpid; rc=$?
  [ $rc = 130 ] && ok || bad "bad: Ctrl-C on a waiting run exits $rc"
  run "$SLUICE" cutover status two.yaml; expect_rc 0 "bad: status after Ctrl-C"
  expect_out "no process runs it" "bad: status says nothing runs it"
  cd "$TMP" || return
}

has postgres && e2e_postgres
has postgres && rollback_postgres
kills_sqlite
budget_sqlite
bad_input
finish
