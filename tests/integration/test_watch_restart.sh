#!/usr/bin/env bash
# test_watch_restart.sh - a watch survives a PostgreSQL and a MariaDB restart
# and records each as a gap, never as a pass: it watches a PostgreSQL target
# against a MariaDB source (rules and diff every second) on servers of its
# own (tests/servers/servers.sh into a directory of this test: the shared
# servers other tests use are never restarted), while each server in turn
# is stopped for a few seconds and started again. Then: the process is still
# running; two gaps, closed, each naming the database that was down; the
# runs inside them are "gap" and incomplete; the state never left ok; the
# hook (gaps: true) fired once at each gap's start and end; the last run is
# complete and ok.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
if [ -z "${SLUICE_TEST_PG_URL:-}" ] || [ -z "${SLUICE_TEST_MY_URL:-}" ]; then
  [ "${SLUICE_TEST_REQUIRE:-}" = 1 ] && { echo "servers required but not configured" >&2; exit 1; }
  echo "skipped: no servers"; exit 0
fi
SRV=$(mktemp -d /tmp/sluice-check.XXXXXX)
SERVERS="$SLUICE_SOURCE_DIR/tests/servers/servers.sh"
srv() { (cd / && "$SERVERS" "$@"); } # from a directory the servers' users may enter
trap 'srv stop "$SRV" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
# ports of its own, away from the shared servers'
SLUICE_TEST_PG_PORT=$((SLUICE_TEST_PG_PORT + 100)) SLUICE_TEST_MY_PORT=$((SLUICE_TEST_MY_PORT + 100)) \
  srv start "$SRV" >"$TMP/servers.log" 2>&1 || { cat "$TMP/servers.log" >&2; exit 1; }
PG=$(. "$SRV/env"; echo "$SLUICE_TEST_PG_URL")
MY=$(. "$SRV/env"; echo "$SLUICE_TEST_MY_URL")
cd "$TMP" || exit 1

sqlite3 seed.db "CREATE TABLE invoices (id INTEGER PRIMARY KEY, number VARCHAR(20) NOT NULL, total NUMERIC(10,2));
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)
  INSERT INTO invoices SELECT x, 'INV-' || x, x * 1.25 FROM c;"
run "$SLUICE" copy -q sqlite:seed.db "$PG"; expect_rc 0 "copy to postgres"
run "$SLUICE" copy -q sqlite:seed.db "$MY"; expect_rc 0 "copy to mariadb"
cat >sluice.yaml <<YAML
state: state.db
environments:
  pg: { url: "$PG" }
  my: { url: "$MY" }
rules:
  - { name: numbers unique, type: unique, table: invoices, column: number }
watch:
  target: pg
  source: my
  every: 1s
  checks: [rules, diff]
  hook: { command: "cat >> hooks.jsonl; echo >> hooks.jsonl", gaps: true }
YAML

# runs_after STATUS N: waits (60 s at most) until N more runs with STATUS follow the current last line
runs_after() {
  local from i
  from=$(wc -l <runs.jsonl)
  for i in $(seq 1 600); do
    [ "$(tail -n +$((from + 1)) runs.jsonl | grep -c "\"status\":\"$1\"")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

"$SLUICE" watch --json --for 300s >runs.jsonl 2>watch.err &
pid=$!
sleep 0.5
runs_after ok 2 && ok || bad "the watch did not start"
for server in pg my; do
  srv down "$SRV" "$server" || bad "$server: down"
  runs_after gap 2 && ok || bad "$server: no gap while it was down"
  srv up "$SRV" "$server" || bad "$server: up"
  runs_after ok 2 && ok || bad "$server: the watch did not recover"
  kill -0 "$pid" 2>/dev/null && ok || bad "$server: the watch died with the restart"
done
kill -TERM "$pid"; wait "$pid"; rc=$?
[ "$rc" -eq 143 ] && ok || bad "watch: exit $rc after SIGTERM"

q() { sqlite3 state.db "$1"; }
[ "$(q "SELECT count(*) FROM watch_gaps WHERE ended_at IS NOT NULL")" = 2 ] && ok || bad "gaps: $(q "SELECT * FROM watch_gaps")"
case $(q "SELECT reason FROM watch_gaps ORDER BY id LIMIT 1") in *'"pg"'*) ok ;; *) bad "first gap does not name pg" ;; esac
case $(q "SELECT reason FROM watch_gaps ORDER BY id DESC LIMIT 1") in *'"my"'*) ok ;; *) bad "second gap does not name my" ;; esac
[ "$(q "SELECT count(*) FROM watch_runs r JOIN watch_gaps g ON r.id BETWEEN g.first_run_id AND g.last_run_id
        WHERE r.status != 'gap' OR r.complete != 0")" = 0 ] && ok || bad "a run inside a gap counted as a pass"
[ "$(q "SELECT count(*) FROM watch_runs WHERE status = 'gap'")" -ge 4 ] && ok || bad "fewer than 4 gap runs"
[ "$(q "SELECT group_concat(coalesce(previous, '-') || '>' || state) FROM watch_events WHERE kind = 'state'")" = "->ok" ] \
  && ok || bad "the state changed: $(q "SELECT group_concat(previous || '>' || state) FROM watch_events WHERE kind = 'state'")"
[ "$(q "SELECT status || complete FROM watch_runs ORDER BY id DESC LIMIT 1")" = ok1 ] && ok || bad "last run not complete and ok"
[ "$(python3 -c "import json; print(' '.join(json.loads(l)['event'] for l in open('hooks.jsonl') if l.strip()))")" = \
  "gap_started gap_ended gap_started gap_ended" ] && ok || bad "hooks: $(cat hooks.jsonl | head -c 400)"
run "$SLUICE" watch status; expect_rc 0 "status"
expect_out "gaps       2 recorded" "status shows the gaps"
expect_out "state      ok" "status: still ok"
finish
