#!/usr/bin/env bash
# test_watch.sh - sluice watch with the real binary, on each engine as the
# watched target (a SQLite source it replaced): a deleted invoice is found
# by the next run, the hook fires once with the right payload while the
# breach lasts, recovery is recorded and hooked once; --exit-on-breach; the
# state carried across --once runs (cron); sync lag judged; bisection;
# a second watch refused (exit 4) or waiting (--wait); SIGTERM stops cleanly
# (143, the run recorded, the lock free); a hook that hangs is killed at its
# timeout and one left pending by a killed watch is delivered at the next
# start; bad configuration with file:line:col; never a password in output,
# payloads or the state store.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1
cd "$TMP" || exit 1

sqlite3 legacy.db "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
  CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
    number VARCHAR(20) NOT NULL, total NUMERIC(10,2) NOT NULL, currency VARCHAR(3) NOT NULL);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40)
  INSERT INTO customers SELECT x, 'customer ' || x FROM c;
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300)
  INSERT INTO invoices SELECT x, x % 40 + 1, 'INV-' || x, (x * 7 % 1000) / 4.0,
    CASE x % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'JPY' END FROM c;"

# project FILE TARGET_URL [extra watch lines...]: a sluice.yaml watching TARGET against legacy.db
project() {
  local file=$1 url=$2; shift 2
  cat >"$file" <<YAML
state: state-${file%.yaml}.db
environments:
  legacy: { url: "sqlite:legacy.db" }
  prod: { url: "$url" }
rules:
  billing:
    - { name: invoices have customers, type: relationship, table: invoices, columns: [customer_id],
        references: { table: customers, columns: [id] } }
    - { name: known currencies, type: accepted_values, table: invoices, column: currency, values: [USD, EUR, JPY] }
shadow:
  - name: revenue by currency
    sql: SELECT currency, count(*), sum(total) FROM invoices GROUP BY currency
watch:
  target: prod
  source: legacy
  every: 300ms
  hook: { command: "cat >> hooks-${file%.yaml}.jsonl; echo >> hooks-${file%.yaml}.jsonl", timeout: 5s }
YAML
  for line in "$@"; do echo "  $line" >>"$file"; done
}

# wait_lines N FILE: until FILE has N lines (20 s at most)
wait_lines() {
  local i
  for i in $(seq 1 200); do
    [ -f "$2" ] && [ "$(wc -l <"$2")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# json FILE EXPR: a Python expression over the JSON lines of FILE (as `runs`), printed
json() { python3 -c "import json,sys; runs=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print($2)" "$1"; }

for e in $ENGINES; do
  if [ "$e" = sqlite ]; then url="sqlite:$TMP/target.db"; rm -f target.db; else url=$(scratch_url "$e" watch_t); fi
  run "$SLUICE" copy -q sqlite:legacy.db "$url"; expect_rc 0 "$e: copy"
  y=w_$e.yaml
  project "$y" "$url"

  # a running watch: the deleted invoice is found by the first run after the delete
  "$SLUICE" watch -C "$y" --json --for 60s >"runs_$e.jsonl" 2>"err_$e" &
  pid=$!
  wait_lines 2 "runs_$e.jsonl" && ok || bad "$e: the watch did not run: $(head -c 300 "err_$e")"
  [ "$(json "runs_$e.jsonl" "runs[0]['status']")" = ok ] && ok || bad "$e: first run not ok: $(head -c 600 "runs_$e.jsonl")"
  sql "$e" "$url" "DELETE FROM invoices WHERE id = 42" >/dev/null
  before=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) # a run started after this sees the delete
  for i in $(seq 1 100); do grep -q '"status":"breach"' "runs_$e.jsonl" && break; sleep 0.1; done
  n=$(wc -l <"runs_$e.jsonl")
  wait_lines $((n + 3)) "runs_$e.jsonl" # the breach lasts three more runs
  first_after=$(json "runs_$e.jsonl" "[r['status'] for r in runs if r['started_at'] > '$before'][0]")
  [ "$first_after" = breach ] && ok || bad "$e: the first run after the delete was $first_after"
  # the breaching figure names the table and the missing key
  detail=$(json "runs_$e.jsonl" "[f['detail'] for r in runs if r['status'] == 'breach' for f in r['figures'] if f['level'] == 'breach' and f['check'] == 'diff'][0]")
  case $detail in *"1 missing"*"id=42"*) ok ;; *) bad "$e: breach detail: $detail" ;; esac
  # recovery
  sql "$e" "$url" "INSERT INTO invoices (id, customer_id, number, total, currency) VALUES (42, 3, 'INV-42', 73.5, 'EUR')" >/dev/null
  for i in $(seq 1 100); do [ "$(json "runs_$e.jsonl" "runs[-1]['status']")" = ok ] && break; sleep 0.1; done
  kill -TERM "$pid"; wait "$pid"; rc=$?
  [ "$rc" -eq 143 ] && ok || bad "$e: SIGTERM: exit $rc"
  [ "$(json "runs_$e.jsonl" "runs[-1]['state']")" = ok ] && ok || bad "$e: recovery not recorded"
  # the hook: once for the breach, once for the recovery, however many runs each lasted
  h=hooks-w_$e.jsonl
  [ "$(grep -c . "$h")" -eq 2 ] && ok || bad "$e: the hook ran $(grep -c . "$h") times, expected 2"
  [ "$(json "$h" "(runs[0]['event'], runs[0]['state'], runs[0]['previous_state'], runs[0]['target'], runs[0]['source'])")" = "('state', 'breach', 'ok', 'prod', 'legacy')" ] && ok || bad "$e: breach payload: $(head -c 300 "$h")"
  # what breached: the diff and the shadow query; a run under way when the row was deleted (its diff
  # read before, its shadow query after) hooks with the shadow query alone, the next run sees both
  b=$(json "$h" "sorted(set((f['check'], f['item'], f['value']) for f in runs[0]['breached']))")
  case $b in
    "[('diff', 'invoices', 1), ('shadow', 'revenue by currency', 2)]"|"[('shadow', 'revenue by currency', 2)]") ok ;;
    *) bad "$e: breached: $b" ;;
  esac
  [ "$(json "runs_$e.jsonl" "sorted(set((f['check'], f['item'], f['value']) for r in runs if r['started_at'] > '$before' and r['status'] == 'breach' for f in r['figures'] if f['level'] == 'breach'))")" = "[('diff', 'invoices', 1), ('shadow', 'revenue by currency', 2)]" ] && ok || bad "$e: a run after the delete: what breached"
  [ "$(json "$h" "(runs[1]['state'], runs[1]['previous_state'], runs[1]['breached'])")" = "('ok', 'breach', [])" ] && ok || bad "$e: recovery payload"
  st=state-w_$e.db
  [ "$(sqlite3 "$st" "SELECT group_concat(previous || '>' || state || ':' || hook, ' ') FROM watch_events WHERE kind = 'state' AND previous IS NOT NULL")" = "ok>breach:ok breach>ok:ok" ] && ok || bad "$e: events recorded"
  [ "$(sqlite3 "$st" "SELECT count(*) FROM watch_runs WHERE finished_at IS NULL")" = 0 ] && ok || bad "$e: a run left unfinished by SIGTERM"
  run "$SLUICE" watch -C "$y" status; expect_rc 0 "$e: status"
  expect_out "state      ok since" "$e: status: the state"
  expect_out "diff invoices" "$e: status: the trend of the figure that moved"
  run "$SLUICE" watch -C "$y" status --json --runs 50; expect_rc 0 "$e: status --json"
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['state'] == 'ok' and s['previous_state'] == 'breach' and len(s['runs']) >= 6 and any(t['item'] == 'invoices' and 1 in t['values'] for t in s['trend'])" "$TMP/out" && ok || bad "$e: status JSON"
  if [ "$e" = mysql ]; then
    expect_nowhere "sluice-test-pw" "$e: no password printed"
    grep -q "sluice-test-pw" "$h" "err_$e" && bad "$e: a password in the payload or on stderr" || ok
    sqlite3 "$st" .dump | grep -q "sluice-test-pw" && bad "$e: a password in the state store" || ok
  fi

  # under cron: --once keeps the state between invocations; the hook fires on the change only
  sql "$e" "$url" "UPDATE invoices SET currency = 'XXX' WHERE id = 7" >/dev/null
  run "$SLUICE" watch -C "$y" --once --checks rules; expect_rc 0 "$e: --once"
  expect_out "breach rules known currencies: 1 violation (halt over 0)" "$e: --once: the rule that broke"
  run "$SLUICE" watch -C "$y" --once --checks rules --exit-on-breach; expect_rc 1 "$e: --exit-on-breach"
  [ "$(grep -c . "$h")" -eq 3 ] && ok || bad "$e: the hook should have run once more (3), ran $(grep -c . "$h")"
  sql "$e" "$url" "UPDATE invoices SET currency = 'EUR' WHERE id = 7" >/dev/null
  run "$SLUICE" watch -C "$y" --once --checks rules --exit-on-breach; expect_rc 0 "$e: recovered under cron"
  expect_out "state breach -> ok" "$e: --once: recovery"
done

# bisection between the two servers: the same finding, reading only the differing segments
if echo "$ENGINES" | grep -q postgres && echo "$ENGINES" | grep -q mysql; then
  pg=$(scratch_url postgres watch_b); my=$(scratch_url mysql watch_b)
  run "$SLUICE" copy -q sqlite:legacy.db "$pg"; expect_rc 0 "bisect: copy to postgres"
  run "$SLUICE" copy -q sqlite:legacy.db "$my"; expect_rc 0 "bisect: copy to mysql"
  sql mysql "$my" "DELETE FROM invoices WHERE id = 250" >/dev/null
  cat >b.yaml <<YAML
state: b.db
environments: { old: { url: "$my" }, new: { url: "$pg" } }
watch: { target: new, source: old, checks: [diff], diff: { tables: [invoices], mode: bisect } }
YAML
  run "$SLUICE" watch -C b.yaml --once; expect_rc 0 "bisect: run"
  expect_out "1 extra" "bisect: the row only the target has"
  expect_out "bisected:" "bisect: compared by segments"
  expect_nowhere "sluice-test-pw" "bisect: no password printed"
fi

# sync lag: no heartbeat yet is a warning, a drained sync is ok, a stopped one breaches its limit
cp legacy.db synced-src.db
cat >s.yaml <<'YAML'
state: s.db
environments: { src: { url: "sqlite:synced-src.db" }, dst: { url: "sqlite:synced-dst.db" } }
watch:
  target: dst
  checks: [sync]
  sync: { source: src }
  thresholds: { sync_lag: { warn: 1s, breach: 2s } }
YAML
run "$SLUICE" sync start -C s.yaml src dst; expect_rc 0 "sync start (creating the SQLite target)"
run "$SLUICE" watch -C s.yaml --once; expect_rc 0 "sync: watch"
expect_out "warn   sync lag" "sync: no heartbeat applied yet"
run "$SLUICE" sync run -C s.yaml src dst; expect_rc 0 "sync run"
run "$SLUICE" watch -C s.yaml --once; expect_rc 0 "sync: watch after run"
expect_out "run 2 ok" "sync: lag ok once applied"
sleep 2.2
run "$SLUICE" watch -C s.yaml --once; expect_rc 0 "sync: watch while sync is idle"
expect_out "breach sync lag" "sync: lag over its breach limit"
run "$SLUICE" sync stop -C s.yaml src dst; expect_rc 0 "sync stop"

# one watch per state store: the second is refused, or waits with --wait
project l.yaml "sqlite:$TMP/target.db"
"$SLUICE" watch -C l.yaml --for 2s >/dev/null 2>&1 &
first=$!
sleep 0.5
run "$SLUICE" watch -C l.yaml --once; expect_rc 4 "a second watch is refused"
expect_err "is in use by another watch (pid $first since" "the refusal names the holder"
run "$SLUICE" watch -C l.yaml --once --wait; expect_rc 0 "--wait waits for the first to end"
wait "$first"; [ $? -eq 0 ] && ok || bad "the first watch failed"

# a hook that hangs is killed at its timeout; the watch goes on
project t.yaml "sqlite:$TMP/target.db" "checks: [diff]"
sed -i 's/hook: .*/hook: { command: "sleep 30", timeout: 300ms }/' t.yaml
sqlite3 target.db "DELETE FROM invoices WHERE id = 9"
start=$(date +%s)
run "$SLUICE" watch -C t.yaml --rounds 2; expect_rc 0 "hanging hook"
[ $(($(date +%s) - start)) -lt 10 ] && ok || bad "the hanging hook held the watch"
expect_err "did not finish within its timeout" "hanging hook reported"
[ "$(sqlite3 state-t.db "SELECT hook FROM watch_events WHERE kind = 'state'")" = timeout ] && ok || bad "hook timeout recorded"
# a change whose hook never ran (the watch was killed) is delivered at the next start
sqlite3 state-t.db "UPDATE watch_events SET hook = 'pending' WHERE kind = 'state'"
sed -i 's/hook: .*/hook: { command: "cat > redelivered.json" }/' t.yaml
run "$SLUICE" watch -C t.yaml --once; expect_rc 0 "redelivery"
expect_err "delivering the hook of a change recorded at" "redelivery announced"
grep -q '"state":"breach"' redelivered.json && ok || bad "redelivered payload"
[ "$(sqlite3 state-t.db "SELECT count(*) FROM watch_events WHERE hook = 'pending'")" = 0 ] && ok || bad "still pending"

# configuration and usage errors
cp t.yaml bad.yaml
printf '  evrey: 5m\n' >>bad.yaml
run "$SLUICE" watch -C bad.yaml --once; expect_rc 2 "bad key"
expect_err "bad.yaml:$(grep -n evrey bad.yaml | cut -d: -f1):3: unknown key \"evrey\" in \"watch\" (did you mean \"every\"?)" "bad key: position and hint"
run "$SLUICE" watch -C t.yaml --once --checks rules,shaddow; expect_rc 2 "bad --checks"
expect_err "did you mean \"shadow\"" "bad --checks: hint"
run "$SLUICE" watch -C t.yaml --once --every soon; expect_rc 2 "bad --every"
cat >nosrc.yaml <<YAML
state: nosrc.db
environments: { prod: { url: "sqlite:$TMP/target.db" } }
watch: { target: prod, checks: [diff] }
YAML
run "$SLUICE" watch -C nosrc.yaml --once; expect_rc 2 "diff without a source"
expect_err "the diff check compares with the database the target replaced" "diff without a source: why"
run "$SLUICE" watch status --every 5m; expect_rc 2 "status takes no run options"
finish
