# sync.sh - helpers for the sync scenario tests: the test schema per engine,
# a generated writer workload, and schema dumps to compare before and after.

# schema ENGINE: the two captured tables (a single and a composite key)
schema_sql() {
  case $1 in
    sqlite) echo "CREATE TABLE acct (id INTEGER PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance NUMERIC(12,2), updated TIMESTAMP);
                  CREATE TABLE item (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, qty INTEGER, PRIMARY KEY (a, b));" ;;
    postgres) echo "CREATE TABLE acct (id integer PRIMARY KEY, owner varchar(40) NOT NULL, balance numeric(12,2), updated timestamp);
                    CREATE TABLE item (a integer NOT NULL, b varchar(20) NOT NULL, qty integer, PRIMARY KEY (a, b));" ;;
    mysql) echo "CREATE TABLE acct (id int PRIMARY KEY, owner varchar(40) NOT NULL, balance decimal(12,2), updated datetime NULL);
                 CREATE TABLE item (a int NOT NULL, b varchar(20) NOT NULL, qty int, PRIMARY KEY (a, b));" ;;
  esac
}

# seed N: N accounts and 2N items
seed_sql() {
  awk -v n="$1" 'BEGIN {
    for (i = 1; i <= n; i++) printf "INSERT INTO acct VALUES (%d, '\''o%d é'\'', %d.%02d, '\''2024-01-%02d 10:00:00'\'');\n", i, i, i, i % 100, i % 28 + 1;
    for (i = 1; i <= n; i++) printf "INSERT INTO item VALUES (%d, '\''k1'\'', %d);\nINSERT INTO item VALUES (%d, '\''k2'\'', %d);\n", i, i, i, -i;
  }'
}

# workload N SEED: N autocommitted statements: inserts, updates (some change the
# key, some touch many rows), deletes. Some fail on key collisions: that is fine.
workload_sql() {
  awk -v n="$1" -v seed="$2" 'BEGIN {
    srand(seed);
    for (i = 0; i < n; i++) {
      r = rand(); id = int(rand() * 4000) + 1; id2 = int(rand() * 4000) + 1;
      if (r < 0.30) printf "INSERT INTO acct VALUES (%d, '\''w%d q'\'', %d.5, '\''2025-02-03 04:05:06'\'');\n", id, i, i;
      else if (r < 0.50) printf "UPDATE acct SET balance = balance + 1, owner = '\''u%d'\'' WHERE id = %d;\n", i, id;
      else if (r < 0.58) printf "UPDATE acct SET id = %d WHERE id = %d;\n", id2, id;
      else if (r < 0.60) printf "UPDATE acct SET balance = balance - 1 WHERE id BETWEEN %d AND %d;\n", id, id + 40;
      else if (r < 0.72) printf "DELETE FROM acct WHERE id = %d;\n", id;
      else if (r < 0.82) printf "INSERT INTO item VALUES (%d, '\''k%d'\'', %d);\n", id, i % 7, i;
      else if (r < 0.90) printf "UPDATE item SET b = '\''k%d'\'' WHERE a = %d AND b = '\''k1'\'';\n", i % 9, id;
      else if (r < 0.95) printf "UPDATE item SET qty = qty + 1 WHERE a = %d;\n", id;
      else printf "DELETE FROM item WHERE a = %d;\n", id;
    }
  }'
}

# client ENGINE URL: reads SQL on stdin, autocommits each statement, goes on after errors
client() {
  case $1 in
    sqlite) { echo ".timeout 10000"; echo "PRAGMA journal_mode=WAL;"; echo "PRAGMA synchronous=OFF;"; cat; } | sqlite3 "${2#sqlite:}" >/dev/null 2>&1 ;;
    postgres) psql -q "$2" >/dev/null 2>&1 ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
             --force "${2##*/}" >/dev/null 2>&1 ;;
  esac
}

# dump_schema ENGINE URL [IGNORED_TABLES]: everything that makes up the schema, triggers and routines included
dump_schema() {
  local ign=() t
  for t in ${3:-}; do ign+=("--ignore-table=${2##*/}.$t"); done
  case $1 in
    sqlite) sqlite3 "${2#sqlite:}" "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2" ;;
    postgres) pg_dump -s "$2" | grep -v '^\\\(un\)\?restrict ' ;;
    mysql) mariadb-dump --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
             --no-data --triggers --routines --skip-comments "${ign[@]}" "${2##*/}" | sed 's/ AUTO_INCREMENT=[0-9]*//' ;;
  esac
}
