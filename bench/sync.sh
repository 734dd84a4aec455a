#!/usr/bin/env bash
# sync.sh - the cost and speed of `sluice sync`:
#  1. capture overhead per engine as source: single-row statements (a loop of
#     20,000 one-row INSERTs and UPDATEs inside the server, or the sqlite3
#     shell) and bulk statements (INSERT ... SELECT and UPDATE of 200,000
#     rows), with no trigger, with a plain row trigger writing the key to an
#     audit table (the anchor: what a hand-written trigger costs), and with
#     sluice's capture; each ratio is time with / time without;
#  2. apply throughput: 200,000 changed keys drained into PostgreSQL;
#  3. lag under a steady writer of about 1,000 writes/s, from the heartbeats
#     (time from a heartbeat's insert on the source to the commit of its
#     batch on the target).
# N1, NBULK, NAPPLY, LAG_SECONDS override the sizes; PARTS="capture apply lag" picks the parts.
. "$(dirname "$0")/lib.sh"
start_servers
N1=${N1:-20000}
NBULK=${NBULK:-200000}
NAPPLY=${NAPPLY:-200000}
LAG_SECONDS=${LAG_SECONDS:-20}
PARTS=${PARTS:-capture apply lag}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
my() { mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw "$@"; }
W=$BENCH_DIR/work
mkdir -p "$W"

# run_sql ENGINE URL SQL: runs SQL, prints the seconds it took
run_sql() {
  local t0; t0=$(now)
  case $1 in
    sqlite) sqlite3 "${2#sqlite:}" "$3" >/dev/null ;;
    postgres) psql -q -v ON_ERROR_STOP=1 "$2" -c "$3" >/dev/null ;;
    mysql) my "${2##*/}" -e "$3" >/dev/null ;;
  esac
  elapsed "$t0"
}

fresh() { # fresh ENGINE NAME: empty database, prints URL
  case $1 in
    sqlite) rm -f "$W/$2.db"; echo "sqlite:$W/$2.db" ;;
    postgres) pg_db "$2" ;;
    mysql) my_db "$2" ;;
  esac
}

create_sql() {
  case $1 in
    sqlite) echo "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL);
                  CREATE TABLE audit (id INTEGER, op TEXT);" ;;
    postgres) echo "CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL);
                    CREATE TABLE audit (id bigint, op char(1));" ;;
    mysql) echo "CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL, b varchar(100) NOT NULL);
                 CREATE TABLE audit (id bigint, op char(1));" ;;
  esac
}

plain_trigger_sql() { # a hand-written row trigger logging the key, insert and update
  case $1 in
    sqlite) echo "CREATE TRIGGER a_i AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (NEW.id, 'I'); END;
                  CREATE TRIGGER a_u AFTER UPDATE ON t BEGIN INSERT INTO audit VALUES (NEW.id, 'U'); END;" ;;
    postgres) echo "CREATE FUNCTION a_f() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN INSERT INTO audit VALUES (NEW.id, left(TG_OP, 1)); RETURN NULL; END \$\$;
                    CREATE TRIGGER a_i AFTER INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION a_f();" ;;
    mysql) echo "CREATE TRIGGER a_i AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id, 'I');
                 CREATE TRIGGER a_u AFTER UPDATE ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id, 'U');" ;;
  esac
}

single_sql() { # N one-row INSERTs then N one-row UPDATEs, one transaction, statements run one by one
  case $1 in
    sqlite) { echo "BEGIN;"; awk -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "INSERT INTO t VALUES (%d, %d, '\''r%d'\'');\n", i, i, i;
              for (i = 1; i <= n; i++) printf "UPDATE t SET a = a + 1 WHERE id = %d;\n", i }'; echo "COMMIT;"; } ;;
    postgres) echo "DO \$\$ BEGIN FOR i IN 1..$2 LOOP INSERT INTO t VALUES (i, i, 'r' || i); END LOOP;
                    FOR i IN 1..$2 LOOP UPDATE t SET a = a + 1 WHERE id = i; END LOOP; END \$\$;" ;;
    mysql) printf 'DELIMITER //\n%s//\nDELIMITER ;\n' "CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 1; START TRANSACTION;
                 WHILE i <= $2 DO INSERT INTO t VALUES (i, i, CONCAT('r', i)); SET i = i + 1; END WHILE; SET i = 1;
                 WHILE i <= $2 DO UPDATE t SET a = a + 1 WHERE id = i; SET i = i + 1; END WHILE; COMMIT; END" ;;
  esac
}

bulk_sql() { # one INSERT ... SELECT of N rows, then one UPDATE of all of them
  case $1 in
    sqlite) echo "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $2) INSERT INTO t SELECT x, x, 'r' || x FROM c;
                  UPDATE t SET a = a + 1;" ;;
    postgres) echo "INSERT INTO t SELECT g, g, 'r' || g FROM generate_series(1, $2) g; UPDATE t SET a = a + 1;" ;;
    mysql) echo "INSERT INTO t SELECT seq, seq, CONCAT('r', seq) FROM seq_1_to_$2; UPDATE t SET a = a + 1;" ;;
  esac
}

# measure ENGINE MODE(none|plain|capture) KIND(single|bulk): seconds
measure() {
  local e=$1 mode=$2 kind=$3 url sql
  url=$(fresh "$e" "cap_${e:0:2}")
  run_sql "$e" "$url" "$(create_sql "$e")" >/dev/null
  case $mode in
    plain) run_sql "$e" "$url" "$(plain_trigger_sql "$e")" >/dev/null ;;
    capture) rm -f "$W/cap_target.db"; "$SLUICE" sync start -q --no-copy --tables t "$url" "sqlite:$W/cap_target.db" >/dev/null 2>&1 ;;
  esac
  if [ "$kind" = single ]; then
    sql=$(single_sql "$e" "$N1")
    if [ "$e" = mysql ]; then echo "$sql" | my "${url##*/}"; sql="CALL p()"; fi
    if [ "$e" = sqlite ]; then local t0; t0=$(now); echo "$sql" | sqlite3 "${url#sqlite:}" >/dev/null; elapsed "$t0"; return; fi
  else
    sql=$(bulk_sql "$e" "$NBULK")
  fi
  run_sql "$e" "$url" "$sql"
}

echo "## Sync: capture overhead, apply throughput, lag"
if part capture; then
echo
echo "### Capture overhead on the source (time with triggers / time without; median of 3 runs)"
echo
echo "Single-row: $N1 one-row INSERTs then $N1 one-row UPDATEs, each its own statement, in one transaction"
echo "(PostgreSQL: a plpgsql loop; MariaDB: a stored procedure; SQLite: the sqlite3 shell). Bulk: one"
echo "INSERT ... SELECT of $NBULK rows, then one UPDATE of all of them. \"plain row trigger\" is the anchor: a"
echo "hand-written AFTER INSERT/UPDATE FOR EACH ROW trigger inserting the key into an audit table."
echo
echo "| engine | kind | no trigger | plain row trigger | sluice capture | plain / none | capture / none |"
echo "|---|---|---:|---:|---:|---:|---:|"
for e in sqlite postgres mysql; do
  for kind in single bulk; do
    declare -a tn=() tp=() tc=()
    for _ in 1 2 3; do
      tn+=("$(measure "$e" none "$kind")"); tp+=("$(measure "$e" plain "$kind")"); tc+=("$(measure "$e" capture "$kind")")
    done
    n=$(median "${tn[@]}"); p=$(median "${tp[@]}"); c=$(median "${tc[@]}")
    echo "| $e | $kind | ${n} s | ${p} s | ${c} s | $(awk -v a="$p" -v b="$n" 'BEGIN { printf "%.2fx", a / b }') | $(awk -v a="$c" -v b="$n" 'BEGIN { printf "%.2fx", a / b }') |"
  done
done
fi

if part apply; then
echo
echo "### Apply throughput into PostgreSQL"
echo
echo "$NAPPLY keys changed on the source (one UPDATE of every row of t, after \`sync start\` copied it), then"
echo "\`sluice sync run\` drains the log: re-read by key, convert, COPY into the staging table, merge, checkpoint."
echo
echo "| source | changes | sync run (drain) | changes/s |"
echo "|---|---:|---:|---:|"
for e in sqlite mysql postgres; do
  src=$(fresh "$e" "ap_${e:0:2}"); dst=$(pg_db "ap_dst_${e:0:2}")
  run_sql "$e" "$src" "$(create_sql "$e")" >/dev/null
  run_sql "$e" "$src" "$(bulk_sql "$e" "$NAPPLY" | sed 's/UPDATE.*//')" >/dev/null
  "$SLUICE" sync start -q --tables t "$src" "$dst" >/dev/null 2>&1
  run_sql "$e" "$src" "UPDATE t SET a = a + 1" >/dev/null
  t0=$(now); "$SLUICE" sync run -q --batch 10000 "$src" "$dst" >"$W/apply.out" 2>&1; s=$(elapsed "$t0")
  n=$(grep -o 'drained: [0-9]*' "$W/apply.out" | grep -o '[0-9]*')
  echo "| $e | $n | $s s | $(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", n / s }') |"
  "$SLUICE" sync stop "$src" "$dst" >/dev/null 2>&1
done
fi

if part lag; then
echo
echo "### Lag under a steady writer (about 1,000 writes/s for ${LAG_SECONDS} s)"
echo
echo "Every 0.1 s the writer runs 10 INSERTs of 5 rows and 10 UPDATEs of 5 rows (100 row writes), then"
echo "sleeps 0.1 s, through the engine's client; writes/s is what it reached. Lag of each heartbeat: from"
echo "its insert on the source to the commit of its batch in the target."
echo
echo "| source -> target | writes/s (measured) | heartbeats | median lag | max lag |"
echo "|---|---:|---:|---:|---:|"
lag_run() { # SOURCE_ENGINE TARGET_ENGINE
  local se=$1 de=$2 src dst wpid spid t0 secs writes
  src=$(fresh "$se" "lag_s_${se:0:2}"); dst=$(fresh "$de" "lag_t_${de:0:2}")
  run_sql "$se" "$src" "$(create_sql "$se")" >/dev/null
  "$SLUICE" sync start -q --tables t "$src" "$dst" >/dev/null 2>&1
  "$SLUICE" sync run --follow "$src" "$dst" 2>"$W/lag.err" >/dev/null &
  spid=$!
  awk -v n="$LAG_SECONDS" -v e="$se" 'BEGIN { id = 0;
      for (s = 0; s < n * 10; s++) {
        for (k = 0; k < 10; k++) { printf "INSERT INTO t VALUES ";
          for (r = 0; r < 5; r++) { id++; printf "%s(%d, %d, '\''w%d'\'')", r ? ", " : "", id, id, id }
          printf ";\nUPDATE t SET a = a + 1 WHERE id BETWEEN %d AND %d;\n", id - 9, id - 5 }
        if (e == "postgres") print "SELECT pg_sleep(0.1);"; else if (e == "mysql") print "DO SLEEP(0.1);"; else print ".shell sleep 0.1";
      } }' >"$W/writer.sql"
  t0=$(now)
  case $se in
    sqlite) { echo ".timeout 10000"; cat "$W/writer.sql"; } | sqlite3 "${src#sqlite:}" >/dev/null ;;
    postgres) psql -q "$src" -f "$W/writer.sql" >/dev/null ;;
    mysql) my "${src##*/}" <"$W/writer.sql" >/dev/null ;;
  esac
  secs=$(elapsed "$t0")
  sleep 2; kill -TERM $spid; wait $spid || true
  writes=$(awk -v n="$LAG_SECONDS" -v s="$secs" 'BEGIN { printf "%.0f", n * 1000 / s }') # 100 row writes per step
  grep -o 'lag [0-9.]*s' "$W/lag.err" | grep -o '[0-9.]*' >"$W/lags" || true
  local nl med mx
  nl=$(wc -l <"$W/lags"); med=$(sort -g "$W/lags" | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }')
  mx=$(sort -g "$W/lags" | tail -1)
  echo "| $se -> $de | $writes | $nl | ${med} s | ${mx} s |"
  "$SLUICE" sync stop "$src" "$dst" >/dev/null 2>&1
}
lag_run postgres mysql
lag_run mysql postgres
lag_run sqlite postgres
fi
echo
echo "Aims (issue 9): capture costs single-row writes at most 10% and bulk DML at most 1.5x; apply"
echo "at least 50,000 changes/s into PostgreSQL; lag under 2 s at 1,000 writes/s."
cat <<'NOTES'

Notes. Capture writes more per row than the anchor trigger: the table name, the key as JSON text and a
sequence value (PostgreSQL also the transaction id and time), against the anchor's two columns; on
SQLite and MariaDB the update trigger also tests whether the key changed. Neither the anchor nor
capture meets the 10% / 1.5x aims on this machine (the anchor itself costs 1.4-1.6x single-row and
1.8-2.8x bulk here); capture costs 1.1-1.7x the anchor, and on PostgreSQL bulk statements it is within
a few percent of the anchor because the statement-level trigger logs a whole statement with one
INSERT ... SELECT from the transition table. Apply into PostgreSQL is above the 50,000 changes/s aim
from every source; on MariaDB consumed log rows are deleted in range and primary-key statements
shaped so that an open transaction can never make the delete wait (docs/sync.md, "Late commits").
Lag: a batch that found changes is
followed at once by the next read, so a heartbeat is applied within milliseconds while changes keep
coming; the 0.2 s maximum is the idle poll interval.
NOTES
